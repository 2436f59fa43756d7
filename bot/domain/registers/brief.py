"""Brief directory records in a diff (pure): a large directory read with only its keys,
name and a digest of the file's fields per record; the rows that leave a record as it is
found while the file is read (Sieve), and the records a diff must read whole."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain.registers.keys import KeyIndex, by_identifier
from bot.domain.registers.records import (
    BRIEF_FIELDS,
    IDENTIFIERS,
    Brief,
    ImportRow,
    Record,
    values_digest,
)
from bot.domain.registers.specs import Register
from bot.domain.registers.validation import fold


class Sieve:
    """Finds the rows that leave a brief record exactly as it is while a file is read,
    so that a re-import keeps only their keys (``ImportRow.same_as``), not 100k rows of
    values: the row's identifier names an active brief record, the row has exactly the
    brief fields, their digest is the record's, and no earlier row of the file carries
    one of its identifiers (duplicates keep their values, for the error report)."""

    def __init__(
        self, register: Register, records: Sequence[Record], fields: tuple[str, ...]
    ) -> None:
        self._index = KeyIndex(register, records)
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
        found = by_identifier(self._index, values)
        if found is None or found.digest is None or not found.active:
            return None
        return found.id if values_digest(tuple(values.values())) == found.digest else None

    def kept(self, values: Mapping[str, object]) -> dict[str, object]:
        """What a row the sieve let through keeps of its values."""
        return {k: values[k] for k in self.kept_fields}


def completed(
    register: Register, rows: Sequence[ImportRow], records: Sequence[Record], brief: Brief
) -> list[Record]:
    """The records with the brief ones the diff must compare made whole: those a row's
    identifier names unless the row leaves them as they are (its values are exactly of
    the brief fields, with the record's digest), and those a row's name may name (the name
    key compares more than names). Rows with an error only protect records."""
    open_rows = [row for row in rows if not row.blocked and row.same_as is None]
    if not open_rows:  # a re-import the sieve found unchanged throughout
        return list(records)
    index = KeyIndex(register, records)
    wanted: set[int] = set()
    for row in open_rows:
        values = row.values
        found = by_identifier(index, values)
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
