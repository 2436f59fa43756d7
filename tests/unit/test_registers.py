"""The registers' columns, row validation and duplicate detection (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain import reasons
from bot.domain.cells import CellValue, label_key
from bot.domain.registers.columns import ENTITIES, INSPECTORS, MATTERS, SPECS, match_header
from bot.domain.registers.specs import FieldKind, Register
from bot.domain.registers.uscc import check_character, org_code_check_character
from bot.domain.registers.validation import (
    RowContext,
    find_duplicates,
    kind_from_uscc,
    public_fields,
    validate_row,
)

CTX = RowContext(today=date(2026, 6, 1))
USCC = "914403001922038216"
USCC_92 = "92410481MA40QB2D" + org_code_check_character("MA40QB2D")
USCC_92 += check_character(USCC_92)


def reasons_of(problems: list) -> list[str]:  # type: ignore[type-arg]
    return [p.reason for p in problems]


# --- headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("register", "header", "key"),
    [
        (Register.ENTITIES, "市场主体名称", "name"),
        (Register.ENTITIES, "企业名称", "name"),
        (Register.ENTITIES, "检查对象名称", "name"),
        (Register.ENTITIES, "统一社会信用代码", "uscc"),
        (Register.ENTITIES, "社会信用代码", "uscc"),
        (Register.ENTITIES, "统一社会信用代码（注册号）", "uscc"),
        (Register.ENTITIES, "注册号", "reg_no"),
        (Register.ENTITIES, "法定代表人（负责人）", "legal_rep"),
        (Register.ENTITIES, "负责人", "legal_rep"),
        (Register.ENTITIES, "经常居住地", "address"),
        (Register.ENTITIES, "经营场所", "address"),
        (Register.ENTITIES, "联系人", "contact_name"),
        (Register.ENTITIES, "联系电话", "phone"),
        (Register.ENTITIES, "对象类型", "kind"),
        (Register.ENTITIES, "片区", "area"),
        (Register.ENTITIES, "信用风险分类", "risk_class"),
        (Register.ENTITIES, "本单位编号", "local_no"),
        (Register.ENTITIES, "*市场主体名称", "name"),
        (Register.ENTITIES, " 企业 名称： ", "name"),
        (Register.ENTITIES, "联系电话(手机)", "phone"),  # a trailing note is ignored
        (Register.INSPECTORS, "执法证件号", "cert_no"),
        (Register.INSPECTORS, "有效期至", "cert_expires"),
        (Register.INSPECTORS, "证件有效期（年月日）", "cert_expires"),
        (Register.INSPECTORS, "区域", "areas"),
        (Register.INSPECTORS, "专长", "expertise"),
        (Register.MATTERS, "抽查事项", "name"),
        (Register.MATTERS, "法律依据", "legal_basis"),
        (Register.MATTERS, "检查对象类型", "target_kind"),
        (Register.MATTERS, "联合抽查", "joint_ok"),
    ],
)
def test_header_synonyms(register: Register, header: str, key: str) -> None:
    assert match_header(register, header) == key


@pytest.mark.parametrize("header", ["序号", "备注", "", "名称说明"])
def test_row_counters_and_unknown_headers_map_to_nothing(header: str) -> None:
    # 序号 is a row counter, renumbered whenever rows are sorted: never a key.
    assert match_header(Register.ENTITIES, header) is None


def test_every_header_and_synonym_names_one_field_per_register() -> None:
    for spec in SPECS.values():
        for f in spec.fields:
            for name in (f.header, f.header_en, *f.synonyms):
                assert match_header(spec, name) == f.key, (spec.register, name)


def test_every_register_requires_a_name_and_keeps_private_fields_out_of_public() -> None:
    for spec in SPECS.values():
        assert [f.key for f in spec.required] == ["name"]
    assert {f.key for f in ENTITIES.fields} - {f.key for f in public_fields(ENTITIES)} == {
        "risk_class",
        "phone",
        "contact_name",
    }


def test_enumerations_have_unique_labels() -> None:
    for spec in SPECS.values():
        for f in spec.fields:
            if f.kind in (FieldKind.ENUM, FieldKind.TAGS) and f.choices:
                codes = {c.code for c in f.choices}
                assert set(f.labels.values()) == codes
                for c in f.choices:
                    for spelling in (c.code, c.zh, c.en, *c.aliases):
                        assert f.labels[label_key(spelling)] == c.code, (f.key, spelling)


# --- entities ---------------------------------------------------------------------------------


def test_a_full_entity_row() -> None:
    raw: dict[str, CellValue] = {
        "name": "\u3000舞钢市甲有限公司 ",
        "uscc": "９１４４０３００１９２２０３８２１６",
        "legal_rep": "张三",
        "address": "舞钢市垭口街道1号",
        "contact_name": "李四",
        "phone": 13812345678.0,
        "kind": "企业",
        "industry": "制造业",
        "area": "垭口",
        "risk_class": "A类",
        "status": "在业",
        "local_no": "L-001",
    }
    result = validate_row(Register.ENTITIES, raw, CTX)
    assert result.errors == []
    assert result.warnings == []
    assert result.values == {
        "name": "舞钢市甲有限公司",
        "uscc": USCC,
        "legal_rep": "张三",
        "address": "舞钢市垭口街道1号",
        "contact_name": "李四",
        "phone": "13812345678",
        "kind": "enterprise",
        "industry": "制造业",
        "area": "垭口",
        "risk_class": "A",
        "status": "active",
        "local_no": "L-001",
    }


def test_absent_columns_are_not_in_the_values_and_blanks_are_none() -> None:
    result = validate_row(Register.ENTITIES, {"name": "甲", "phone": ""}, CTX)
    assert result.values == {"name": "甲", "phone": None}
    assert result.errors == []


@pytest.mark.parametrize("blank", [None, "", "\u3000"])
def test_required_name(blank: str | None) -> None:
    result = validate_row(Register.ENTITIES, {"name": blank, "uscc": USCC}, CTX)
    assert reasons_of(result.errors) == ["field.required"]
    assert result.errors[0].field == "name"


def test_uscc_errors_and_warnings_are_reported_on_the_field() -> None:
    bad = validate_row(Register.ENTITIES, {"name": "甲", "uscc": USCC[:17] + "7"}, CTX)
    assert [(p.field, p.reason) for p in bad.errors] == [("uscc", "uscc.check_digit")]
    assert bad.values["uscc"] is None
    lost = validate_row(Register.ENTITIES, {"name": "甲", "uscc": 9.14104e17}, CTX)
    assert reasons_of(lost.errors) == ["cell.lost_digits"]
    assert lost.errors[0].params == {"shown": "9.14104E+17"}


def test_old_registration_number_in_the_uscc_column_moves_to_reg_no() -> None:
    result = validate_row(Register.ENTITIES, {"name": "甲", "uscc": 410481000012345.0}, CTX)
    assert result.errors == []
    assert reasons_of(result.warnings) == ["uscc.old_regno"]
    assert result.values["uscc"] is None
    assert result.values["reg_no"] == "410481000012345"
    own = validate_row(
        Register.ENTITIES,
        {"name": "甲", "uscc": "410481000012345", "reg_no": "410481000099999"},
        CTX,
    )
    assert own.values["reg_no"] == "410481000099999"


def test_blank_kind_comes_from_the_uscc_and_a_contradiction_is_a_warning() -> None:
    derived = validate_row(Register.ENTITIES, {"name": "甲", "uscc": USCC_92, "kind": ""}, CTX)
    assert derived.values["kind"] == "individual"
    assert derived.warnings == []
    absent = validate_row(Register.ENTITIES, {"name": "甲", "uscc": USCC_92}, CTX)
    assert "kind" not in absent.values  # an absent column is never touched
    mismatch = validate_row(Register.ENTITIES, {"name": "甲", "uscc": USCC_92, "kind": "企业"}, CTX)
    assert reasons_of(mismatch.warnings) == ["entity.kind_mismatch"]
    assert mismatch.warnings[0].params == {"uscc_kind": "个体工商户"}
    assert kind_from_uscc("93410481MA9G7K3L00") == "cooperative"
    assert kind_from_uscc(None) is None


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("kind", "个体户", "individual"),
        ("kind", "Product", "product"),
        ("status", "吊销，未注销", "revoked"),
        ("status", "注销", "deregistered"),
        ("status", "歇业", "closed"),
        ("risk_class", "b", "B"),
        ("risk_class", "丙", "C"),
        ("risk_class", "高风险", "D"),
        ("risk_class", "D类（信用风险高）", "D"),
    ],
)
def test_entity_enumerations(field: str, value: str, expected: str) -> None:
    result = validate_row(Register.ENTITIES, {"name": "甲", field: value}, CTX)
    assert result.errors == []
    assert result.values[field] == expected


def test_unknown_enumeration_value_is_an_error_listing_the_allowed_ones() -> None:
    result = validate_row(Register.ENTITIES, {"name": "甲", "risk_class": "E"}, CTX)
    assert reasons_of(result.errors) == ["enum.invalid"]
    assert result.errors[0].params["shown"] == "E"
    assert "A类（信用风险低）" in result.errors[0].params["allowed"]


def test_too_long_text_and_forbidden_key_characters() -> None:
    long = validate_row(Register.ENTITIES, {"name": "甲" * 201}, CTX)
    assert reasons_of(long.errors) == ["field.too_long"]
    assert long.errors[0].params == {"max": "200"}
    assert long.values["name"] is None
    for code in ("A|B", "A\x07B"):
        bad = validate_row(Register.INSPECTORS, {"name": "甲", "cert_no": code}, CTX)
        assert reasons_of(bad.errors) == ["field.forbidden_chars"], code
    # A line separator is whitespace: removed from a code like any space.
    joined = validate_row(Register.INSPECTORS, {"name": "甲", "cert_no": "A\u2028B"}, CTX)
    assert joined.values["cert_no"] == "AB"


# --- inspectors -------------------------------------------------------------------------------


def test_an_inspector_row() -> None:
    raw = {
        "name": "赵六",
        "cert_no": " 豫０４０１２３４ ",
        "cert_expires": "2028年12月31日",
        "qualification": "执法类公务员",
        "expertise": "食品、药品；特种设备",
        "areas": "垭口/寺坡",
        "unit_name": "市市场监管局",
    }
    result = validate_row(Register.INSPECTORS, raw, CTX)
    assert result.errors == []
    assert result.warnings == []
    assert result.values == {
        "name": "赵六",
        "cert_no": "豫0401234",
        "cert_expires": date(2028, 12, 31),
        "qualification": "enforcement_officer",
        "expertise": ("食品", "药品", "特种设备"),
        "areas": ("垭口", "寺坡"),
        "unit_name": "市市场监管局",
    }


def test_open_qualification_keeps_local_wording() -> None:
    result = validate_row(Register.INSPECTORS, {"name": "甲", "qualification": "协管员"}, CTX)
    assert result.errors == []
    assert result.values["qualification"] == "协管员"


@pytest.mark.parametrize(
    ("expires", "reason", "params"),
    [
        ("2026-05-31", "inspector.cert_expired", {"date": "2026-05-31"}),
        ("2026-06-01", "inspector.cert_expiring", {"date": "2026-06-01", "days": "0"}),
        ("2026-08-30", "inspector.cert_expiring", {"date": "2026-08-30", "days": "90"}),
    ],
)
def test_certificate_expiry_warnings(expires: str, reason: str, params: dict[str, str]) -> None:
    result = validate_row(
        Register.INSPECTORS, {"name": "甲", "cert_no": "A1", "cert_expires": expires}, CTX
    )
    assert result.errors == []
    assert reasons_of(result.warnings) == [reason]
    assert result.warnings[0].params == params


@pytest.mark.parametrize("expires", ["2026-08-31", "长期", "2021.1.1-2030.12.31", ""])
def test_certificate_without_warning(expires: str) -> None:
    result = validate_row(
        Register.INSPECTORS, {"name": "甲", "cert_no": "A1", "cert_expires": expires}, CTX
    )
    assert (result.errors, result.warnings) == ([], [])


def test_blank_certificate_number_is_a_warning() -> None:
    result = validate_row(Register.INSPECTORS, {"name": "甲", "cert_no": ""}, CTX)
    assert reasons_of(result.warnings) == ["inspector.no_cert"]
    assert result.errors == []


# --- matters ----------------------------------------------------------------------------------


def test_a_matter_row() -> None:
    raw = {
        "code": "ｓｃｊｇ-001",
        "name": "食品生产企业监督检查",
        "legal_basis": "《食品安全法》第一百一十条",
        "target_kind": "食品生产企业、个体工商户",
        "method": "现场检查、抽样检验、座谈",
        "ratio": "5%",
        "frequency": "每年1次",
        "double_random": "是",
        "joint_ok": "√",
    }
    result = validate_row(Register.MATTERS, raw, CTX)
    assert result.errors == []
    assert result.warnings == []
    assert result.values == {
        "code": "SCJG-001",
        "name": "食品生产企业监督检查",
        "legal_basis": "《食品安全法》第一百一十条",
        "target_kind": ("enterprise", "individual"),
        "method": ("onsite", "sampling", "座谈"),
        "ratio": 50,
        "frequency": "每年1次",
        "double_random": True,
        "joint_ok": True,
    }


def test_unknown_target_kind_is_other_with_a_warning() -> None:
    result = validate_row(Register.MATTERS, {"name": "甲", "target_kind": "广告"}, CTX)
    assert result.values["target_kind"] == ("other",)
    assert reasons_of(result.warnings) == ["matter.target_kind_other"]


def test_matter_errors() -> None:
    result = validate_row(
        Register.MATTERS, {"name": "甲", "ratio": "很多", "double_random": "也许"}, CTX
    )
    assert sorted(reasons_of(result.errors)) == ["bool.invalid", "ratio.invalid"]


# --- duplicates -------------------------------------------------------------------------------


def test_duplicate_uscc_flags_every_row_of_the_group() -> None:
    rows = [
        (4, {"name": "甲", "uscc": USCC}),
        (5, {"name": "乙", "uscc": USCC_92}),
        (9, {"name": "甲二", "uscc": USCC}),
        (12, {"name": "甲三", "uscc": USCC}),
    ]
    found = find_duplicates(Register.ENTITIES, rows)
    assert [(f.row, f.severity, f.problem.reason, f.problem.params["rows"]) for f in found] == [
        (4, "error", "dup.uscc", "9, 12"),
        (9, "error", "dup.uscc", "4, 12"),
        (12, "error", "dup.uscc", "4, 9"),
    ]
    assert found[0].problem.field == "uscc"


def test_duplicate_local_number_even_with_different_codes() -> None:
    rows = [
        (4, {"name": "甲", "uscc": USCC, "local_no": "7"}),
        (5, {"name": "乙", "uscc": USCC_92, "local_no": "7"}),
    ]
    assert [f.problem.reason for f in find_duplicates(Register.ENTITIES, rows)] == [
        "dup.local_no",
        "dup.local_no",
    ]


def test_entities_without_identifiers_are_told_apart_by_kind_name_and_address() -> None:
    rows: list[tuple[int, dict[str, object]]] = [
        (4, {"name": "舞钢市 某产品", "kind": "product", "address": "甲地"}),
        (5, {"name": "舞钢市某产品", "kind": "product", "address": "甲地 "}),
        (6, {"name": "舞钢市某产品", "kind": "product", "address": "乙地"}),
        (7, {"name": "舞钢市某产品", "kind": "project", "address": "甲地"}),
        (8, {"name": "舞钢市某产品", "uscc": USCC, "kind": "product", "address": "甲地"}),
        (9, {"name": None}),
    ]
    found = find_duplicates(Register.ENTITIES, rows)
    assert [(f.row, f.problem.reason, f.problem.field) for f in found] == [
        (4, "dup.name_address", "name"),
        (5, "dup.name_address", "name"),
    ]


def test_inspector_and_matter_duplicates() -> None:
    inspectors = [
        (3, {"name": "甲", "cert_no": "A1"}),
        (4, {"name": "乙", "cert_no": "A1"}),
        (5, {"name": "丙"}),
        (6, {"name": "丙"}),
        (7, {"name": "丙", "cert_no": "A2"}),  # certified: its certificate identifies it
    ]
    assert [
        (f.row, f.problem.reason) for f in find_duplicates(Register.INSPECTORS, inspectors)
    ] == [
        (3, "dup.cert_no"),
        (4, "dup.cert_no"),
        (5, "dup.name"),
        (6, "dup.name"),
    ]
    matters = [
        (3, {"name": "甲", "code": "M1"}),
        (4, {"name": "乙", "code": "M1"}),
        (5, {"name": "丙"}),
        (6, {"name": "丙"}),
    ]
    assert [(f.row, f.problem.reason) for f in find_duplicates(Register.MATTERS, matters)] == [
        (3, "dup.code"),
        (4, "dup.code"),
        (5, "dup.name"),
        (6, "dup.name"),
    ]


# --- reasons ----------------------------------------------------------------------------------


def test_every_reason_code_of_the_domain_has_a_sentence() -> None:
    from bot.domain import cells
    from bot.domain.registers import uscc
    from bot.domain.registers import validation as registers

    codes = {
        value
        for module in (cells, registers, uscc)
        for name, value in vars(module).items()
        if name.isupper() and isinstance(value, str) and "." in value and " " not in value
    }
    assert codes
    assert codes <= set(reasons.REASONS), codes - set(reasons.REASONS)


def test_describe_fills_placeholders_and_survives_missing_ones() -> None:
    assert reasons.describe("uscc.length", {"length": 17}).endswith("this one has 17.")
    assert "{rows}" in reasons.describe("dup.uscc")
    assert reasons.describe("no.such.code") == "no.such.code"
    assert reasons.placeholders(reasons.REASONS["enum.invalid"]) == {"shown", "allowed"}


def test_register_specs_are_consistent() -> None:
    assert ENTITIES.register is Register.ENTITIES
    assert INSPECTORS.field("cert_no").kind is FieldKind.CODE
    assert MATTERS.field("ratio").kind is FieldKind.RATIO
    with pytest.raises(KeyError):
        MATTERS.field("uscc")
