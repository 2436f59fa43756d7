"""Brief records (a large entity directory read for a re-import): the diff reads whole
only the records a row may change, and gives exactly what it gives on whole records."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.registers.diff import (
    BRIEF_FIELDS,
    Brief,
    Change,
    Diff,
    ImportRow,
    Mode,
    Record,
    Sieve,
    diff,
    values_digest,
)
from bot.domain.registers.validation import Register

E = Register.ENTITIES
FIELDS = ("uscc", "local_no", "name", "address", "phone", "risk_class")


def brief_of(record: Record, fields: Sequence[str] = FIELDS) -> Record:
    values = record.values
    kept = {k: values.get(k) for k in BRIEF_FIELDS[E]}
    digest = values_digest(values.get(k) for k in fields)
    return record._replace(values=kept, digest=digest)


class Directory:
    """Whole records by id, counting what the diff asks for."""

    def __init__(self, records: Sequence[Record]) -> None:
        self.whole = {r.id: r for r in records}
        self.asked: list[set[int]] = []

    def complete(self, ids: set[int]) -> list[Record]:
        self.asked.append(set(ids))
        return [self.whole[i] for i in ids]


def shape(result: Diff) -> tuple[object, ...]:
    def change(c: Change) -> tuple[object, ...]:
        record = c.record.id if c.record is not None else None
        return (c.row, record, dict(c.before), dict(c.after), c.link)

    return (
        [change(c) for c in result.new],
        [change(c) for c in result.changed],
        result.unchanged,
        [change(c) for c in result.deactivated],
        result.problems,
        result.blocked,
        result.cleared,
        result.active_before,
    )


def whole(i: int, active: bool = True, **values: object) -> Record:
    return Record(i, {k: values.get(k) for k in FIELDS}, active, 100 + i)


def file_row(n: int, blocked: bool = False, **values: object) -> ImportRow:
    return ImportRow(n, {k: values.get(k) for k in FIELDS}, blocked)


def test_an_unchanged_file_reads_nothing_whole() -> None:
    records = [whole(1, uscc="A", name="甲", phone="1"), whole(2, uscc="B", name="乙")]
    rows = [file_row(2, uscc="A", name="甲", phone="1"), file_row(3, uscc="B", name="乙")]
    directory = Directory(records)
    result = diff(
        E, "update", rows, [brief_of(r) for r in records], brief=Brief(FIELDS, directory.complete)
    )
    assert result.unchanged == [2, 3] and not result.changed
    assert directory.asked == []


def test_changed_inactive_and_name_matched_records_are_read_whole() -> None:
    records = [
        whole(1, uscc="A", name="甲", phone="1"),
        whole(2, uscc="B", name="乙", active=False),
        whole(3, name="丙", address="街1号"),
        whole(4, uscc="D", name="丁"),
    ]
    rows = [
        file_row(2, uscc="A", name="甲", phone="2"),  # a changed phone
        file_row(3, uscc="B", name="乙"),  # reactivates
        file_row(4, name="丙", address="街1号", phone="3"),  # found by its name
        file_row(5, uscc="D", name="丁"),  # unchanged
    ]
    directory = Directory(records)
    result = diff(
        E, "update", rows, [brief_of(r) for r in records], brief=Brief(FIELDS, directory.complete)
    )
    assert directory.asked == [{1, 2, 3}]
    assert shape(result) == shape(diff(E, "update", rows, records))
    assert [c.record.id for c in result.changed if c.record] == [1, 2, 3]


def test_a_row_of_other_fields_reads_its_record_whole() -> None:
    records = [whole(1, uscc="A", name="甲")]
    extra = ImportRow(2, {**{k: records[0].values[k] for k in FIELDS}, "reg_no": "R1"}, False)
    directory = Directory(records)
    diff(E, "update", [extra], [brief_of(records[0])], brief=Brief(FIELDS, directory.complete))
    assert directory.asked == [{1}]


def test_brief_records_need_their_brief_and_every_record_asked_for() -> None:
    records = [whole(1, uscc="A", name="甲")]
    rows = [file_row(2, uscc="A", name="乙")]
    with pytest.raises(ValueError, match="Brief"):
        diff(E, "update", rows, [brief_of(records[0])])
    with pytest.raises(ValueError, match="every record"):
        diff(E, "update", rows, [brief_of(records[0])], brief=Brief(FIELDS, lambda ids: []))


_text = st.sampled_from(["甲", "乙", "丙", None])
_values = st.fixed_dictionaries(
    {
        "uscc": st.sampled_from(["A", "B", "C", "D", None]),
        "local_no": st.sampled_from(["1", "2", "3", None]),
        "name": _text,
        "address": st.sampled_from(["街1号", "街2号", None]),
        "phone": st.sampled_from(["139", "138", None]),
        "risk_class": st.sampled_from(["A", "B", None]),
    }
)


@st.composite
def directories_and_files(draw: st.DrawFn) -> tuple[list[Record], list[ImportRow], Mode]:
    """A small directory (active or not, shared or not) and a file of rows for it (with an
    error or not, some with a registration number beside the usual fields)."""
    records = [
        Record(i, values, active, 100 + i, shared)
        for i, (values, active, shared) in enumerate(
            draw(st.lists(st.tuples(_values, st.booleans(), st.booleans()), max_size=6)),
            start=1,
        )
    ]
    rows = [
        ImportRow(n, {**values, "reg_no": "R"} if extra else values, blocked)
        for n, (values, blocked, extra) in enumerate(
            draw(st.lists(st.tuples(_values, st.booleans(), st.booleans()), max_size=6)),
            start=2,
        )
    ]
    mode: Mode = draw(st.sampled_from(["update", "replace"]))
    return records, rows, mode


@settings(max_examples=300, deadline=None)
@given(directories_and_files())
def test_brief_records_give_the_diff_whole_records_give(
    case: tuple[list[Record], list[ImportRow], Mode],
) -> None:
    records, rows, mode = case
    directory = Directory(records)
    brief = diff(
        E, mode, rows, [brief_of(r) for r in records], brief=Brief(FIELDS, directory.complete)
    )
    assert shape(brief) == shape(diff(E, mode, rows, records))


@settings(max_examples=300, deadline=None)
@given(directories_and_files())
def test_rows_the_sieve_keeps_only_keys_of_give_the_same_diff(
    case: tuple[list[Record], list[ImportRow], Mode],
) -> None:
    records, rows, mode = case
    briefs = [brief_of(r) for r in records]
    sieve = Sieve(E, briefs, FIELDS)
    sifted = []
    for r in rows:
        same_as = sieve.same_as(r.values, not r.blocked)
        values = sieve.kept(r.values) if same_as is not None else r.values
        sifted.append(ImportRow(r.row, values, r.blocked, same_as))
    directory = Directory(records)
    result = diff(E, mode, sifted, briefs, brief=Brief(FIELDS, directory.complete))
    assert shape(result) == shape(diff(E, mode, rows, records))


def test_the_sieve_lets_through_only_exact_active_unrepeated_rows() -> None:
    records = [whole(1, uscc="A", name="甲"), whole(2, uscc="B", name="乙", active=False)]
    sieve = Sieve(E, [brief_of(r) for r in records], FIELDS)
    same = file_row(2, uscc="A", name="甲").values
    assert sieve.same_as(file_row(3, uscc="B", name="乙").values) is None  # inactive
    assert sieve.same_as(file_row(4, uscc="C", name="丙").values) is None  # new
    assert sieve.same_as(same) == 1
    assert sieve.kept(same) == {"uscc": "A", "local_no": None, "name": "甲"}
    assert sieve.same_as(same) is None  # the second copy keeps its values
    other = Sieve(E, [brief_of(r) for r in records], FIELDS)
    assert other.same_as(same, eligible=False) is None  # a row with a problem
    assert other.same_as({**same, "phone": "139"}) is None  # another value
    assert other.same_as({"name": "甲", "uscc": "A"}) is None  # other fields
