"""``dsr broadcast``: the preview without --yes (nothing stored), the broadcast queued into
the outbox with --yes (a file stored for the sender to upload), and ``dsr broadcast report
ID`` in words and as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storage.db import Database, reading
from storage.models import Broadcast, StoredFile
from tests.services.conftest import Cli
from tests.support.city import build_city
from tests.support.people import add_people, outbox_rows


@pytest.fixture
def city_cli(
    database_url: str,
    dsr_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    database = Database(database_url)
    add_people(database, build_city(database))
    database.dispose()
    monkeypatch.setenv("DSR_DATABASE_URL", database_url)
    monkeypatch.setenv("DSR_DEFAULT_LOCALE", "en")
    # Quiet hours off: the test must not depend on the time of day.
    monkeypatch.setenv("DSR_QUIET_START", "00:00")
    monkeypatch.setenv("DSR_QUIET_END", "00:00")
    from bot.cli.main import main

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _broadcasts(database_url: str) -> int:
    database = Database(database_url)
    with reading(database) as session:
        count = len(session.query(Broadcast).all())
    database.dispose()
    return count


def test_preview_then_send_then_report(city_cli: Cli, database_url: str) -> None:
    code, out, _ = city_cli("broadcast", "--to", "inspectors", "--text", "请于周五前报送材料")
    assert code == 0
    assert "Recipients: 20" in out and "Not yet joined the bot: 1" in out and "--yes" in out
    assert _broadcasts(database_url) == 0

    code, out, _ = city_cli("broadcast", "--to", "SCJG,HB", "--text", "会议通知", "--yes")
    assert code == 0 and "Broadcast 1 queued for 15 recipients" in out
    database = Database(database_url)
    rows = outbox_rows(database, "broadcast:1:")
    database.dispose()
    assert len(rows) == 15 and all("会议通知" in r.text for r in rows)

    code, out, _ = city_cli("broadcast", "report", "1", "--json")
    assert code == 0
    assert json.loads(out) == {
        "recipients": 15,
        "sent": 0,
        "failed": 0,
        "blocked": 0,
        "pending": 15,
        "not_joined": 1,
    }
    code, out, _ = city_cli("broadcast", "report", "1")
    assert code == 0 and "Recipients: 15" in out and "Not sent yet: 15" in out


def test_a_file_from_the_desk_is_stored(city_cli: Cli, database_url: str, tmp_path: Path) -> None:
    attachment = tmp_path / "通知.pdf"
    attachment.write_bytes(b"%PDF-1.4 test")
    code, _, err = city_cli("broadcast", "--to", "liaisons", "--file", str(attachment), "--yes")
    assert code == 0, err
    database = Database(database_url)
    with reading(database) as session:
        stored = session.query(StoredFile).one()
        assert (stored.name, stored.data) == ("通知.pdf", b"%PDF-1.4 test")
    rows = outbox_rows(database, "broadcast:1:")
    database.dispose()
    assert {r.params["document"] for r in rows} == {f"dsr-stored-file:{stored.id}"}


def test_refusals(city_cli: Cli, database_url: str, tmp_path: Path) -> None:
    code, _, err = city_cli("broadcast", "--to", "SCJG,NOPE", "--text", "x", "--yes")
    assert code == 1 and "NOPE" in err
    code, _, err = city_cli("broadcast", "--to", "all", "--yes")
    assert code == 1 and "Write the message" in err
    code, _, err = city_cli("broadcast", "--text", "x", "--yes")
    assert code == 2 and "--to" in err
    code, _, err = city_cli(
        "broadcast", "--to", "all", "--file", str(tmp_path / "none.pdf"), "--yes"
    )
    assert code == 2 and "There is no file at" in err
    code, _, err = city_cli("broadcast", "report", "99")
    assert code == 1 and "no broadcast 99" in err
    assert _broadcasts(database_url) == 0
