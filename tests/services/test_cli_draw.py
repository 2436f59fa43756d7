"""The command line of the double random: plans, tasks, the plan spreadsheet, draws, and
verification by ``dsr verify-draw`` and by tools/verify_draw.py on ``dsr draw show --json``.

The commands use the real clock, so windows here are counted from today."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.cli.main import main
from bot.services.draws import plans
from storage.db import Database
from tests.support.city import City, build_city

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "verify_draw.py"
TODAY = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
START = TODAY + timedelta(days=7)
END = START + timedelta(days=10)


@pytest.fixture
def city(db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch) -> City:
    monkeypatch.setenv("DSR_DATABASE_URL", database_url)
    monkeypatch.setenv("DSR_DEFAULT_LOCALE", "en")
    built = build_city(db)
    for unit in ("SCJG", "SWJ"):
        if START.year != 2026:
            plans.create_plan(db, None, unit, START.year, f"{unit} {START.year}")
    return built


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def tool(path: Path) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, str(TOOL), str(path)], capture_output=True, text=True, check=False
    )
    return done.returncode, done.stdout + done.stderr


TASK = [
    "task", "add", "--code", "WG-CLI-1", "--name", "食品经营联合抽查", "--unit", "SCJG",
    "--matters", "M01", "--partners", "SWJ", "--per-class", "A=1,B=2,C=1",
    "--team-size", "3", "--targets-per-team", "2",
    "--start", START.isoformat(), "--end", END.isoformat(),
]  # fmt: skip


def test_plan_and_task_commands(city: City, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "add", "--unit", "HB", "--year", "2030", "--title", "HB")
    assert code == 0 and "2030" in out
    assert {(p["unit_code"], p["year"]) for p in run_json(capsys, "plan", "list")} >= {("HB", 2030)}
    code, out, err = run(capsys, *TASK)
    assert code == 0, err
    assert "WG-CLI-1" in out and "A=1,B=2,C=1" in out
    [task] = run_json(capsys, "task", "list", "--unit", "SWJ")
    assert task["unit_codes"] == ["SCJG", "SWJ"] and task["sampling"]["B"] == {"count": 2}
    code, _, err = run(capsys, *TASK)
    assert code == 1 and "WG-CLI-1 already exists" in err
    bad = [*TASK]
    bad[bad.index("WG-CLI-1")] = "WG-CLI-2"
    bad[bad.index("--team-size") + 1] = "1"
    code, _, err = run(capsys, *bad)
    assert code == 1 and "at least 2" in err
    code, out, err = run(
        capsys, "task", "change", "WG-CLI-1", "--ratio", "B=500", "--exclude-drawn"
    )
    assert code == 0, err
    shown = run_json(capsys, "task", "show", "WG-CLI-1")
    assert shown["sampling"] == {"B": {"ratio_permille": 500}}
    assert shown["target_filters"]["exclude_drawn_this_year"] is True
    assert shown["name"] == "食品经营联合抽查"  # flags not given keep their values
    code, _, err = run(capsys, "task", "change", "WG-CLI-1", "--count", "3", "--ratio", "5")
    assert code == 2 and "one of" in err
    code, out, _ = run(capsys, "task", "cancel", "WG-CLI-1")
    assert code == 0 and "cancelled" in out
    code, _, err = run(capsys, "task", "cancel", "WG-CLI-1", "--reason", "again")
    assert code == 1 and "cancelled" in err


def test_draw_commands_and_both_verifiers(
    city: City, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(capsys, *TASK)[0] == 0
    pool = run_json(capsys, "draw", "pool", "WG-CLI-1", "--purpose", "targets")
    assert pool["size"] == 28
    results = run_json(
        capsys, "draw", "run", "WG-CLI-1", "--seed-input", "第2026150期 3 7 1",
        "--commitment", str(pool["commitment_id"]),
    )  # fmt: skip
    assert [r["purpose"] for r in results] == ["targets", "inspectors"]
    assert results[0]["pool_digest"] == pool["digest"]
    assert results[0]["seed_input"] == "第2026150期 3 7 1"
    assert results[1]["seed_input"] is None  # the inspectors draw has its own seed
    code, _, err = run(capsys, "draw", "run", "WG-CLI-1")
    assert code == 1 and "already been drawn" in err

    inspectors = results[1]
    team = inspectors["teams"][0]
    replaced = run_json(
        capsys, "draw", "replace", "WG-CLI-1", "--team", str(team["team"]),
        "--member", team["members"][-1], "--reason", "亲属关系回避",
    )  # fmt: skip
    assert replaced["amends_id"] == inspectors["id"]
    redrawn = run_json(capsys, "draw", "redraw", "WG-CLI-1", "--reason", "数据更正")
    assert [r["supersedes_id"] for r in redrawn] == [results[0]["id"], inspectors["id"]]

    listed = run_json(capsys, "draw", "list", "--task", "WG-CLI-1")
    assert [d["purpose"] for d in listed] == [
        "targets",
        "inspectors",
        "replacement",
        "targets",
        "inspectors",
    ]
    records = {}
    for draw in listed:
        code, out, _ = run(capsys, "draw", "show", str(draw["id"]), "--json")
        assert code == 0
        records[draw["id"]] = json.loads(out)
        code, out, _ = run(capsys, "verify-draw", str(draw["id"]))
        assert (code, out.startswith("MATCH")) == (0, True), out
    for draw in listed:  # the auditor's tool on the printed JSON, with its linked records
        record = records[draw["id"]]
        linked = [r for r in records.values() if r["id"] <= record["id"]]
        path = tmp_path / f"draw-{draw['id']}.json"
        path.write_text(json.dumps(linked, ensure_ascii=False), encoding="utf-8")
        assert tool(path)[0] == 0, tool(path)[1]
        code, out, _ = run(capsys, "verify-draw", str(path))
        assert code == 0, out
        bad = copy.deepcopy(record)  # a different drawn order, or another team
        if len(bad["selected"]) > 1:
            bad["selected"].reverse()
        else:
            bad["teams"][0]["members"].reverse()
        bad_path = tmp_path / f"bad-{draw['id']}.json"
        bad_path.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
        code, out = tool(bad_path)
        assert code == 1 and out.startswith("DIFFERENT"), out
        code, out, _ = run(capsys, "verify-draw", str(bad_path))
        assert code == 1 and out.startswith("DIFFERENT"), out
    code, out, err = run(capsys, "draw", "show", str(listed[0]["id"]))
    assert code == 0 and results[0]["seed"] in out

    not_json = tmp_path / "x.json"
    not_json.write_text("{", encoding="utf-8")
    assert run(capsys, "verify-draw", str(not_json))[0] == 2

    for suffix in (".json", ".xlsx"):
        out_file = tmp_path / f"cert{suffix}"
        code, _, err = run(
            capsys, "draw", "certificate", str(redrawn[1]["id"]), "--out", str(out_file)
        )
        assert code == 0, err
    cert = json.loads((tmp_path / "cert.json").read_text(encoding="utf-8"))
    text = json.dumps(cert, ensure_ascii=False)
    assert "13812345678" not in text and "stratum" not in text and "risk" not in text
    assert cert["teams"][0]["members"][0]["role"] == "leader"
    book = load_workbook(io.BytesIO((tmp_path / "cert.xlsx").read_bytes()))
    values = [str(c.value) for row in book.active.iter_rows() for c in row if c.value]
    assert cert["pool_digest"] in values
    assert run(capsys, "draw", "certificate", "1", "--out", str(tmp_path / "c.pdf"))[0] == 2


def test_draw_refusals_print_the_numbers(city: City, capsys: pytest.CaptureFixture[str]) -> None:
    task = [*TASK]
    task[task.index("--per-class") + 1] = "A=9"
    assert run(capsys, *task)[0] == 0
    code, _, err = run(capsys, "draw", "run", "WG-CLI-1", "--seed", "xyz")
    assert code == 1 and "64 hexadecimal" in err
    code, _out, err = run(capsys, "draw", "run", "WG-CLI-1")
    assert code == 1
    assert "nothing was stored" in err
    assert "Targets of risk class A: 9 requested, 4 in the pool." in err
    assert run_json(capsys, "draw", "list") == []
    assert run(capsys, "draw", "show", "99")[0] == 1


def test_targets_only_then_the_inspectors(city: City, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, *TASK)[0] == 0
    code, out, err = run(capsys, "draw", "run", "WG-CLI-1", "--targets-only")
    assert code == 0, err
    assert "Draw 1 (targets)" in out and "Draw 2" not in out
    code, out, err = run(capsys, "draw", "run", "WG-CLI-1", "--seed", "AB" * 32)
    assert code == 0, err
    assert "Draw 2 (inspectors)" in out and "ab" * 32 in out and "(leader first)" in out


def _plan_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: list[list[Any]]) -> Path:
    path = tmp_path / "plan.xlsx"
    code, _out, _ = run(capsys, "template", "plan", "--out", str(path))
    assert code == 0 and path.exists()
    book = load_workbook(path)
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _plan_row(code: str, **changes: Any) -> list[Any]:
    values: dict[str, Any] = {
        "code": code, "name": "广告发布抽查", "matters": "M02", "lead": "", "partners": "",
        "kinds": "企业", "industries": "", "areas": "", "risk_classes": "", "sampling": "3",
        "team_size": 2, "targets_per_team": 3, "start": START, "end": END, "exclude": "否",
    }  # fmt: skip
    values.update(changes)
    return list(values.values())


def test_template_and_import_plan(
    city: City, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = _plan_file(
        tmp_path, capsys, [_plan_row("P-1"), _plan_row("P-2", matters="M02", partners="SWJ")]
    )
    code, out, _ = run(capsys, "import", "plan", str(bad), "--unit", "SCJG", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["counts"]["errors"] == 1 and report["counts"]["new"] == 1
    assert not report["applied"]
    [error] = report["errors"]
    assert (error["sheet"], error["row"], error["column"], error["column_letter"]) == (
        "年度抽查计划",
        5,
        "配合单位",
        "E",
    )
    assert "M02" in error["reason"] and error["value"] == "SWJ"
    code, out, _ = run(capsys, "import", "plan", str(bad), "--unit", "SCJG")
    assert code == 1 and "row 5" in out and "Nothing was written" in out
    assert run_json(capsys, "task", "list") == []

    good = _plan_file(tmp_path, capsys, [_plan_row("P-1"), _plan_row("P-2")])
    code, out, _ = run(capsys, "import", "plan", str(good), "--unit", "SCJG", "--dry-run")
    assert code == 0 and "Dry run" in out
    assert run_json(capsys, "task", "list") == []
    code, out, _ = run(capsys, "import", "plan", str(good), "--unit", "SCJG")
    assert code == 0 and "imported" in out
    assert [t["code"] for t in run_json(capsys, "task", "list")] == ["P-1", "P-2"]
    code, out, _ = run(capsys, "import", "plan", str(bad), "--unit", "SCJG", "--apply-valid")
    assert code == 0  # P-1 unchanged; P-2's error kept it as it was

    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"<html><table><tr><td>1</td></tr></table></html>")
    code, _, err = run(capsys, "import", "plan", str(junk), "--unit", "SCJG")
    assert code == 2 and "web page" in err
    assert run(capsys, "import", "plan", str(tmp_path / "none.xlsx"), "--unit", "SCJG")[0] == 2


def test_dates_in_the_past_are_refused(city: City, capsys: pytest.CaptureFixture[str]) -> None:
    task = [*TASK]
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    task[task.index("--start") + 1] = yesterday
    code, _, err = run(capsys, *task)
    assert code == 1 and yesterday in err
    assert date.fromisoformat(yesterday) < TODAY


def test_plan_commands_join_existing_template_and_import_words() -> None:
    """The registers' `dsr template …`/`dsr import …` and ours share the same words."""
    import argparse

    from bot.cli.plans import add_commands

    parser = argparse.ArgumentParser(prog="dsr")
    sub = parser.add_subparsers(dest="command", required=True)
    existing = sub.add_parser("import").add_subparsers(dest="import_command", required=True)
    existing.add_parser("entities").set_defaults(func="theirs")
    add_commands(sub)
    assert parser.parse_args(["import", "entities"]).func == "theirs"
    args = parser.parse_args(["import", "plan", "f.xlsx", "--unit", "SCJG", "--dry-run"])
    assert args.dry_run and args.file == "f.xlsx"
    assert parser.parse_args(["template", "plan", "--out", "t.xlsx"]).out == "t.xlsx"


def test_import_plan_writes_the_error_report(
    city: City, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    files = tmp_path / "files"  # the test database is in tmp_path
    files.mkdir()
    bad = _plan_file(files, capsys, [_plan_row("P-1"), _plan_row("P-2", team_size="两人")])
    code, out, _ = run(capsys, "import", "plan", str(bad), "--unit", "SCJG")
    assert code == 1 and "row 5" in out  # without --report: as before, no file
    assert [p.name for p in files.iterdir()] == ["plan.xlsx"]

    report = files / "report.xlsx"
    code, out, _ = run(
        capsys, "import", "plan", str(bad), "--unit", "SCJG", "--report", str(report), "--json"
    )
    assert code == 1 and json.loads(out)["counts"]["errors"] == 1  # --json output unchanged
    book = load_workbook(report)
    assert book.sheetnames == ["Error report", "Problems"]  # DSR_DEFAULT_LOCALE=en
    sheet = book["Error report"]
    header = [c.value for c in sheet[1]]
    assert header[0] == "Row" and header[-2:] == ["Errors", "Warnings"]
    [line] = list(sheet.iter_rows(min_row=2))
    cells = {header[i]: c for i, c in enumerate(line)}
    assert cells["Row"].value == 5
    assert cells["任务编号 (A)"].value == "P-2" and cells["每组检查人员数 (K)"].value == "两人"
    assert str(cells["每组检查人员数 (K)"].fill.fgColor.rgb).endswith("FFC7CE")
    sentence = "Write a whole number here, such as 2."
    assert cells["Errors"].value == f"K 每组检查人员数：{sentence}"
    assert cells["Warnings"].value is None
    listed = [[c.value for c in row] for row in book["Problems"].iter_rows()]
    assert listed == [
        ["Sheet", "Row", "Column", "Column letter", "Value", "Severity", "Reason"],
        ["年度抽查计划", 5, "每组检查人员数", "K", "两人", "error", sentence],
    ]

    good = _plan_file(files, capsys, [_plan_row("P-1")])
    report.unlink()
    code, _, _ = run(capsys, "import", "plan", str(good), "--unit", "SCJG", "--report", str(report))
    assert code == 0 and not report.exists()  # no problem, no report
