"""What an import would change in a directory (pure): keys, blank cells, deactivation.

The rules (DESIGN section 5, the 一单两库 issue):

- A row finds its record by the re-import keys, in order: the USCC (entities), the
  certificate number (certified inspectors) or the matter code; else the unit's local
  number; else (kind, name, address) for entities and the name for matters and
  uncertified inspectors. A later key is only used where it cannot contradict an earlier
  one: a record with another USCC is another entity, whatever its name.
- An entity whose USCC is already known (through another unit's directory) is linked:
  the unit gets its own view of the same entity, never a second entity.
- A column absent from the file is never touched. A blank cell keeps the value in
  add-and-update mode and clears it in whole-directory mode; a value other units see (an
  entity's shared facts, when another unit's directory holds the entity) is never cleared
  by a blank cell, only overwritten by a written one.
- In whole-directory mode, the active records no row matches are deactivated, except
  those a row with an error matches: that row was meant for them.
- What the database must keep unique (a local number in a unit, a certificate number
  anywhere) is checked on the directory as it will be, and a row that would break it
  gets an error rather than failing the whole import.

``diff`` is given the rows (validated values, with whether each has an error) and the
records (the unit's directory as it is); it returns the changes and the new problems.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from bot.domain.register_records import (
    AMBIGUOUS,
    BLANK_MEANS,
    BRIEF_FIELDS,
    ENTITY_FACTS,
    ENTITY_VIEW,
    IDENTIFIERS,
    NEVER_BLANK,
    NEW_DEFAULTS,
    SAME_RECORD,
    STORED,
    TAKEN_ELSEWHERE,
    TAKEN_IN_UNIT,
    UNIQUE_IN_UNIT,
    Brief,
    Change,
    Diff,
    ImportRow,
    KnownEntity,
    Mode,
    Record,
    record_key,
    values_digest,
)
from bot.domain.register_specs import Register
from bot.domain.registers import Finding, Problem, fold, kind_from_uscc

__all__ = [
    "AMBIGUOUS",
    "BRIEF_FIELDS",
    "ENTITY_FACTS",
    "ENTITY_VIEW",
    "IDENTIFIERS",
    "SAME_RECORD",
    "STORED",
    "TAKEN_ELSEWHERE",
    "TAKEN_IN_UNIT",
    "UNIQUE_IN_UNIT",
    "Brief",
    "Change",
    "Diff",
    "ImportRow",
    "KnownEntity",
    "Mode",
    "Record",
    "Sieve",
    "diff",
    "record_key",
    "values_digest",
]


class _Index:
    """The unit's records by each key; the name keys are built only if a row needs them
    (folding 100k names costs more than a re-import of rows that all have a USCC)."""

    def __init__(self, register: Register, records: Sequence[Record]) -> None:
        self.register = register
        self.records = records
        self.by_id: dict[str, dict[object, Record]] = {
            key: {r.values[key]: r for r in records if r.values.get(key)}
            for key in IDENTIFIERS[register]
        }
        self._by_name: dict[str, list[Record]] | None = None
        self._by_number: dict[int, Record] | None = None

    def by_number(self) -> dict[int, Record]:
        if self._by_number is None:
            self._by_number = {r.id: r for r in self.records}
        return self._by_number

    def by_name(self) -> dict[str, list[Record]]:
        if self._by_name is None:
            self._by_name = {}
            for r in self.records:
                self._by_name.setdefault(fold(r.values.get("name")), []).append(r)
        return self._by_name


def _compatible(
    register: Register, row: Mapping[str, object], record: Record, stronger: int | None = None
) -> bool:
    """No identifier of the row stronger than the one it matched by (all of them, for the
    name) contradicts the record's: a weaker one is just being changed."""
    for key in IDENTIFIERS[register][:stronger]:
        mine, theirs = row.get(key), record.values.get(key)
        if mine and theirs and mine != theirs:
            return False
    return True


def _same_name(register: Register, row: Mapping[str, object], record: Record) -> bool:
    if register is not Register.ENTITIES:
        return True
    kind = row.get("kind")
    if kind and kind != record.values.get("kind"):
        return False
    return fold(row.get("address")) == fold(record.values.get("address"))


def _candidates(index: _Index, row: Mapping[str, object]) -> list[Record]:
    """The records a row's keys point at, strongest key first; several only when the
    name key is ambiguous."""
    register = index.register
    for position, key in enumerate(IDENTIFIERS[register]):
        value = row.get(key)
        if value:
            found = index.by_id[key].get(value)
            if found is not None:
                return [found] if _compatible(register, row, found, position) else []
    if not index.records:
        return []
    name = fold(row.get("name"))
    if not name:
        return []
    named = [
        r
        for r in index.by_name().get(name, ())
        if _same_name(register, row, r) and _compatible(register, row, r)
    ]
    if len(named) > 1:
        active = [r for r in named if r.active]
        named = active or [max(named, key=lambda r: r.id)]
    return named


def _by_identifier(index: _Index, row: Mapping[str, object]) -> Record | None:
    """The record the row's strongest identifier names (compatible or not)."""
    for key in IDENTIFIERS[index.register]:
        value = row.get(key)
        if value:
            found = index.by_id[key].get(value)
            if found is not None:
                return found
    return None


class Sieve:
    """Finds the rows that leave a brief record exactly as it is while a file is read,
    so that a re-import keeps only their keys (``ImportRow.same_as``), not 100k rows of
    values: the row's identifier names an active brief record, the row has exactly the
    brief fields, their digest is the record's, and no earlier row of the file carries
    one of its identifiers (duplicates keep their values, for the error report)."""

    def __init__(
        self, register: Register, records: Sequence[Record], fields: tuple[str, ...]
    ) -> None:
        self._index = _Index(register, records)
        self._identifiers = IDENTIFIERS[register]
        self.fields = fields
        # What a row let through keeps of its values, in this order.
        self.kept_fields = tuple(k for k in BRIEF_FIELDS[register] if k in fields)
        self._seen: dict[str, set[object]] = {key: set() for key in self._identifiers}

    def same_as(self, values: Mapping[str, object], eligible: bool = True) -> int | None:
        """The record ``values`` leave as it is, if any; every row of the file passes here,
        ``eligible=False`` for one with a problem (it only counts as seen)."""
        repeated = False
        for key in self._identifiers:
            value = values.get(key)
            if value:
                seen = self._seen[key]
                repeated = repeated or value in seen
                seen.add(value)
        if repeated or not eligible or tuple(values) != self.fields:
            return None
        found = _by_identifier(self._index, values)
        if found is None or found.digest is None or not found.active:
            return None
        return found.id if values_digest(tuple(values.values())) == found.digest else None

    def kept(self, values: Mapping[str, object]) -> dict[str, object]:
        """What a row the sieve let through keeps of its values."""
        return {k: values[k] for k in self.kept_fields}


def _completed(
    register: Register, rows: Sequence[ImportRow], records: Sequence[Record], brief: Brief
) -> list[Record]:
    """The records with the brief ones the diff must compare made whole: those a row's
    identifier names unless the row leaves them as they are (its values are exactly of
    the brief fields, with the record's digest), and those a row's name may name (the name
    key compares more than names). Rows with an error only protect records."""
    open_rows = [row for row in rows if not row.blocked and row.same_as is None]
    if not open_rows:  # a re-import the sieve found unchanged throughout
        return list(records)
    index = _Index(register, records)
    wanted: set[int] = set()
    for row in open_rows:
        values = row.values
        found = _by_identifier(index, values)
        if found is not None:
            if found.digest is not None and not (
                found.active
                and tuple(values) == brief.fields
                and values_digest(tuple(values.values())) == found.digest
            ):
                wanted.add(found.id)
            continue
        name = fold(values.get("name"))
        if name:
            wanted.update(r.id for r in index.by_name().get(name, ()) if r.digest is not None)
    if not wanted:
        return list(records)
    whole = {r.id: r for r in brief.complete(wanted)}
    if not wanted <= whole.keys() or any(r.digest is not None for r in whole.values()):
        raise ValueError("Brief.complete must give every record asked for, whole")
    return [whole.get(r.id, r) for r in records]


def _protected(index: _Index, row: Mapping[str, object]) -> list[Record]:
    """What a row with an error may have been meant for: generous, since protecting a
    record only keeps it as it is."""
    found = [
        index.by_id[key][row[key]]
        for key in IDENTIFIERS[index.register]
        if row.get(key) and row[key] in index.by_id[key]
    ]
    name = fold(row.get("name"))
    if name:
        found.extend(index.by_name().get(name, ()))
    return found


def _error(at: int, field_key: str, value: object, reason: str, params: dict[str, str]) -> Finding:
    return Finding(at, "error", Problem(field_key, value, reason, MappingProxyType(params)))


@dataclass(slots=True)
class _Plan:
    row: ImportRow
    record: Record | None
    link: KnownEntity | None = None


def diff(
    register: Register,
    mode: Mode,
    rows: Iterable[ImportRow],
    records: Sequence[Record],
    known: Mapping[str, KnownEntity] | None = None,
    taken: Mapping[str, str] | None = None,
    *,
    detail: bool = True,
    brief: Brief | None = None,
) -> Diff:
    """The changes ``rows`` make to ``records`` (the unit's directory, active or not).

    ``known``: entities outside the directory by USCC (for the rows' USCCs the directory
    lacks). ``taken``: certificate numbers held by other units' inspectors -> that unit.
    ``detail=False``: a preview only counts, so each new record is one shared placeholder
    instead of its values (a 100k-row first import need not copy 100k rows to count them).
    ``brief``: some records are brief (a large directory read for a re-import); the diff
    has the ones it must compare read whole, and a brief one left is one its row leaves
    as it is.
    """
    known = known or {}
    taken = taken or {}
    if any(r.digest is not None for r in records):
        if brief is None:
            raise ValueError("brief records need a Brief")
        rows = list(rows)
        records = _completed(register, rows, records, brief)
    result = Diff(active_before=sum(1 for r in records if r.active))
    index = _Index(register, records)
    claimed: dict[int, int] = {}  # record id -> the row that matched it
    protected: set[int] = set()
    plans: list[_Plan] = []
    for row in rows:
        values = row.values
        if row.blocked:
            result.blocked.add(row.row)
            protected.update(r.id for r in _protected(index, values))
            continue
        if row.same_as is not None:
            found = [index.by_number()[row.same_as]]
        else:
            code = values.get("uscc") if register is Register.ENTITIES else None
            if isinstance(code, str) and code not in index.by_id["uscc"] and code in known:
                plans.append(_Plan(row, None, known[code]))
                continue
            found = _candidates(index, values)
        if len(found) > 1:
            result.problems.append(
                _error(row.row, "name", values.get("name"), AMBIGUOUS, {"count": str(len(found))})
            )
            result.blocked.add(row.row)
            protected.update(r.id for r in found)
            continue
        record = found[0] if found else None
        if record is not None and record.id in claimed:
            result.problems.append(
                _error(
                    row.row,
                    "name",
                    values.get("name"),
                    SAME_RECORD,
                    {"row": str(claimed[record.id]), "key": record_key(register, record.values)},
                )
            )
            result.blocked.add(row.row)
            continue
        if record is not None:
            claimed[record.id] = row.row
        plans.append(_Plan(row, record))
    _block_conflicts(register, mode, plans, records, taken, result)
    _changes(register, mode, plans, result, detail)
    if mode == "replace":
        kept = {p.record.id for p in plans if p.record is not None} | protected
        for record in records:
            if record.active and record.id not in kept:
                result.deactivated.append(Change(None, record, {"active": True}, {"active": False}))
    return result


def _final(register: Register, mode: Mode, plan: _Plan, key: str) -> object:
    """A unique field's value once the row is applied."""
    values = plan.row.values
    current = plan.record.values.get(key) if plan.record is not None else None
    if key not in values:
        return current
    value = values[key]
    if value is None and mode == "update":
        return current
    return value


def _block_conflicts(
    register: Register,
    mode: Mode,
    plans: list[_Plan],
    records: Sequence[Record],
    taken: Mapping[str, str],
    result: Diff,
) -> None:
    """Give an error to each row that would make a unique value appear twice; repeat,
    since a row that no longer applies leaves its record's values in place."""
    names = {r.id: str(r.values.get("name") or "") for r in records}
    while True:
        live = [p for p in plans if p.row.row not in result.blocked]
        by_record = {p.record.id for p in live if p.record is not None}
        bad: dict[int, Finding] = {}
        for key in UNIQUE_IN_UNIT[register]:
            holders: dict[object, list[tuple[_Plan | None, int | None]]] = {}
            for r in records:
                value = r.values.get(key)
                if value and r.id not in by_record:
                    holders.setdefault(value, []).append((None, r.id))
            for p in live:
                value = _final(register, mode, p, key)
                if value:
                    holders.setdefault(value, []).append((p, None))
                    if key == "cert_no" and value in taken:
                        bad.setdefault(
                            p.row.row,
                            _error(
                                p.row.row, key, value, TAKEN_ELSEWHERE, {"unit": taken[str(value)]}
                            ),
                        )
            for value, owners in holders.items():
                if len(owners) < 2:
                    continue
                for plan, _ in owners:
                    if plan is None or _keeps(plan, key):
                        continue
                    other = next(o for o in owners if o[0] is not plan)
                    holder = (
                        names.get(other[1] or 0, "")
                        if other[0] is None
                        else str(other[0].row.values.get("name") or "")
                    )
                    bad.setdefault(
                        plan.row.row,
                        _error(plan.row.row, key, value, TAKEN_IN_UNIT, {"holder": holder}),
                    )
        if not bad:
            return
        for row, finding in bad.items():
            result.blocked.add(row)
            result.problems.append(finding)


def _keeps(plan: _Plan, key: str) -> bool:
    """The row leaves the record's value of ``key`` as it is (so it cannot be the one
    that broke uniqueness: the database held it already)."""
    if plan.record is None:
        return False
    return plan.row.values.get(key) in (None, plan.record.values.get(key))


_COUNTED: Final = Change(None, None, {}, {})


def _changes(
    register: Register, mode: Mode, plans: list[_Plan], result: Diff, detail: bool
) -> None:
    stored = frozenset(STORED[register])
    facts = frozenset(ENTITY_FACTS) if register is Register.ENTITIES else frozenset()
    defaults = NEW_DEFAULTS[register]
    cleared = result.cleared
    getters: dict[tuple[str, ...], Callable[[Mapping[str, object]], object]] = {}
    for plan in plans:
        row = plan.row
        if row.row in result.blocked:
            continue
        values = row.values
        record = plan.record
        if record is None and not detail:
            result.new.append(_COUNTED)
            continue
        if record is None:
            after = _created(register, values, stored, defaults)
            before: dict[str, object] = {}
            if plan.link is not None:
                # A new view of a known entity: its facts change only where written.
                view = {k: v for k, v in after.items() if k not in facts}
                facts_before, facts_after = _compare(
                    values, plan.link.values, facts, "update", True, None
                )
                after = view | facts_after
                before = facts_before
            result.new.append(Change(row.row, None, before, after, plan.link))
            continue
        if record.digest is not None:
            # Left brief by _completed: this row leaves it as it is.
            result.unchanged.append(row.row)
            continue
        if record.active and values.keys() <= stored:
            # Most rows of a re-import match their record exactly: one comparison of the
            # values in C says so, before looking field by field.
            keys = tuple(values)
            getter = getters.get(keys)
            if getter is None:
                getter = getters[keys] = _getter(keys)
            if getter(values) == getter(record.values):
                result.unchanged.append(row.row)
                continue
        before, after = _compare(values, record.values, stored, mode, record.shared, cleared, facts)
        if not record.active:
            before["active"], after["active"] = False, True
        if after:
            result.changed.append(Change(row.row, record, before, after))
        else:
            result.unchanged.append(row.row)


def _created(
    register: Register,
    values: Mapping[str, object],
    stored: frozenset[str],
    defaults: Mapping[str, object],
) -> Mapping[str, object]:
    """A new record's values: every field the file has (blank ones as None: created
    empty), the defaults of the columns that cannot be empty, an entity's kind from its
    USCC when the file gives none. The row's own values when they are all that: a
    100k-row first import need not copy every row (nothing changes them afterwards)."""
    fill = [k for k in defaults if values.get(k) is None]
    kindless = register is Register.ENTITIES and values.get("kind") is None
    if not fill and not kindless and values.keys() <= stored:
        return values
    after = dict(values) if values.keys() <= stored else _pick(values, stored)
    for k in fill:
        after[k] = defaults[k]
    if kindless:
        code = after.get("uscc")
        after["kind"] = (kind_from_uscc(code) if isinstance(code, str) else None) or "other"
    return after


def _getter(keys: tuple[str, ...]) -> Callable[[Mapping[str, object]], object]:
    """The values of ``keys`` of a mapping, as one comparable value (None where absent)."""
    if len(keys) == 1:
        return lambda values: values.get(keys[0])
    return lambda values: tuple(map(values.get, keys))


def _pick(values: Mapping[str, object], keys: frozenset[str]) -> dict[str, object]:
    return {k: v for k, v in values.items() if k in keys}


def _compare(
    values: Mapping[str, object],
    current: Mapping[str, object],
    keys: frozenset[str],
    mode: Mode,
    shared: bool,
    cleared: dict[str, int] | None,
    facts: frozenset[str] = frozenset(),
) -> tuple[dict[str, object], dict[str, object]]:
    """(before, after) of the fields ``values`` changes among ``keys``. Only the keys in
    ``values`` (the file's columns) are looked at: an absent column is never touched."""
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    for key, written in values.items():
        if key not in keys:
            continue
        value = written
        if written is None:
            if mode == "update" or key in NEVER_BLANK or (shared and key in facts):
                continue
            value = BLANK_MEANS.get(key)
            if cleared is not None and current.get(key) not in (None, value):
                cleared[key] = cleared.get(key, 0) + 1
        old = current.get(key)
        if value != old:
            before[key] = old
            after[key] = value
    return before, after
