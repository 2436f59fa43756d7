"""`dsr demo` tells the whole job as it stands: it plays to the end, in Chinese."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.config import Settings
from bot.demo import RECUSAL_REASON, play
from bot.demo_city import seed_city
from storage.db import Database

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_draw.py"


def test_the_demo_plays_to_the_end(tmp_path: Path) -> None:
    out = io.StringIO()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    assert play(settings, database_url=url, reset=False, out=out) == 0
    transcript = out.getvalue()
    for line in (
        "已添加单位 SW 国家税务总局舞钢市税务局",  # the add-unit conversation
        "已取消，未添加任何单位。",  # /cancel really cancels
        "没有看懂这条消息",  # the fallback answers, never silence
        "检查对象名录-错误报告.xlsx",  # an upload with a mistyped code gets its report
        "已导入。\n   新增：5",  # the corrected file is applied
        "已修改：“风险等级”：B类（信用风险一般） → C类（信用风险较高）。",  # a record in the chat
        "没有这一天：6.31。",  # a typed date that does not exist is asked again
        "已通知本单位联络员",  # the liaison is told of the trip (through the outbox)
        "SCJG 李强 — 出差",  # and sees who is away on a day of it
        "退出群聊",
        "检查对象抽取名单池已固定",  # the lead liaison sees the pools before the seed
        "两库十二月修订尚未备案",  # the December reminder reaches the unit that has not filed
        "已备案：国家税务总局舞钢市税务局",  # which files then
        "群发通知1",  # the office's broadcast to every liaison and its progress
        "办公室评定：5 分（满分 5 分）。已成立领导小组",  # the office judges 一1
        "年度考核：各单位得分排名",  # the ranking
        "🖼 picture",  # and its chart
    ):
        assert line in transcript, line
    assert "Sorry, something went wrong" not in transcript and "抱歉" not in transcript


def test_the_demo_city_draws_a_joint_task_that_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The office draws a joint task of both demo units; the inspectors get their notices,
    one acknowledges, one is recused and replaced; every draw the demo stored verifies,
    by ``dsr verify-draw`` and by tools/verify_draw.py on ``dsr draw show --json``."""
    monkeypatch.setenv("DSR_DEFAULT_LOCALE", "zh_Hans")
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    out = io.StringIO()
    assert play(Settings(_env_file=None), database_url=url, reset=False, out=out) == 0  # type: ignore[call-arg]
    transcript = out.getvalue()
    joint = transcript.split("══ 12.", 1)[1]
    for line in (
        "【检查任务】SCJG-2026-001",  # the assignment notices (the task planned in the chat)
        "部门联合抽查：舞钢市市场监督管理局和国家税务总局舞钢市税务局",
        "已确认收到：任务 SCJG-",  # one acknowledges from the notice's button
        "的回避申请已提交",
        RECUSAL_REASON,  # the lead unit's liaison reads the reason
        "回避申请已批准",
        "接替（按公开规则补抽）",  # the team and the liaisons hear of the replacement
    ):
        assert line in joint, line
    assert joint.count("【检查任务】") == 3  # two drawn, then the replacement
    assert "抱歉" not in transcript

    capsys.readouterr()
    assert main(["draw", "list", "--json", "--database", url]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [d["purpose"] for d in listed] == ["targets", "inspectors", "replacement"]
    code, out_text = _cli(capsys, "verify-draw", *(str(d["id"]) for d in listed), "--database", url)
    assert code == 0, out_text
    assert out_text.count("一致") == len(listed)
    records = []
    for draw in listed:
        code, shown = _cli(capsys, "draw", "show", str(draw["id"]), "--json", "--database", url)
        assert code == 0
        records.append(json.loads(shown))
    path = tmp_path / "draws.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(TOOL), str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stdout.startswith("MATCH"), done.stdout + done.stderr


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_the_consoles_seeded_city_can_draw_a_joint_task(
    db: Database, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The console's own demo city holds what a joint task needs: both units' matters and
    directories, inspectors whose certificates run from today."""
    assert seed_city(db)
    start = datetime.now(UTC).date() + timedelta(days=10)
    capsys.readouterr()
    assert main(["plan", "add", "--unit", "SCJG", "--year", str(start.year), "--title", "计划",
                 "--database", database_url]) == 0  # fmt: skip
    task = [
        "task", "add", "--code", "WG-LH-2", "--name", "联合抽查", "--unit", "SCJG",
        "--matters", "SC-01", "--partners", "SW", "--count", "2", "--targets-per-team", "2",
        "--start", start.isoformat(), "--end", (start + timedelta(days=5)).isoformat(),
        "--database", database_url,
    ]  # fmt: skip
    assert main(task) == 0, capsys.readouterr().err
    assert main(["draw", "run", "WG-LH-2", "--database", database_url]) == 0, (
        capsys.readouterr().err
    )
    assert main(["verify-draw", "1", "2", "--database", database_url]) == 0
