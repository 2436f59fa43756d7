"""The three registers a unit keeps (一单两库): their columns, and row validation.

A register is the shape of one spreadsheet: the entity directory (检查对象名录库), the
inspector directory (执法检查人员名录库) and the matter list (抽查事项清单). Each field has a
key (the name in code and in the database), the Chinese header the template writes, the
synonyms offices actually use for it, and a kind that says how a cell becomes a value.

Validation is per row and pure: ``validate_row`` turns the raw cells of one row into values
plus problems (reason codes with parameters, translated elsewhere), and
``find_duplicates`` looks across the rows of one file for two rows that would update the
same record on import (DESIGN section 5: the re-import keys).

Only the fields present in ``raw`` are validated and returned: a column absent from the
file is never touched. A blank cell gives the value None.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Literal

from bot.domain import cells
from bot.domain.cells import CellValue, Parsed, label_key
from bot.domain.uscc import check_uscc

Severity = Literal["error", "warning"]
Params = Mapping[str, str]
_NO_PARAMS: Final[Params] = MappingProxyType({})

# Reason codes of this module (cells and uscc define their own).
REQUIRED: Final = "field.required"
TOO_LONG: Final = "field.too_long"
FORBIDDEN_CHARS: Final = "field.forbidden_chars"
KIND_MISMATCH: Final = "entity.kind_mismatch"
CERT_EXPIRED: Final = "inspector.cert_expired"
CERT_EXPIRING: Final = "inspector.cert_expiring"
NO_CERT: Final = "inspector.no_cert"
TARGET_KIND_OTHER: Final = "matter.target_kind_other"
DUP_USCC: Final = "dup.uscc"
DUP_LOCAL_NO: Final = "dup.local_no"
DUP_CERT_NO: Final = "dup.cert_no"
DUP_CODE: Final = "dup.code"
DUP_NAME: Final = "dup.name"
DUP_NAME_ADDRESS: Final = "dup.name_address"


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

# --- the registers ---------------------------------------------------------------------------

_LOCAL_NO = FieldSpec(
    "local_no",
    "本单位编号",
    "local number",
    FieldKind.CODE,
    # Never 序号: that column is a row counter, renumbered whenever rows are sorted.
    synonyms=("编号", "内部编号", "名录编号", "单位内部编号"),
    max_length=50,
    note="本单位自编的唯一编号（可空）；无统一社会信用代码时用于再次导入时识别记录",
    width=14,
)

ENTITIES: Final = RegisterSpec(
    Register.ENTITIES,
    "检查对象名录库",
    "entity directory",
    (
        FieldSpec(
            "name",
            "市场主体名称",
            "name",
            synonyms=("名称", "企业名称", "检查对象名称", "主体名称", "对象名称", "单位名称"),
            required=True,
            note="必填；市场主体名称，或产品、项目、行为的名称",
            width=30,
        ),
        FieldSpec(
            "uscc",
            "统一社会信用代码",
            "unified social credit code",
            FieldKind.USCC,
            synonyms=(
                "信用代码",
                "社会信用代码",
                "统一代码",
                "uscc",
                "统一社会信用代码(注册号)",
                "统一社会信用代码/注册号",
            ),
            max_length=18,
            note="18位，按文本填写；老注册号可填在“注册号”列",
            width=22,
        ),
        FieldSpec(
            "reg_no",
            "注册号",
            "registration number",
            FieldKind.CODE,
            synonyms=("工商注册号", "营业执照注册号", "原注册号"),
            max_length=20,
            note="无统一社会信用代码时填写15位注册号（可空）",
            width=18,
        ),
        _LOCAL_NO,
        FieldSpec(
            "kind",
            "类型",
            "kind",
            FieldKind.ENUM,
            synonyms=("主体类型", "对象类型", "市场主体类型", "检查对象类别"),
            choices=ENTITY_KINDS,
            note="企业/个体工商户/农民专业合作社/产品/项目/行为/其他；空则按信用代码判断",
            width=14,
        ),
        FieldSpec(
            "legal_rep",
            "法定代表人（负责人）",
            "legal representative",
            synonyms=(
                "法定代表人",
                "负责人",
                "法定代表人/负责人",
                "法人代表",
                "经营者",
                "法定代表人(经营者)",
            ),
            max_length=100,
            note="个体工商户填经营者",
            width=14,
        ),
        FieldSpec(
            "address",
            "经常居住地",
            "address",
            synonyms=(
                "住所",
                "地址",
                "经营场所",
                "住所(经营场所)",
                "住所/经营场所",
                "注册地址",
                "经营地址",
                "生产经营地址",
            ),
            max_length=300,
            note="住所或经营场所；个体工商户的地址不公示",
            width=36,
        ),
        FieldSpec(
            "contact_name",
            "联络人",
            "contact person",
            synonyms=("联系人",),
            public=False,
            max_length=100,
            note="不公示",
            width=12,
        ),
        FieldSpec(
            "phone",
            "联系方式",
            "phone",
            FieldKind.PHONE,
            synonyms=("联系电话", "电话", "手机", "手机号码", "联系人电话", "电话号码"),
            public=False,
            max_length=100,
            note="手机11位或带区号的固定电话，多个用“/”分隔；按文本填写；不公示",
            width=18,
        ),
        FieldSpec(
            "industry",
            "行业",
            "industry",
            synonyms=("所属行业", "行业类别", "行业分类", "行业门类"),
            max_length=100,
            width=14,
        ),
        FieldSpec(
            "area",
            "区域",
            "area",
            synonyms=("所属区域", "片区", "所属片区", "辖区", "所属辖区", "所属乡镇", "乡镇(街道)"),
            max_length=100,
            width=12,
        ),
        FieldSpec(
            "risk_class",
            "风险等级",
            "risk class",
            FieldKind.ENUM,
            synonyms=("信用风险分类", "信用风险等级", "风险分类", "风险类别", "信用风险类别"),
            choices=RISK_CLASSES,
            public=False,
            note="A/B/C/D（信用风险低/一般/较高/高）；不公示",
            width=12,
        ),
        FieldSpec(
            "status",
            "状态",
            "status",
            FieldKind.ENUM,
            synonyms=("登记状态", "经营状态", "主体状态"),
            choices=ENTITY_STATUSES,
            note="存续/注销/吊销/停业；空视为存续",
            width=10,
        ),
    ),
)

INSPECTORS: Final = RegisterSpec(
    Register.INSPECTORS,
    "执法检查人员名录库",
    "inspector directory",
    (
        FieldSpec(
            "name",
            "姓名",
            "name",
            synonyms=("执法人员姓名", "检查人员姓名", "人员姓名"),
            required=True,
            max_length=100,
            note="必填",
            width=12,
        ),
        FieldSpec(
            "cert_no",
            "执法证号",
            "certificate number",
            FieldKind.CODE,
            synonyms=(
                "执法证件号",
                "证件号码",
                "执法证件号码",
                "执法证编号",
                "行政执法证号",
                "执法证号码",
            ),
            max_length=50,
            note="按文本填写；无执法证的人员不能被抽取",
            width=20,
        ),
        FieldSpec(
            "cert_expires",
            "证件有效期",
            "certificate valid until",
            FieldKind.DATE,
            synonyms=("有效期至", "有效期", "执法证有效期", "有效期限", "证件有效期至"),
            note="截止日期，如2028-12-31；长期有效填“长期”",
            width=14,
        ),
        _LOCAL_NO,
        FieldSpec(
            "qualification",
            "执法资格",
            "qualification",
            FieldKind.ENUM,
            synonyms=("资格", "执法资格类型", "人员类别"),
            choices=QUALIFICATIONS,
            closed=False,
            note="行政执法类公务员/具有行政执法资格的工作人员/从事日常监管工作的人员",
            width=20,
        ),
        FieldSpec(
            "expertise",
            "业务专长",
            "expertise",
            FieldKind.TAGS,
            synonyms=("专长", "执法专长", "业务领域"),
            note="多个用“、”分隔",
            width=20,
        ),
        FieldSpec(
            "areas",
            "执法区域",
            "areas",
            FieldKind.TAGS,
            synonyms=("区域", "负责区域", "执法片区", "检查区域"),
            note="多个用“、”分隔",
            width=20,
        ),
        FieldSpec(
            "unit_name",
            "所属单位",
            "unit",
            synonyms=("单位", "工作单位", "所在单位", "所属部门"),
            max_length=200,
            note="可空；导入到上传者的单位",
            width=20,
        ),
    ),
)

MATTERS: Final = RegisterSpec(
    Register.MATTERS,
    "抽查事项清单",
    "matter list",
    (
        FieldSpec(
            "code",
            "事项编码",
            "matter code",
            FieldKind.CODE,
            synonyms=("编码", "事项编号", "抽查事项编码", "抽查事项编号"),
            max_length=50,
            note="本单位内唯一（可空）；再次导入时用于识别事项",
            width=14,
        ),
        FieldSpec(
            "name",
            "事项名称",
            "matter",
            synonyms=("抽查事项", "抽查事项名称", "检查事项", "检查事项名称"),
            required=True,
            max_length=300,
            note="必填",
            width=30,
        ),
        FieldSpec(
            "legal_basis",
            "抽查依据",
            "legal basis",
            synonyms=("法律依据", "检查依据", "依据", "抽查依据(法律法规)"),
            max_length=2000,
            width=40,
        ),
        FieldSpec(
            "target_kind",
            "抽查对象",
            "target kind",
            FieldKind.TAGS,
            synonyms=("检查对象类型", "抽查对象类型", "检查对象", "抽查对象范围"),
            choices=ENTITY_KINDS,
            note="企业/个体工商户/农民专业合作社/产品/项目/行为/其他，可多选",
            width=20,
        ),
        FieldSpec(
            "method",
            "抽查方式",
            "method",
            FieldKind.TAGS,
            synonyms=("检查方式", "抽查方法", "检查方法"),
            choices=METHODS,
            closed=False,
            note="现场检查/书面检查/网络监测/抽样检测/委托专业机构核查，可多选",
            width=20,
        ),
        FieldSpec(
            "ratio",
            "抽查比例",
            "ratio",
            FieldKind.RATIO,
            synonyms=("比例", "抽取比例", "检查比例"),
            note="如5%或0.05",
            width=10,
        ),
        FieldSpec(
            "frequency",
            "抽查频次",
            "frequency",
            synonyms=("频次", "检查频次", "抽查频率"),
            max_length=100,
            note="如每年1次",
            width=12,
        ),
        FieldSpec(
            "double_random",
            "是否双随机",
            "double random",
            FieldKind.BOOL,
            synonyms=("是否双随机抽查", "双随机"),
            choices=BOOL_CHOICES,
            note="是/否",
            width=10,
        ),
        FieldSpec(
            "joint_ok",
            "是否可联合",
            "joint inspection possible",
            FieldKind.BOOL,
            synonyms=("联合抽查", "是否联合抽查", "是否可联合抽查", "可否联合抽查"),
            choices=BOOL_CHOICES,
            note="是/否",
            width=10,
        ),
    ),
)

SPECS: Final[Mapping[Register, RegisterSpec]] = MappingProxyType(
    {Register.ENTITIES: ENTITIES, Register.INSPECTORS: INSPECTORS, Register.MATTERS: MATTERS}
)


def spec_of(register: Register | RegisterSpec) -> RegisterSpec:
    return register if isinstance(register, RegisterSpec) else SPECS[register]


# --- headers ---------------------------------------------------------------------------------

# Decorations around a header's words: required markers, a trailing colon.
_HEADER_NOISE: Final = re.compile(r"[*＊:：]")
_TRAILING_NOTE: Final = re.compile(r"\([^()]*\)$")


def header_key(text: str) -> str:
    """Compare form of a header: label_key without required markers or colons."""
    return _HEADER_NOISE.sub("", label_key(text))


@functools.cache
def _header_index(spec: RegisterSpec) -> Mapping[str, str]:
    table: dict[str, str] = {}
    for f in spec.fields:
        for name in (f.header, f.header_en, *f.synonyms):
            key = header_key(name)
            if table.setdefault(key, f.key) != f.key:
                raise ValueError(f"{spec.register}: header {name!r} names two fields")
    return MappingProxyType(table)


def match_header(register: Register | RegisterSpec, text: str) -> str | None:
    """The field a header cell names, or None. Exact (after ``header_key``) first, then
    without a trailing parenthesised note: "证件有效期(年月日)" is 证件有效期."""
    index = _header_index(spec_of(register))
    key = header_key(text)
    if not key:
        return None
    found = index.get(key)
    if found is None and (stripped := _TRAILING_NOTE.sub("", key)) != key:
        found = index.get(stripped)
    return found


# --- problems and results -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong (or worth a look) in a file.

    ``field`` is a field key (None for a row or a file as a whole), ``value`` the raw cell
    as read, ``reason`` a code of ``bot.domain.reasons.REASONS`` whose sentence
    interpolates ``params``.
    """

    field: str | None
    value: object
    reason: str
    params: Params = dataclasses.field(default_factory=lambda: _NO_PARAMS)


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem located in a file: the Excel row number (None: the whole file)."""

    row: int | None
    severity: Severity
    problem: Problem


@dataclass(slots=True)
class RowResult:
    values: dict[str, object]
    errors: list[Problem] = dataclasses.field(default_factory=list)
    warnings: list[Problem] = dataclasses.field(default_factory=list)

    def findings(self, row: int) -> list[Finding]:
        return [Finding(row, "error", p) for p in self.errors] + [
            Finding(row, "warning", p) for p in self.warnings
        ]


@dataclass(frozen=True, slots=True)
class RowContext:
    """What validation needs from outside: today's date (the clock is an argument), and
    how far ahead a certificate expiry deserves a warning."""

    today: date
    cert_warning_days: int = 90


# --- validation -----------------------------------------------------------------------------

# Characters a draw refuses in a key (DESIGN section 6, bot.domain.draw): "|" and the
# control (Cc) and line/paragraph separator (Zl, Zp) characters. Caught here, on import,
# rather than when a draw of a certificate number fails months later.
_KEY_FORBIDDEN: Final = re.compile("[|\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _too_long(spec: FieldSpec) -> Parsed[object]:
    return Parsed(None, error=TOO_LONG, params=MappingProxyType({"max": str(spec.max_length)}))


def _parse(spec: FieldSpec, raw: CellValue) -> Parsed[object]:
    """Every kind but TEXT and USCC, which validate_row handles inline."""
    kind = spec.kind
    if kind is FieldKind.CODE:
        code = cells.code_text(raw)
        if code.value is not None:
            if _KEY_FORBIDDEN.search(code.value):
                return Parsed(None, error=FORBIDDEN_CHARS)
            if spec.max_length is not None and len(code.value) > spec.max_length:
                return _too_long(spec)
        return code
    if kind is FieldKind.PHONE:
        return cells.phone(raw)
    if kind is FieldKind.DATE:
        return cells.date_value(raw, range_end=True, open_ended=True)
    if kind is FieldKind.ENUM:
        return _parse_choice(spec, raw)
    if kind is FieldKind.TAGS:
        return _parse_tags(spec, raw)
    if kind is FieldKind.RATIO:
        return cells.ratio_permille(raw)
    if kind is FieldKind.BOOL:
        return cells.boolean(raw)
    raise AssertionError(kind)


def _allowed(spec: FieldSpec) -> str:
    return "、".join(c.zh for c in spec.choices)


def _parse_choice(spec: FieldSpec, raw: CellValue) -> Parsed[object]:
    text = cells.clean_text(raw)
    if text is None:
        return Parsed(None)
    code = spec.labels.get(label_key(text))
    if code is not None or not spec.closed:
        return Parsed(code or text)
    return cells.choice(raw, spec.labels, _allowed(spec))  # the error, with its parameters


# Matching a written target kind that is not one of the labels: the wording offices use
# ("食品生产企业", "个体工商户及企业") names the kind inside a longer phrase. Checked in order.
_TARGET_KIND_WORDS: Final = (
    ("个体", "individual"),
    ("合作社", "cooperative"),
    ("企业", "enterprise"),
    ("公司", "enterprise"),
    ("产品", "product"),
    ("项目", "project"),
    ("行为", "behaviour"),
)


def _parse_tags(spec: FieldSpec, raw: CellValue) -> Parsed[object]:
    parts = cells.tags(raw)
    if parts is None or not spec.choices:
        return Parsed(parts)
    labels = spec.labels
    found: list[str] = []
    unknown: list[str] = []
    for part in parts:
        code = labels.get(label_key(part))
        if code is None and spec.key == "target_kind":
            hits = [c for word, c in _TARGET_KIND_WORDS if word in part]
            found.extend(hits)
            if not hits:
                unknown.append(part)
                found.append("other")
            continue
        if code is None and spec.closed:
            return Parsed(
                None,
                error=cells.ENUM_INVALID,
                params=MappingProxyType({"shown": part, "allowed": _allowed(spec)}),
            )
        found.append(code or part)
    value = tuple(dict.fromkeys(found))
    if unknown:
        return Parsed(
            value,
            warning=TARGET_KIND_OTHER,
            params=MappingProxyType({"shown": "、".join(unknown)}),
        )
    return Parsed(value)


def kind_from_uscc(code: str | None) -> str | None:
    """An entity's kind as its USCC category says (工商 91/92/93), else None."""
    return {"91": "enterprise", "92": "individual", "93": "cooperative"}.get((code or "")[:2])


def validate_row(
    register: Register | RegisterSpec, raw: Mapping[str, CellValue], ctx: RowContext
) -> RowResult:
    """Validate one row: ``raw`` maps field keys (only the columns the file has) to raw
    cells. Errors block the row; warnings do not."""
    spec = spec_of(register)
    result = RowResult(values={})
    old_regno: str | None = None
    for f in spec.fields:
        if f.key not in raw:
            continue
        cell = raw[f.key]
        if f.kind is FieldKind.TEXT:  # most columns: no Parsed round trip
            text = cells.clean_text(cell)
            if text is not None and f.max_length is not None and len(text) > f.max_length:
                result.errors.append(Problem(f.key, cell, TOO_LONG, _too_long(f).params))
                text = None
            result.values[f.key] = text
        elif f.kind is FieldKind.USCC:
            old_regno = _validate_uscc(f, cell, result)
        else:
            parsed = _parse(f, cell)
            result.values[f.key] = parsed.value
            if parsed.error is not None:
                result.errors.append(Problem(f.key, cell, parsed.error, parsed.params))
            if parsed.warning is not None:
                result.warnings.append(Problem(f.key, cell, parsed.warning, parsed.params))
        if f.required and result.values.get(f.key) is None and not _has_error(result, f.key):
            result.errors.append(Problem(f.key, cell, REQUIRED))
    if old_regno is not None and result.values.get("reg_no") is None:
        # A registration number in the USCC column ("统一社会信用代码（注册号）"): keep it
        # as the registration number unless the row has its own.
        result.values["reg_no"] = old_regno
    if spec.register is Register.ENTITIES:
        _entity_rules(raw, result)
    elif spec.register is Register.INSPECTORS:
        _inspector_rules(raw, result, ctx)
    return result


def _has_error(result: RowResult, key: str) -> bool:
    return any(p.field == key for p in result.errors)


def _validate_uscc(f: FieldSpec, cell: CellValue, result: RowResult) -> str | None:
    """Check the USCC cell; return an old registration number found in it, if any."""
    code = cells.code_text(cell)
    if code.error is not None:
        result.values[f.key] = None
        result.errors.append(Problem(f.key, cell, code.error, code.params))
        return None
    if code.value is None:
        result.values[f.key] = None
        return None
    check = check_uscc(code.value)
    params = MappingProxyType(dict(check.params))
    result.values[f.key] = None if check.errors or check.old_regno else check.value
    result.errors.extend(Problem(f.key, cell, reason, params) for reason in check.errors)
    result.warnings.extend(Problem(f.key, cell, reason, params) for reason in check.warnings)
    return check.value if check.old_regno else None


def _entity_rules(raw: Mapping[str, CellValue], result: RowResult) -> None:
    values = result.values
    uscc_kind = kind_from_uscc(values.get("uscc"))  # type: ignore[arg-type]
    if "kind" not in raw or uscc_kind is None or _has_error(result, "kind"):
        return
    if values.get("kind") is None:
        # A blank type cell would clear the kind in whole-directory mode; the USCC's
        # category is authoritative for market entities.
        values["kind"] = uscc_kind
    elif values["kind"] != uscc_kind:
        result.warnings.append(
            Problem(
                "kind",
                raw["kind"],
                KIND_MISMATCH,
                MappingProxyType({"uscc_kind": ENTITIES.field("kind").label(uscc_kind)}),
            )
        )


def _inspector_rules(raw: Mapping[str, CellValue], result: RowResult, ctx: RowContext) -> None:
    values = result.values
    if "cert_no" in raw and values.get("cert_no") is None and not _has_error(result, "cert_no"):
        result.warnings.append(Problem("cert_no", raw["cert_no"], NO_CERT))
    expires = values.get("cert_expires")
    if not isinstance(expires, date) or expires == cells.OPEN_ENDED:
        return
    params = MappingProxyType({"date": expires.isoformat()})
    if expires < ctx.today:
        result.warnings.append(Problem("cert_expires", raw["cert_expires"], CERT_EXPIRED, params))
    elif expires <= ctx.today + timedelta(days=ctx.cert_warning_days):
        days = str((expires - ctx.today).days)
        result.warnings.append(
            Problem(
                "cert_expires",
                raw["cert_expires"],
                CERT_EXPIRING,
                MappingProxyType({"date": expires.isoformat(), "days": days}),
            )
        )


# --- duplicates within one file ---------------------------------------------------------------


def _fold(value: object) -> str:
    return label_key(value) if isinstance(value, str) else ""


def find_duplicates(
    register: Register | RegisterSpec, rows: Iterable[tuple[int, Mapping[str, object]]]
) -> list[Finding]:
    """Rows of one file that would land on the same record (DESIGN section 5's keys).

    ``rows`` are (Excel row number, validated values). Each identifier a row carries
    (USCC, local number, certificate number, matter code) must be unique in the file; a
    row with none of them is identified by (kind, name, address) for entities and by name
    for inspectors and matters. Every row of a duplicate group gets an error naming the
    others, because which of them is right is for a person to say.
    """
    spec = spec_of(register)
    identifiers: tuple[tuple[str, str], ...] = {
        Register.ENTITIES: (("uscc", DUP_USCC), ("local_no", DUP_LOCAL_NO)),
        Register.INSPECTORS: (("cert_no", DUP_CERT_NO), ("local_no", DUP_LOCAL_NO)),
        Register.MATTERS: (("code", DUP_CODE),),
    }[spec.register]
    groups: dict[tuple[str, str], list[tuple[int, object]]] = defaultdict(list)
    for row, values in rows:
        identified = False
        for key, _reason in identifiers:
            value = values.get(key)
            if isinstance(value, str) and value:
                groups[(key, value)].append((row, value))
                identified = True
        if identified:
            continue
        name = _fold(values.get("name"))
        if not name:
            continue
        if spec.register is Register.ENTITIES:
            kind = values.get("kind")
            fallback = (
                f"{kind if isinstance(kind, str) else ''}|{name}|{_fold(values.get('address'))}"
            )
            groups[("name_address", fallback)].append((row, values.get("name")))
        else:
            groups[("name", name)].append((row, values.get("name")))
    reasons = dict(identifiers) | {"name_address": DUP_NAME_ADDRESS, "name": DUP_NAME}
    found: list[Finding] = []
    for (key, _), members in groups.items():
        if len(members) < 2:
            continue
        field_key = "name" if key == "name_address" else key
        for row, value in members:
            others = ", ".join(str(r) for r, _ in members if r != row)
            found.append(
                Finding(
                    row,
                    "error",
                    Problem(field_key, value, reasons[key], MappingProxyType({"rows": others})),
                )
            )
    found.sort(key=lambda f: (f.row or 0, f.problem.reason))
    return found


def public_fields(register: Register | RegisterSpec) -> Sequence[FieldSpec]:
    """The fields a public export (公示) may show."""
    return tuple(f for f in spec_of(register).fields if f.public)
