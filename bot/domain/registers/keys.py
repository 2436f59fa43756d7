"""Which directory records a file's row names (pure): by its identifiers, strongest
first, else by its name (docs/architecture.md §6, keys; see bot.domain.registers.diff)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain.registers.records import IDENTIFIERS, Record
from bot.domain.registers.specs import Register
from bot.domain.registers.validation import fold


class KeyIndex:
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


def compatible(
    register: Register, row: Mapping[str, object], record: Record, stronger: int | None = None
) -> bool:
    """No identifier of the row stronger than the one it matched by (all of them, for the
    name) contradicts the record's: a weaker one is just being changed."""
    for key in IDENTIFIERS[register][:stronger]:
        mine, theirs = row.get(key), record.values.get(key)
        if mine and theirs and mine != theirs:
            return False
    return True


def same_name(register: Register, row: Mapping[str, object], record: Record) -> bool:
    if register is not Register.ENTITIES:
        return True
    kind = row.get("kind")
    if kind and kind != record.values.get("kind"):
        return False
    return fold(row.get("address")) == fold(record.values.get("address"))


def candidates(index: KeyIndex, row: Mapping[str, object]) -> list[Record]:
    """The records a row's keys point at, strongest key first; several only when the
    name key is ambiguous."""
    register = index.register
    for position, key in enumerate(IDENTIFIERS[register]):
        value = row.get(key)
        if value:
            found = index.by_id[key].get(value)
            if found is not None:
                return [found] if compatible(register, row, found, position) else []
    if not index.records:
        return []
    name = fold(row.get("name"))
    if not name:
        return []
    named = [
        r
        for r in index.by_name().get(name, ())
        if same_name(register, row, r) and compatible(register, row, r)
    ]
    if len(named) > 1:
        active = [r for r in named if r.active]
        named = active or [max(named, key=lambda r: r.id)]
    return named


def by_identifier(index: KeyIndex, row: Mapping[str, object]) -> Record | None:
    """The record the row's strongest identifier names (compatible or not)."""
    for key in IDENTIFIERS[index.register]:
        value = row.get(key)
        if value:
            found = index.by_id[key].get(value)
            if found is not None:
                return found
    return None


def protected(index: KeyIndex, row: Mapping[str, object]) -> list[Record]:
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
