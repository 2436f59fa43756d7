"""The public certificate of a draw (抽取结果公示) as a workbook.

It takes the certificate as bot.services.draws.drawing.certificate builds it (plain values, public
by construction) and lays it out for printing and publishing: the facts of the draw first
(task, algorithm, seed, pool size and digest), then one row per drawn target and team
member. Every value is written as text, so codes and seeds stay exactly as they are.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

_TITLE: Final = Font(bold=True, size=14)
_BOLD: Final = Font(bold=True)
_TEXT: Final = "@"
_PURPOSES: Final = {
    "targets": "抽取检查对象",
    "inspectors": "抽取执法检查人员",
    "replacement": "回避补抽",
}
_ROLES: Final = {"leader": "组长", "member": "组员"}


def _put(sheet: Worksheet, row: int, column: int, value: object, font: Font | None = None) -> None:
    cell = sheet.cell(row=row, column=column)
    if value is None:
        return
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell.data_type = "s"  # never a formula, never a number that loses digits
    cell.number_format = _TEXT
    if font is not None:
        cell.font = font


def certificate_workbook(cert: Mapping[str, Any]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "抽取结果公示"
    task = cert["task"]
    _put(sheet, 1, 1, f"“双随机、一公开”抽取结果公示：{task['name']}", _TITLE)
    facts: Sequence[tuple[str, object]] = [
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
        facts = [
            *facts,
            ("取代的抽取记录", cert["supersedes"]),
            ("重新抽取原因", cert.get("reason")),
        ]
    if cert.get("amends") is not None:
        facts = [*facts, ("补抽依据的抽取记录", cert["amends"])]
    row = 3
    for label, value in facts:
        _put(sheet, row, 1, label, _BOLD)
        _put(sheet, row, 2, value)
        row += 1
    replacement = cert.get("replacement")
    if replacement:
        for label, person in (
            ("回避人员", replacement["replaced"]),
            ("补抽人员", replacement["replacement"]),
        ):
            _put(sheet, row, 1, label, _BOLD)
            _put(
                sheet, row, 2, f"第{replacement['team']}组 {person['name']}（{person['cert_no']}）"
            )
            row += 1
    row += 1
    for column, heading in enumerate(
        ("检查组", "类别", "名称/姓名", "统一社会信用代码/执法证号"), 1
    ):
        _put(sheet, row, column, heading, _BOLD)
    for team in cert["teams"]:
        for member in team.get("members", ()):
            row += 1
            values = (
                f"第{team['team']}组",
                _ROLES.get(member["role"], member["role"]),
                member["name"],
                member["cert_no"],
            )
            for column, value in enumerate(values, 1):
                _put(sheet, row, column, value)
        for target in team["targets"]:
            row += 1
            values = (f"第{team['team']}组", "检查对象", target["name"], target["code"])
            for column, value in enumerate(values, 1):
                _put(sheet, row, column, value)
    for letter, width in (("A", 22), ("B", 20), ("C", 36), ("D", 70)):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
