"""A task's target filters as a liaison types them in the chat (issue #12):
"行业：餐饮、零售；区域：城区", "类型：个体工商户", "风险：A、B", in English "industry: retail;
area: town". Parts are separated by "；" or ";" (or a new line), values by "、", "," or
"，". ``parse_filters`` raises TaskInvalid on the field at fault; ``format_filters`` writes
the filters back the same way (the confirmation shows them).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from bot.domain.draws.algorithm import RISK_STRATA
from bot.domain.registers.validation import ENTITY_KINDS
from bot.i18n import N_
from bot.services.draws.task_rules import TargetFilters, TaskInvalid

_KEYS: Final = {
    "类型": "kinds",
    "对象类型": "kinds",
    "kind": "kinds",
    "kinds": "kinds",
    "type": "kinds",
    "行业": "industries",
    "industry": "industries",
    "industries": "industries",
    "区域": "areas",
    "地区": "areas",
    "area": "areas",
    "areas": "areas",
    "风险": "risk_classes",
    "风险等级": "risk_classes",
    "risk": "risk_classes",
}
_HELP: Final = N_(
    "“{text}” is not understood: write filters like 行业：餐饮、零售；区域：城区 (keys: 类型,"
    " 行业, 区域, 风险), or press No filter."
)


def _kind(value: str, text: str) -> str:
    for choice in ENTITY_KINDS:
        if value.casefold() in (
            choice.code.casefold(),
            choice.zh,
            choice.en.casefold(),
            *choice.aliases,
        ):
            return choice.code
    raise TaskInvalid(
        "kinds",
        N_("Unknown target type(s): {kinds}. Allowed: {allowed}."),
        kinds=value,
        allowed="、".join(c.zh for c in ENTITY_KINDS),
    )


def parse_filters(text: str) -> TargetFilters:
    values: dict[str, tuple[str, ...]] = {}
    for part in re.split(r"[;；\n]+", text.strip()):
        if not part.strip():
            continue
        found = re.fullmatch(r"\s*([^:：=]+?)\s*[:：=](.*)", part, flags=re.DOTALL)
        if found is None:
            raise TaskInvalid(None, _HELP, text=part.strip())
        field = _KEYS.get(unicodedata.normalize("NFKC", found[1]).strip().casefold())
        words = tuple(w.strip() for w in re.split(r"[,，、\s]+", found[2]) if w.strip())
        if field is None or not words or field in values:
            raise TaskInvalid(None, _HELP, text=part.strip())
        values[field] = words
    kinds = tuple(dict.fromkeys(_kind(v, text) for v in values.get("kinds", ())))
    classes = tuple(
        dict.fromkeys(
            unicodedata.normalize("NFKC", c).upper() for c in values.get("risk_classes", ())
        )
    )
    bad = [c for c in classes if c not in RISK_STRATA]
    if bad:
        raise TaskInvalid(
            "risk_classes",
            N_("Unknown risk class(es): {classes}. Allowed: A, B, C, D and U (no class)."),
            classes=",".join(bad),
        )
    return TargetFilters(
        kinds=kinds,
        industries=values.get("industries", ()),
        areas=values.get("areas", ()),
        risk_classes=classes,
    )


def format_filters(filters: TargetFilters) -> str:
    """The filters as parse_filters reads them; "" when there are none."""
    labels = {c.code: c.zh for c in ENTITY_KINDS}
    parts = []
    if filters.kinds:
        parts.append("类型：" + "、".join(labels.get(k, k) for k in filters.kinds))
    if filters.industries:
        parts.append("行业：" + "、".join(filters.industries))
    if filters.areas:
        parts.append("区域：" + "、".join(filters.areas))
    if filters.risk_classes:
        parts.append("风险：" + "、".join(filters.risk_classes))
    return "；".join(parts)
