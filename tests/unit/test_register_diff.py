"""What an import changes (pure): keys, modes, deactivation, uniqueness; and the fast
paths of validation, which must say exactly what the full normalisation says."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import cells, reasons
from bot.domain.registers import cells as register_cells
from bot.domain.registers import records as register_records
from bot.domain.registers import uscc
from bot.domain.registers.diff import ImportRow, KnownEntity, Record, diff, record_key
from bot.domain.registers.validation import (
    ENTITIES,
    INSPECTORS,
    Register,
    RowContext,
    validate_row,
    validate_rows,
)

CTX = RowContext(today=date(2026, 6, 1))


def row(n: int, blocked: bool = False, **values: object) -> ImportRow:
    return ImportRow(n, values, blocked)


def rec(i: int, active: bool = True, shared: bool = False, **values: object) -> Record:
    return Record(i, values, active, entity_id=100 + i, shared=shared)


def test_every_reason_code_of_the_diff_and_the_parsers_has_a_sentence() -> None:
    def codes(module: object) -> set[str]:
        return {
            v for k, v in vars(module).items() if k.isupper() and isinstance(v, str) and "." in v
        }

    assert codes(register_records) == {
        "key.same_record",
        "key.ambiguous",
        "key.taken_in_unit",
        "key.taken_elsewhere",
    }
    assert codes(register_cells) == {
        "field.too_long",
        "field.forbidden_chars",
        "matter.target_kind_other",
    }
    assert codes(register_records) | codes(register_cells) <= set(reasons.REASONS)
    assert "file.no_rows" in reasons.REASONS


def test_new_changed_unchanged_and_reactivated() -> None:
    records = [rec(1, uscc="A", name="甲", phone="1"), rec(2, uscc="B", name="乙", active=False)]
    rows = [
        row(2, uscc="A", name="甲", phone="1"),
        row(3, uscc="B", name="乙"),
        row(4, uscc="C", name="丙"),
    ]
    result = diff(Register.ENTITIES, "update", rows, records)
    assert result.unchanged == [2]
    assert [(c.row, c.before, c.after) for c in result.changed] == [
        (3, {"active": False}, {"active": True})
    ]
    assert [(c.row, c.after) for c in result.new] == [
        (4, {"uscc": "C", "name": "丙", "status": "active", "kind": "other"})
    ]


def test_blank_cells_by_mode_and_shared_facts() -> None:
    records = [rec(1, uscc="A", name="甲", legal_rep="张", phone="1", status="closed")]
    rows = [row(2, uscc="A", name="甲", legal_rep=None, phone=None, status=None)]
    assert diff(Register.ENTITIES, "update", rows, records).unchanged == [2]
    replaced = diff(Register.ENTITIES, "replace", rows, records)
    assert replaced.changed[0].after == {"legal_rep": None, "phone": None, "status": "active"}
    assert replaced.cleared == {"legal_rep": 1, "phone": 1, "status": 1}
    shared = [rec(1, uscc="A", name="甲", legal_rep="张", phone="1", shared=True)]
    # Another unit holds the entity: a blank cell does not clear what it sees.
    assert diff(Register.ENTITIES, "replace", rows, shared).changed[0].after == {"phone": None}


def test_a_uscc_is_never_cleared_by_a_blank_cell() -> None:
    records = [rec(1, uscc="A", name="甲", local_no="L")]
    result = diff(
        Register.ENTITIES, "replace", [row(2, uscc=None, local_no="L", name="甲")], records
    )
    assert result.unchanged == [2]


def test_known_entities_are_linked_with_their_facts_changed_only_where_written() -> None:
    known = {"A": KnownEntity(9, {"uscc": "A", "name": "甲", "legal_rep": "张"})}
    rows = [row(2, uscc="A", name="甲", legal_rep=None, risk_class="B")]
    result = diff(Register.ENTITIES, "replace", rows, [], known)
    [change] = result.new
    assert change.link is known["A"] and change.before == {}
    assert change.after == {"risk_class": "B"}


def test_replace_mode_deactivates_but_an_error_row_protects() -> None:
    records = [rec(i, uscc=f"U{i}", name=f"n{i}") for i in range(1, 6)]
    rows = [row(2, uscc="U1", name="n1"), row(3, blocked=True, uscc=None, name="n2")]
    result = diff(Register.ENTITIES, "replace", rows, records)
    assert sorted(c.record.id for c in result.deactivated if c.record) == [3, 4, 5]
    assert result.deactivation_share == 0.6


def test_local_numbers_may_swap_but_not_collide() -> None:
    records = [rec(1, uscc="A", name="甲", local_no="1"), rec(2, uscc="B", name="乙", local_no="2")]
    swap = [row(2, uscc="A", name="甲", local_no="2"), row(3, uscc="B", name="乙", local_no="1")]
    assert diff(Register.ENTITIES, "update", swap, records).problems == []
    clash = [row(2, uscc="A", name="甲", local_no="2")]
    problems = diff(Register.ENTITIES, "update", clash, records).problems
    assert [(p.row, p.problem.reason, dict(p.problem.params)) for p in problems] == [
        (2, "key.taken_in_unit", {"holder": "乙"})
    ]


def test_a_blocked_row_keeps_its_records_number_in_place() -> None:
    records = [rec(1, uscc="A", name="甲", local_no="1"), rec(2, uscc="B", name="乙", local_no="2")]
    rows = [
        row(2, uscc="A", name="甲", local_no="2"),
        row(3, blocked=True, uscc="B", name="乙", local_no="1"),
    ]
    result = diff(Register.ENTITIES, "update", rows, records)
    assert [p.row for p in result.problems] == [2]


def test_certificates_held_elsewhere() -> None:
    rows = [row(2, name="赵", cert_no="C1")]
    result = diff(Register.INSPECTORS, "update", rows, [], taken={"C1": "SWJ"})
    assert [(p.problem.reason, dict(p.problem.params)) for p in result.problems] == [
        ("key.taken_elsewhere", {"unit": "SWJ"})
    ]
    assert result.new == []


def test_ambiguous_names_are_an_error() -> None:
    records = [Record(1, {"name": "赵"}), Record(2, {"name": "赵"})]
    result = diff(Register.INSPECTORS, "update", [row(2, name="赵")], records)
    assert [p.problem.reason for p in result.problems] == ["key.ambiguous"]
    only_one_active = [Record(1, {"name": "赵"}, active=False), Record(2, {"name": "赵"})]
    assert diff(Register.INSPECTORS, "update", [row(2, name="赵")], only_one_active).unchanged == [
        2
    ]


def test_record_keys() -> None:
    assert record_key(Register.ENTITIES, {"uscc": "A", "local_no": "1"}) == "uscc:A"
    assert record_key(Register.INSPECTORS, {"name": "赵", "local_no": "7"}) == "local_no:7"
    assert record_key(Register.MATTERS, {"name": "甲"}) == "name:甲"


# --- the fast paths of validation ------------------------------------------------------------

codes = st.text(alphabet=uscc.CHARSET, min_size=17, max_size=17)


@settings(max_examples=300)
@given(codes, st.booleans())
def test_is_clean_agrees_with_check_uscc(first17: str, right: bool) -> None:
    for start in ("91410481" + first17[8:], first17):
        body = start[8:16]
        candidate = start[:16] + uscc.org_code_check_character(body)
        last = uscc.check_character(candidate) if right else candidate[0]
        code = candidate + last
        check = uscc.check_uscc(code)
        assert uscc.is_clean(code) == (check.ok and not check.warnings and check.value == code)


cell_text = st.one_of(
    st.text(max_size=12),
    st.text(alphabet="0123456789ABCXYZ-_E .|\u3000\u200b\r\nａ１", max_size=20),
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.integers(min_value=-(10**17), max_value=10**17),
    st.floats(allow_nan=True),
    st.none(),
)


def _slow(register: Register, raw: dict[str, object]) -> tuple[object, list[object], list[object]]:
    """What validation said before it had fast paths: cells' functions, one by one."""
    result = validate_row(register, raw, CTX)
    return result.values, result.errors, result.warnings


@settings(max_examples=400)
@given(cell_text, cell_text, cell_text, cell_text)
def test_fast_paths_give_what_the_cell_functions_give(
    name: object, code: object, phone: object, local: object
) -> None:
    raw = {"name": name, "uscc": code, "phone": phone, "local_no": local}
    [fast] = validate_rows(ENTITIES, [raw], CTX)
    text = cells.clean_text(name)  # type: ignore[arg-type]
    assert fast.values["name"] == (text if text is None or len(text) <= 200 else None)
    expected_phone = cells.phone(phone)  # type: ignore[arg-type]
    assert fast.values["phone"] == expected_phone.value
    assert any(p.field == "phone" for p in fast.errors) == (expected_phone.error is not None)
    expected_local = cells.code_text(local)  # type: ignore[arg-type]
    if (
        expected_local.error is None
        and expected_local.value is not None
        and len(expected_local.value) <= 50
        and not re.search("[|\x00-\x1f\x7f-\x9f\u2028\u2029]", expected_local.value)
    ):
        assert fast.values["local_no"] == expected_local.value
    if isinstance(code, str):
        normal = cells.code_text(code)
        if normal.value is not None and normal.error is None:
            check = uscc.check_uscc(normal.value)
            expected = None if check.errors or check.old_regno else check.value
            assert fast.values["uscc"] == expected


def test_remembered_spellings_are_the_same_answers() -> None:
    first = validate_rows(
        INSPECTORS, [{"name": "甲", "qualification": "公务员", "cert_expires": "长期"}] * 3, CTX
    )
    assert {r.values["qualification"] for r in first} == {"enforcement_officer"}
    assert {r.values["cert_expires"] for r in first} == {cells.OPEN_ENDED}
    assert validate_rows(INSPECTORS, [{"name": "甲", "cert_expires": 1}], CTX)[0].errors
