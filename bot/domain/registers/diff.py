"""What an import would change in a directory (pure): keys, blank cells, deactivation.

The rules (docs/architecture.md §6, the 一单两库 issue):

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

from bot.domain.registers.brief import Sieve, completed
from bot.domain.registers.keys import KeyIndex, candidates, protected
from bot.domain.registers.records import (
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
from bot.domain.registers.specs import Register
from bot.domain.registers.validation import Finding, Problem, kind_from_uscc

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
    "created_values",
    "diff",
    "record_key",
    "values_digest",
]


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
    brief: Brief | None = None,
) -> Diff:
    """The changes ``rows`` make to ``records`` (the unit's directory, active or not).

    ``known``: entities outside the directory by USCC (for the rows' USCCs the directory
    lacks). ``taken``: certificate numbers held by other units' inspectors -> that unit.
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
        records = completed(register, rows, records, brief)
    result = Diff(active_before=sum(1 for r in records if r.active))
    matcher = _Matcher(register, KeyIndex(register, records), known, result)
    for row in rows:
        matcher.take(row)
    plans = matcher.plans
    _block_conflicts(register, mode, plans, records, taken, result)
    _changes(register, mode, plans, result)
    if mode == "replace":
        kept = {p.record.id for p in plans if p.record is not None} | matcher.kept_for_errors
        for record in records:
            if record.active and record.id not in kept:
                result.deactivated.append(Change(None, record, {"active": True}, {"active": False}))
    return result


class _Matcher:
    """Finds the record each row is meant for, in file order: an unknown USCC another
    directory holds links to that entity; two records, or a record another row already
    took, block the row (and a blocked row protects the records it was meant for)."""

    def __init__(
        self,
        register: Register,
        index: KeyIndex,
        known: Mapping[str, KnownEntity],
        result: Diff,
    ) -> None:
        self.register, self.index, self.known, self.result = register, index, known, result
        self.claimed: dict[int, int] = {}  # record id -> the row that matched it
        self.kept_for_errors: set[int] = set()  # records rows with an error were meant for
        self.plans: list[_Plan] = []

    def take(self, row: ImportRow) -> None:
        values = row.values
        if row.blocked:
            self.result.blocked.add(row.row)
            self.kept_for_errors.update(r.id for r in protected(self.index, values))
            return
        linked = self._known_entity(row)
        if linked is not None:
            self.plans.append(_Plan(row, None, linked))
            return
        found = self._found(row)
        if len(found) > 1:
            self._block(row, AMBIGUOUS, {"count": str(len(found))})
            self.kept_for_errors.update(r.id for r in found)
            return
        record = found[0] if found else None
        if record is not None and record.id in self.claimed:
            key = record_key(self.register, record.values)
            self._block(row, SAME_RECORD, {"row": str(self.claimed[record.id]), "key": key})
            return
        if record is not None:
            self.claimed[record.id] = row.row
        self.plans.append(_Plan(row, record))

    def _known_entity(self, row: ImportRow) -> KnownEntity | None:
        """The entity another directory holds under the row's USCC, when ours lacks it."""
        if row.same_as is not None or self.register is not Register.ENTITIES:
            return None
        code = row.values.get("uscc")
        if isinstance(code, str) and code not in self.index.by_id["uscc"]:
            return self.known.get(code)
        return None

    def _found(self, row: ImportRow) -> list[Record]:
        if row.same_as is not None:
            return [self.index.by_number()[row.same_as]]
        return list(candidates(self.index, row.values))

    def _block(self, row: ImportRow, reason: str, params: dict[str, str]) -> None:
        self.result.problems.append(_error(row.row, "name", row.values.get("name"), reason, params))
        self.result.blocked.add(row.row)


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
        bad: dict[int, Finding] = {}
        for key in UNIQUE_IN_UNIT[register]:
            holders = _holders(register, mode, key, live, records)
            if key == "cert_no":
                _taken_elsewhere(register, mode, live, taken, bad)
            _taken_in_unit(key, holders, names, bad)
        if not bad:
            return
        for row, finding in bad.items():
            result.blocked.add(row)
            result.problems.append(finding)


_Owner = tuple["_Plan | None", "int | None"]  # a row's plan, or a record id kept as it is


def _holders(
    register: Register, mode: Mode, key: str, live: list[_Plan], records: Sequence[Record]
) -> dict[object, list[_Owner]]:
    """Who holds each value of ``key`` once the live rows are applied: the records no row
    changes, then the rows."""
    by_record = {p.record.id for p in live if p.record is not None}
    holders: dict[object, list[_Owner]] = {}
    for r in records:
        value = r.values.get(key)
        if value and r.id not in by_record:
            holders.setdefault(value, []).append((None, r.id))
    for p in live:
        value = _final(register, mode, p, key)
        if value:
            holders.setdefault(value, []).append((p, None))
    return holders


def _taken_elsewhere(
    register: Register,
    mode: Mode,
    live: list[_Plan],
    taken: Mapping[str, str],
    bad: dict[int, Finding],
) -> None:
    """A certificate number another unit's inspector holds."""
    for p in live:
        value = _final(register, mode, p, "cert_no")
        if value and value in taken:
            finding = _error(
                p.row.row, "cert_no", value, TAKEN_ELSEWHERE, {"unit": taken[str(value)]}
            )
            bad.setdefault(p.row.row, finding)


def _taken_in_unit(
    key: str, holders: dict[object, list[_Owner]], names: Mapping[int, str], bad: dict[int, Finding]
) -> None:
    """A value two holders of the unit would share: the rows that bring it are refused."""
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
            finding = _error(plan.row.row, key, value, TAKEN_IN_UNIT, {"holder": holder})
            bad.setdefault(plan.row.row, finding)


def _keeps(plan: _Plan, key: str) -> bool:
    """The row leaves the record's value of ``key`` as it is (so it cannot be the one
    that broke uniqueness: the database held it already)."""
    if plan.record is None:
        return False
    return plan.row.values.get(key) in (None, plan.record.values.get(key))


def _changes(register: Register, mode: Mode, plans: list[_Plan], result: Diff) -> None:
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
            # Left brief by completed: this row leaves it as it is.
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
        if facts and "uscc" in after:
            _kind_with_new_uscc(values, record, before, after)
        if not record.active:
            before["active"], after["active"] = False, True
        if after:
            result.changed.append(Change(row.row, record, before, after))
        else:
            result.unchanged.append(row.row)


def _kind_with_new_uscc(
    values: Mapping[str, object],
    record: Record,
    before: dict[str, object],
    after: dict[str, object],
) -> None:
    """A record kept as 其他 (no USCC said its kind: an old registration number) takes the
    kind its newly written USCC says, when the file has no kind column (the rule of
    bot.domain.registers.uscc.MARKET_KINDS)."""
    if "kind" in values or record.values.get("kind") != "other":
        return
    code = after["uscc"]
    kind = kind_from_uscc(code) if isinstance(code, str) else None
    if kind is not None:
        before["kind"], after["kind"] = "other", kind


def created_values(register: Register, values: Mapping[str, object]) -> Mapping[str, object]:
    """The values a row creates its new record with (apply of a kept plan: no diff)."""
    return _created(register, values, frozenset(STORED[register]), NEW_DEFAULTS[register])


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
