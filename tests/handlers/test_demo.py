"""`dsr demo` tells the whole job as it stands: it plays to the end, in Chinese."""

from __future__ import annotations

import io
from pathlib import Path

from bot.config import Settings
from bot.demo import play


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
        "没有这一天：6.31。",  # a typed date that does not exist is asked again
        "已通知本单位联络员",  # the liaison is told of the trip (through the outbox)
        "SCJG 李强 — 出差",  # and sees who is away on a day of it
        "leaves the group",
        "群发通知1",  # the office's broadcast to every liaison and its progress
    ):
        assert line in transcript, line
    assert "Sorry, something went wrong" not in transcript and "抱歉" not in transcript
