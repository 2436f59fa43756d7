"""The public certificate of a draw (抽取结果公示) as a workbook.

It takes the certificate as bot.services.draws.drawing.certificate builds it (plain values, public
by construction) and lays it out for printing and publishing: the facts of the draw first
(task, algorithm, seed, pool size and digest), then one row per drawn target and team
member. Every value is written as text, so codes and seeds stay exactly as they are.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.styles import Font

from storage.xlsx_safe import put, save

_TITLE: Final = Font(bold=True, size=14)
_BOLD: Final = Font(bold=True)
_TEXT: Final = "@"
_PURPOSES: Final = {
    "targets": "抽取检查对象",
    "inspectors": "抽取执法检查人员",
    "replacement": "回避补抽",
}
_ROLES: Final = {"leader": "组长", "member": "组员"}
_HEADINGS: Final = ("检查组", "类别", "名称/姓名", "统一社会信用代码/执法证号")
_WIDTHS: Final = (("A", 22), ("B", 20), ("C", 36), ("D", 70))


def certificate_workbook(cert: Mapping[str, Any]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "抽取结果公示"
    text = {"number_format": _TEXT}  # every value as text: codes and seeds stay exact
    put(sheet, 1, 1, f"“双随机、一公开”抽取结果公示：{cert['task']['name']}", font=_TITLE, **text)
    facts = [*_facts(cert), *_replacement(cert)]
    for row, (label, value) in enumerate(facts, start=3):
        put(sheet, row, 1, label, font=_BOLD, **text)
        put(sheet, row, 2, _as_text(value), **text)
    heading_row = 3 + len(facts) + 1  # a blank row between the facts and the drawn
    for column, heading in enumerate(_HEADINGS, 1):
        put(sheet, heading_row, column, heading, font=_BOLD, **text)
    for row, values in enumerate(_drawn(cert), start=heading_row + 1):
        for column, value in enumerate(values, 1):
            put(sheet, row, column, _as_text(value), **text)
    for letter, width in _WIDTHS:
        sheet.column_dimensions[letter].width = width
    return save(workbook)


def _as_text(value: object) -> str | None:
    return None if value is None else str(value)


def _facts(cert: Mapping[str, Any]) -> Sequence[tuple[str, object]]:
    """The facts of the draw, one label and value a row."""
    task = cert["task"]
    facts: list[tuple[str, object]] = [
        ("任务编号", task["code"]),
        ("任务名称", task["name"]),
        ("参与单位", "、".join(f"{u['name']}（{u['code']}）" for u in task["units"])),
        ("抽查事项", "、".join(task["matters"])),
        ("检查时间", f"{task['window_start']} 至 {task['window_end']}"),
        ("抽取类型", _PURPOSES.get(cert["purpose"], cert["purpose"])),
        ("抽取记录编号", cert["draw_id"]),
        ("抽取时间", cert["at"]),
        ("算法", cert["algorithm"]),
        ("随机种子", cert["seed"]),
        ("种子输入", cert["seed_input"] or "（无：由系统随机生成）"),
        ("待抽名单数量", cert["pool_size"]),
        ("名单摘要（SHA-256）", cert["pool_digest"]),
    ]
    if cert.get("supersedes") is not None:
        facts += [("取代的抽取记录", cert["supersedes"]), ("重新抽取原因", cert.get("reason"))]
    if cert.get("amends") is not None:
        facts.append(("补抽依据的抽取记录", cert["amends"]))
    return facts


def _replacement(cert: Mapping[str, Any]) -> Sequence[tuple[str, object]]:
    """Who was replaced after a recusal, and by whom (nothing for other draws)."""
    replacement = cert.get("replacement")
    if not replacement:
        return []
    team = replacement["team"]
    return [
        (label, f"第{team}组 {person['name']}（{person['cert_no']}）")
        for label, person in (
            ("回避人员", replacement["replaced"]),
            ("补抽人员", replacement["replacement"]),
        )
    ]


def _drawn(cert: Mapping[str, Any]) -> Iterator[tuple[str, str, str, str]]:
    """One row per team member, then per target, team by team."""
    for team in cert["teams"]:
        label = f"第{team['team']}组"
        for member in team.get("members", ()):
            role = _ROLES.get(member["role"], member["role"])
            yield label, role, member["name"], member["cert_no"]
        for target in team["targets"]:
            yield label, "检查对象", target["name"], target["code"]
