"""The command line speaks the user's language (zh_Hans here): its lists, its refusals,
argparse's own words and every ``--help``; and the office reads names beside codes."""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

import pytest

from bot.cli.main import build_parser, main
from bot.cli.support import speaking
from bot.i18n import translator
from bot.services.draws import plans
from storage.db import Database
from tests.services.test_cli_draw import START, TASK
from tests.support.city import City, build_city

ENGLISH_STATUS = re.compile(r"\b(planned|drawn|in progress|done|cancelled)\b")
ENGLISH_PURPOSE = re.compile(r"\b(targets|inspectors|replacement)\b")


@pytest.fixture
def city(db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch) -> City:
    monkeypatch.setenv("DSR_DATABASE_URL", database_url)
    monkeypatch.setenv("DSR_DEFAULT_LOCALE", "zh_Hans")
    built = build_city(db)
    for unit in ("SCJG", "SWJ"):
        if START.year != 2026:
            plans.create_plan(db, None, unit, START.year, f"{unit} {START.year}")
    return built


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def without(option: str) -> list[str]:
    i = TASK.index(option)
    return [*TASK[:i], *TASK[i + 2 :]]


def test_lists_say_status_and_purpose_in_chinese(
    city: City, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, *TASK)[0] == 0
    code, out, _ = run(capsys, "task", "list")
    assert code == 0 and "WG-CLI-1\t" in out
    assert not ENGLISH_STATUS.search(out), out
    assert run(capsys, "draw", "run", "WG-CLI-1")[0] == 0
    code, out, _ = run(capsys, "task", "list")
    assert not ENGLISH_STATUS.search(out), out
    code, out, _ = run(capsys, "draw", "list")
    assert code == 0 and len(out.splitlines()) == 2
    assert not ENGLISH_PURPOSE.search(out), out


def test_draw_run_names_the_targets_and_inspectors(
    city: City, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, *TASK)[0] == 0
    code, out, err = run(capsys, "draw", "run", "WG-CLI-1")
    assert code == 0, err
    # 市监N（SC00N）and an entity's name beside its code, as the office reads them.
    assert re.search(r"市监\d+（SC\d{3}）", out), out
    assert re.search(r"舞钢市测试\d\d号[^（]*（91410481MA\d{8}）", out), out
    assert not ENGLISH_PURPOSE.search(out), out


@pytest.mark.parametrize(
    ("option", "named"),
    [("--matters", "--matters"), ("--unit", "--unit"), ("--start", "--start")],
)
def test_a_task_without_a_required_option_names_it_in_chinese(
    city: City, capsys: pytest.CaptureFixture[str], option: str, named: str
) -> None:
    code, _, err = run(capsys, *without(option))
    assert code == 2
    assert named in err and "新任务须" in err, err
    assert "is required" not in err and "matter-codes" not in err


def test_a_short_pool_names_the_whole_pool_or_the_risk_class(
    city: City, capsys: pytest.CaptureFixture[str]
) -> None:
    total = [*TASK]
    total[total.index("--per-class") : total.index("--per-class") + 2] = ["--count", "99"]
    assert run(capsys, *total)[0] == 0
    code, _, err = run(capsys, "draw", "run", "WG-CLI-1")
    assert code == 1 and "全部检查对象：需抽取99个" in err, err
    assert "分层" not in err and "*" not in err
    per_class = [*TASK]
    per_class[per_class.index("WG-CLI-1")] = "WG-CLI-2"
    per_class[per_class.index("--per-class") + 1] = "A=9,U=99"
    assert run(capsys, *per_class)[0] == 0
    code, _, err = run(capsys, "draw", "run", "WG-CLI-2")
    assert code == 1 and "风险等级为A的检查对象：需抽取9个" in err, err
    assert "未评定风险等级的检查对象：需抽取99个" in err, err


def test_verify_draw_takes_several_ids(city: City, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, *TASK)[0] == 0
    assert run(capsys, "draw", "run", "WG-CLI-1")[0] == 0
    code, out, _ = run(capsys, "verify-draw", "1", "2")
    assert code == 0
    assert out.count("一致") == 2 and "抽取记录 1：" in out and "抽取记录 2：" in out
    code, out, _ = run(capsys, "verify-draw", "1", "99")  # one is no draw: exit 1, 1 verified
    assert code == 1 and "抽取记录 1：一致" in out and "99" in out


def test_argparse_speaks_chinese(city: City, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["draw", "run"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "错误：缺少以下参数：任务编号" in err and "usage" not in err, err
    with pytest.raises(SystemExit):
        main(["task", "add", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("用法：dsr task add") and "显示本帮助并退出" in out
    assert "牵头单位的抽查事项编码" in out


# What may stay as written in a help: the words typed (commands, options, choices, codes),
# environment variables, file suffixes and names of things (Telegram, JSON, SQLite …).
TYPED = re.compile(
    r"--?[a-z][a-z-]*|\{[^}]*\}|DSR_[A-Z_]+|[a-z]+://\S+|\.xls[x]?|\.json|dsr(?: [a-z-]+)*"
    r"|@BotFather|Telegram|JSON|SQLite|PostgreSQL|pg_dump|secrets\.token_hex|data/|SCJG|WG-\S+"
    r"|enterprise|individual|cooperative|update|replace|Bot API|YYYY-MM-DD|joint|target_ratio|liaisons|inspectors|all|report"
)


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


def test_every_help_is_in_chinese() -> None:
    t = translator("zh_Hans")
    with speaking(t):
        parser = build_parser(t)
        helps: dict[str, Any] = {p.prog: p.format_help() for p in _parsers(parser)}
    assert len(helps) > 40
    listed = re.compile(r"(?m)^ {4}[a-z-]+(?= |$)")  # a sub-command's word in the list
    english = {
        prog: words
        for prog, text in helps.items()
        if (words := re.findall(r"[A-Za-z]{3,}", TYPED.sub(" ", listed.sub(" ", text))))
    }
    assert english == {}, json.dumps(english, ensure_ascii=False)


def test_a_refusal_names_the_status_in_chinese(
    city: City, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, *TASK)[0] == 0
    assert run(capsys, "draw", "run", "WG-CLI-1")[0] == 0
    code, _, err = run(capsys, "task", "change", "WG-CLI-1", "--count", "3")
    assert code == 1 and "“已抽取”" in err and not ENGLISH_STATUS.search(err), err
    assert run(capsys, "task", "cancel", "WG-CLI-1", "--reason", "撤销")[0] == 0
    code, _, err = run(capsys, "draw", "run", "WG-CLI-1")
    assert code == 1 and "已取消" in err and not ENGLISH_STATUS.search(err), err
