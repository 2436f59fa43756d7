"""The annual plan as a spreadsheet (年度抽查计划导入模板): one row per task.

The columns are a ``RegisterSpec`` so that the registers' reader (header found by name
under title rows, synonyms, Excel's row numbers, hidden rows) and template writer serve
plans too; ``bot.domain.registers.validation.validate_row`` normalises the cells. What a plan row
needs beyond that (whole numbers, the task rules) is checked by bot.services.draws.plan_import.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Final, cast

from bot.domain import cells
from bot.domain.cells import CellValue, Parsed
from bot.domain.reasons import N_
from bot.domain.registers.validation import (
    BOOL_CHOICES,
    ENTITY_KINDS,
    RISK_CLASSES,
    Choice,
    FieldKind,
    FieldSpec,
    Register,
    RegisterSpec,
)

# Reasons of plan rows (English sentences; translated where they are shown).
NOT_WHOLE_NUMBER: Final = N_("Write a whole number here, such as 2.")
LEAD_NOT_UNIT: Final = N_(
    "The lead unit must be the unit importing the plan ({unit}); leave the cell empty or"
    " write {unit}."
)
DUPLICATE_TASK: Final = N_("The same task code is also in row {row}.")
TASK_LOCKED: Final = N_("The task {code} is {status}: it can only be changed while it is planned.")
OTHER_UNITS_TASK: Final = N_("The task {code} belongs to the plan of {unit}.")

NO_CLASS_CHOICE: Final = Choice("U", "未分类", "no class", ("U类", "无分类", "无"))

PLAN_SPEC: Final = RegisterSpec(
    # registers.Register has no member for plans; the reader and writer only use it in
    # messages and to pick entity/inspector rules, which a plan does not have.
    cast(Register, "plan"),
    "年度抽查计划",
    "annual plan",
    (
        FieldSpec(
            "code",
            "任务编号",
            "task code",
            FieldKind.CODE,
            synonyms=("任务代码", "编号", "抽查任务编号"),
            required=True,
            max_length=64,
            note="必填；大写字母、数字和“-”，如WG-2026-007",
            width=16,
        ),
        FieldSpec(
            "name",
            "任务名称",
            "task name",
            synonyms=("抽查任务名称", "任务", "抽查任务"),
            required=True,
            max_length=300,
            note="必填",
            width=30,
        ),
        FieldSpec(
            "matters",
            "抽查事项编码",
            "matter codes",
            FieldKind.TAGS,
            synonyms=("事项编码", "抽查事项", "抽查事项编号", "事项编号"),
            required=True,
            note="必填；牵头单位抽查事项清单中的编码，多个用“、”或“,”分隔",
            width=20,
        ),
        FieldSpec(
            "lead",
            "牵头单位",
            "lead unit",
            synonyms=("牵头部门", "发起单位"),
            note="可空：默认为导入的单位",
            width=14,
        ),
        FieldSpec(
            "partners",
            "配合单位",
            "partner units",
            FieldKind.TAGS,
            synonyms=("配合部门", "联合单位", "参与单位", "联合部门"),
            note="部门联合抽查时填写，按顺序，多个用“、”分隔",
            width=20,
        ),
        FieldSpec(
            "kinds",
            "抽查对象类型",
            "target kinds",
            FieldKind.TAGS,
            synonyms=("对象类型", "检查对象类型", "抽查对象"),
            choices=ENTITY_KINDS,
            note="可空；企业/个体工商户/农民专业合作社/产品/项目/行为/其他，可多选",
            width=18,
        ),
        FieldSpec(
            "industries",
            "行业",
            "industries",
            FieldKind.TAGS,
            synonyms=("所属行业", "行业类别"),
            note="可空；多个用“、”分隔",
            width=14,
        ),
        FieldSpec(
            "areas",
            "区域",
            "areas",
            FieldKind.TAGS,
            synonyms=("所属区域", "辖区", "乡镇（街道）"),
            note="可空；多个用“、”分隔",
            width=14,
        ),
        FieldSpec(
            "risk_classes",
            "风险等级",
            "risk classes",
            FieldKind.TAGS,
            synonyms=("信用风险分类", "风险分类", "信用风险等级"),
            choices=(*RISK_CLASSES, NO_CLASS_CHOICE),
            note="可空；A/B/C/D/未分类，可多选",
            width=16,
        ),
        FieldSpec(
            "sampling",
            "抽取数量/抽取比例",
            "sampling",
            synonyms=("抽取数量", "抽取比例", "抽查数量", "抽查比例", "抽取数"),
            required=True,
            max_length=100,
            note="必填；总数如10，比例如5%，或按风险等级如A=3,B=5、B=5%,C=10%",
            width=20,
        ),
        FieldSpec(
            "team_size",
            "每组检查人员数",
            "inspectors per team",
            synonyms=("每组人数", "检查人员数", "每组执法人员数"),
            required=True,
            note="必填；至少2人，联合抽查不少于参与单位数",
            width=12,
        ),
        FieldSpec(
            "targets_per_team",
            "每组检查对象数",
            "targets per team",
            synonyms=("每组对象数", "每组检查户数"),
            required=True,
            note="必填；至少1",
            width=12,
        ),
        FieldSpec(
            "window_start",
            "开始日期",
            "start",
            FieldKind.DATE,
            synonyms=("开始时间", "检查开始日期", "起始日期"),
            required=True,
            note="必填；如2026-06-01",
            width=12,
        ),
        FieldSpec(
            "window_end",
            "结束日期",
            "end",
            FieldKind.DATE,
            synonyms=("结束时间", "检查结束日期", "截止日期"),
            required=True,
            note="必填；不早于开始日期",
            width=12,
        ),
        FieldSpec(
            "exclude_drawn",
            "排除本年度已抽取",
            "exclude drawn this year",
            FieldKind.BOOL,
            synonyms=("排除已抽取", "本年度已抽取的不再抽取"),
            choices=BOOL_CHOICES,
            note="是/否；是：本单位本年度已抽到的对象不再抽取",
            width=12,
        ),
        FieldSpec(
            "expertise",
            "人员业务专长",
            "inspector expertise",
            FieldKind.TAGS,
            synonyms=("检查人员业务专长", "业务专长"),
            note="可空；只抽取具有其中一项专长的人员",
            width=16,
        ),
        FieldSpec(
            "inspector_areas",
            "人员执法区域",
            "inspector areas",
            FieldKind.TAGS,
            synonyms=("检查人员执法区域", "执法区域"),
            note="可空；只抽取负责其中一个区域的人员",
            width=16,
        ),
    ),
)

_WHOLE: Final = re.compile(r"(\d+)\s*[人名个家户组]?")


def whole_number(raw: CellValue) -> Parsed[int]:
    """2, 2.0, "2", "２", "2人"."""
    if raw is None or isinstance(raw, bool):
        return Parsed(None) if raw is None else Parsed(None, error=NOT_WHOLE_NUMBER)
    if isinstance(raw, int | float):
        if isinstance(raw, float) and not (math.isfinite(raw) and raw.is_integer()):
            return Parsed(None, error=NOT_WHOLE_NUMBER)
        return Parsed(int(raw))
    text = cells.clean_text(raw)
    if text is None:
        return Parsed(None)
    m = _WHOLE.fullmatch(unicodedata.normalize("NFKC", text))
    return Parsed(int(m[1])) if m else Parsed(None, error=NOT_WHOLE_NUMBER)
