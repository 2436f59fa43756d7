"""The shapes of the registers: field kinds, enumerations and the column spec types.

A register is the shape of one spreadsheet: the entity directory (检查对象名录库), the
inspector directory (执法检查人员名录库) and the matter list (抽查事项清单). Each field has a
key (the name in code and in the database), the Chinese header the template writes, the
synonyms offices actually use for it, and a kind that says how a cell becomes a value.
The registers' columns themselves are in ``bot.domain.registers.columns``; validation is
``bot.domain.registers.validation``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from bot.domain.cells import label_key


class Register(StrEnum):
    ENTITIES = "entities"
    INSPECTORS = "inspectors"
    MATTERS = "matters"


class FieldKind(StrEnum):
    TEXT = "text"
    CODE = "code"  # NFKC, upper case, no whitespace; a >15-digit number is an error
    USCC = "uscc"  # a code checked against GB 32100-2015
    PHONE = "phone"
    DATE = "date"
    ENUM = "enum"
    TAGS = "tags"
    RATIO = "ratio"  # per mille
    BOOL = "bool"


@dataclass(frozen=True, slots=True)
class Choice:
    """One value of an enumeration: stored ``code``, its labels, and what else people
    write for it."""

    code: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One column of a register.

    ``closed``: for ENUM and TAGS with choices, whether a value outside them is an error
    (closed) or kept as written (the choices are then suggestions, canonicalised when
    they match). ``public``: shown in a public export (公示). ``note``: the template's
    notes-row text. ``max_length``: of text, matching the database column.
    """

    key: str
    header: str
    header_en: str
    kind: FieldKind = FieldKind.TEXT
    synonyms: tuple[str, ...] = ()
    required: bool = False
    choices: tuple[Choice, ...] = ()
    closed: bool = True
    public: bool = True
    max_length: int | None = 200
    note: str = ""
    width: int = 16

    # label_key(label) -> code for every accepted spelling of every choice; computed once,
    # since validation looks labels up for every cell of an enumeration column.
    labels: Mapping[str, str] = dataclasses.field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        table: dict[str, str] = {}
        for c in self.choices:
            for spelling in (c.code, c.zh, c.en, *c.aliases):
                table.setdefault(label_key(spelling), c.code)
        object.__setattr__(self, "labels", MappingProxyType(table))

    def label(self, code: str, lang: str = "zh") -> str:
        """The display label of a choice code (the code itself if it is not a choice)."""
        for c in self.choices:
            if c.code == code:
                return c.en if lang == "en" else c.zh
        return code


@dataclass(frozen=True, slots=True)
class RegisterSpec:
    register: Register
    title: str  # Chinese name, as the city's notice writes it
    title_en: str
    fields: tuple[FieldSpec, ...]

    def field(self, key: str) -> FieldSpec:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)

    @property
    def required(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.required)


# --- enumerations ---------------------------------------------------------------------------

ENTITY_KINDS: Final = (
    Choice("enterprise", "企业", "enterprise", ("公司", "企业法人", "非法人企业", "市场主体")),
    Choice("individual", "个体工商户", "individual business", ("个体", "个体户", "个体经营")),
    Choice("cooperative", "农民专业合作社", "farmers' cooperative", ("合作社", "专业合作社")),
    Choice("product", "产品", "product"),
    Choice("project", "项目", "project", ("工程项目", "建设项目")),
    Choice("behaviour", "行为", "behaviour", ("behavior",)),
    Choice("other", "其他", "other", ("其它",)),
)
ENTITY_STATUSES: Final = (
    Choice("active", "存续", "active", ("在业", "开业", "正常", "在营", "存续(在营、开业、在册)")),
    Choice("deregistered", "注销", "deregistered", ("已注销",)),
    Choice("revoked", "吊销", "revoked", ("已吊销", "吊销未注销", "吊销,未注销")),
    Choice("closed", "停业", "closed", ("歇业", "停业/歇业", "已关闭", "停业歇业")),
)
# 企业信用风险分类 (SAMR): A low, B medium, C elevated, D high.
RISK_CLASSES: Final = (
    Choice("A", "A类（信用风险低）", "A (low risk)", ("A类", "低风险", "信用风险低", "甲", "甲类")),
    Choice(
        "B", "B类（信用风险一般）", "B (medium risk)", ("B类", "一般风险", "信用风险一般", "乙")
    ),
    Choice(
        "C", "C类（信用风险较高）", "C (elevated risk)", ("C类", "较高风险", "信用风险较高", "丙")
    ),
    Choice("D", "D类（信用风险高）", "D (high risk)", ("D类", "高风险", "信用风险高", "丁")),
)
# The three kinds of people the city's rules (管理制度 第三条) put in the inspector
# directory. Open: units write their own wording, kept as written.
QUALIFICATIONS: Final = (
    Choice(
        "enforcement_officer",
        "行政执法类公务员",
        "administrative enforcement civil servant",
        ("执法类公务员", "公务员"),
    ),
    Choice(
        "certified_staff",
        "具有行政执法资格的工作人员",
        "staff qualified for administrative enforcement",
        ("具有执法资格", "执法资格", "具有行政执法资格", "持证"),
    ),
    Choice(
        "supervision_staff",
        "从事日常监管工作的人员",
        "routine supervision staff",
        ("日常监管", "日常监管人员", "监管人员"),
    ),
)
# Inspection methods in the national practice. Open: "现场检查+抽样检测" and local wording
# are common and kept.
METHODS: Final = (
    Choice("onsite", "现场检查", "on-site inspection", ("实地检查", "实地核查", "现场核查")),
    Choice("documentary", "书面检查", "documentary review", ("书面审查", "材料审查", "书面核查")),
    Choice("online", "网络监测", "online monitoring", ("网络核查", "网上检查", "网络检查")),
    Choice("sampling", "抽样检测", "sampling and testing", ("抽样检验", "抽检", "检验检测")),
    Choice(
        "third_party",
        "委托专业机构核查",
        "check by a commissioned professional body",
        ("专业机构核查", "第三方核查", "委托第三方"),
    ),
)
BOOL_CHOICES: Final = (Choice("true", "是", "yes"), Choice("false", "否", "no"))
