"""The columns of the three registers (一单两库) and how a header cell names one.

The Chinese headers are the ones the templates write; the synonyms are what offices
actually put above their columns. Field keys are the names in code and in the database.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from bot.domain.cells import label_key
from bot.domain.registers.specs import (
    BOOL_CHOICES,
    ENTITY_KINDS,
    ENTITY_STATUSES,
    METHODS,
    QUALIFICATIONS,
    RISK_CLASSES,
    FieldKind,
    FieldSpec,
    Register,
    RegisterSpec,
)

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
                # Combined columns of other systems' exports: the value decides whether a
                # cell is a USCC or an old registration number (bot.domain.registers.uscc).
                # Any other header naming both is matched too (match_header).
                "统一社会信用代码(注册号)",
                "统一社会信用代码/注册号",
                "注册号/统一社会信用代码",
                "注册号(统一社会信用代码)",
                "统一社会信用代码或注册号",
                "注册号或统一社会信用代码",
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
            synonyms=("工商注册号", "营业执照注册号", "原注册号", "原工商注册号"),
            max_length=32,
            note="无统一社会信用代码时填写注册号（15位、13位或旧式“××字第××号”，可空）",
            width=18,
        ),
        FieldSpec(
            "authority",
            "登记机关",
            "registration authority",
            synonyms=("登记管理机关", "发照机关", "核准机关", "原登记机关"),
            max_length=100,
            note="可空；核发营业执照的登记机关",
            width=20,
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
            synonyms=(
                "所属区域",
                "片区",
                "所属片区",
                "辖区",
                "所属辖区",
                "所属乡镇",
                "乡镇(街道)",
                # The supervising office in other systems' exports.
                "管辖单位",
                "管辖机关",
                "所属监管所",
                "监管所",
                "管辖所",
            ),
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
    spec = spec_of(register)
    index = _header_index(spec)
    key = header_key(text)
    if not key:
        return None
    found = index.get(key)
    if found is None and spec.register is Register.ENTITIES and _is_combined_code(key):
        return "uscc"
    if found is None and (stripped := _TRAILING_NOTE.sub("", key)) != key:
        found = index.get(stripped)
    return found


def _is_combined_code(key: str) -> bool:
    """A header naming both the USCC and the registration number, in any words
    (注册号（统一社会信用代码）, 统一社会信用代码、注册号, 信用代码/注册号): one column of
    either, whose values say which each is."""
    return "注册号" in key and "信用代码" in key
