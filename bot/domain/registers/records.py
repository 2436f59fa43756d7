"""The pieces of a directory diff (pure): the rows of a file, the records of a directory,
the changes between them, and which fields an import stores, keys on and keeps unique.
The diff itself is bot.domain.registers.diff."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal, NamedTuple

import orjson

from bot.domain.registers.specs import Register
from bot.domain.registers.validation import Finding

Mode = Literal["update", "replace"]

# Reason codes of this module (sentences in bot.domain.reasons).
SAME_RECORD: Final = "key.same_record"
AMBIGUOUS: Final = "key.ambiguous"
TAKEN_IN_UNIT: Final = "key.taken_in_unit"
TAKEN_ELSEWHERE: Final = "key.taken_elsewhere"

# The fields an import stores, by register (bot.domain.registers.columns' keys). Entities
# split into the shared facts (table entities) and the unit's own view (unit_entities).
ENTITY_FACTS: Final = (
    "uscc",
    "reg_no",
    "authority",
    "kind",
    "name",
    "legal_rep",
    "address",
    "status",
)
ENTITY_VIEW: Final = ("local_no", "contact_name", "phone", "industry", "area", "risk_class")
STORED: Final[Mapping[Register, tuple[str, ...]]] = MappingProxyType(
    {
        Register.ENTITIES: ENTITY_FACTS + ENTITY_VIEW,
        Register.INSPECTORS: (
            "local_no",
            "name",
            "cert_no",
            "cert_expires",
            "qualification",
            "expertise",
            "areas",
        ),
        Register.MATTERS: (
            "code",
            "name",
            "legal_basis",
            "target_kind",
            "method",
            "ratio",
            "frequency",
            "double_random",
            "joint_ok",
        ),
    }
)
# The key fields, strongest first (the name key comes after them). An entity without a
# USCC is found by its old registration number (15 or 13 digits, or a written form, as
# other systems' exports carry it), then by the unit's own number.
IDENTIFIERS: Final[Mapping[Register, tuple[str, ...]]] = MappingProxyType(
    {
        Register.ENTITIES: ("uscc", "reg_no", "local_no"),
        Register.INSPECTORS: ("cert_no", "local_no"),
        Register.MATTERS: ("code",),
    }
)
# What must stay unique within the unit's directory.
UNIQUE_IN_UNIT: Final[Mapping[Register, tuple[str, ...]]] = MappingProxyType(
    {
        Register.ENTITIES: ("local_no",),
        Register.INSPECTORS: ("cert_no", "local_no"),
        Register.MATTERS: ("code",),
    }
)
# Columns that cannot be empty: a blank cell sets what an empty one means ("空视为存续"),
# or keeps the value when nothing sensible can stand for "empty" (an entity's kind).
BLANK_MEANS: Final[Mapping[str, object]] = MappingProxyType(
    {"status": "active", "double_random": True, "joint_ok": False, "expertise": (), "areas": ()}
)
NEVER_BLANK: Final = frozenset({"kind", "name", "uscc"})
NEW_DEFAULTS: Final[Mapping[Register, Mapping[str, object]]] = MappingProxyType(
    {
        Register.ENTITIES: MappingProxyType({"status": "active"}),
        Register.INSPECTORS: MappingProxyType({"expertise": (), "areas": ()}),
        Register.MATTERS: MappingProxyType({"double_random": True, "joint_ok": False}),
    }
)


@dataclass(frozen=True, slots=True)
class ImportRow:
    row: int  # the Excel row number
    values: Mapping[str, object]  # validated values of the columns the file has
    blocked: bool  # has an error: it changes nothing (but protects its record)
    # The brief record this row leaves exactly as it is (register_diff.Sieve); its
    # values are then only its keys and name.
    same_as: int | None = None


class Record(NamedTuple):
    """A directory record as it is: ``id`` of unit_entities / inspectors / matters. A
    named tuple: a re-import reads 100k of them, and a tuple is made several times faster
    than a frozen dataclass."""

    id: int
    values: Mapping[str, object]
    active: bool = True
    entity_id: int | None = None  # entities: the shared entity
    shared: bool = False  # entities: another unit's directory holds the entity too
    # A brief record (a large directory's re-import): ``values`` holds only its keys
    # (BRIEF_FIELDS) and ``digest`` is values_digest of its values of the file's fields.
    # A row whose values have that digest leaves it unchanged; for any other row the
    # diff is given the whole record instead (register_diff.records_to_complete).
    digest: bytes | None = None


@dataclass(frozen=True, slots=True)
class KnownEntity:
    """An entity outside this unit's directory, found by its USCC."""

    entity_id: int
    values: Mapping[str, object]  # its shared facts


@dataclass(slots=True)
class Change:
    """One record to create (``record`` None), change, or deactivate (``row`` None).

    ``before``/``after`` hold the changed fields only (for a new record, ``after`` holds
    every field it is created with); ``active`` is among them when it changes.
    """

    row: int | None
    record: Record | None
    before: Mapping[str, object]
    after: Mapping[str, object]  # a new record's may be its row's values: never change it
    link: KnownEntity | None = None  # a new view of an entity known elsewhere


@dataclass(slots=True)
class Diff:
    new: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)  # row numbers
    deactivated: list[Change] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)  # found against the directory
    blocked: set[int] = field(default_factory=set)  # rows with an error, by now
    cleared: dict[str, int] = field(default_factory=dict)  # field -> records it clears
    active_before: int = 0

    @property
    def deactivation_share(self) -> float:
        return len(self.deactivated) / self.active_before if self.active_before else 0.0

    @property
    def changes(self) -> list[Change]:
        return [*self.new, *self.changed, *self.deactivated]


# What a brief record keeps of its values: its keys, its unique values, its name (the
# change log's and the messages' name for it).
BRIEF_FIELDS: Final[Mapping[Register, tuple[str, ...]]] = MappingProxyType(
    {
        register: tuple(dict.fromkeys((*IDENTIFIERS[register], *UNIQUE_IN_UNIT[register], "name")))
        for register in Register
    }
)


def values_digest(values: Iterable[object]) -> bytes:
    """A digest of some values in order, equal only for equal values: the values as JSON
    (a date, or anything else JSON has no form of, as its type-tagged repr), hashed to 16
    bytes with BLAKE2b. orjson: a re-import digests 100k rows and 100k records."""
    items = values if isinstance(values, list | tuple) else list(values)
    data = orjson.dumps(items, default=_tagged, option=orjson.OPT_PASSTHROUGH_DATETIME)
    return hashlib.blake2b(data, digest_size=16).digest()


def _tagged(value: object) -> dict[str, str]:
    return {"repr": f"{type(value).__name__}:{value!r}"}


@dataclass(frozen=True)
class Brief:
    """Brief records in a diff (``Record.digest`` over ``fields``, in that order) and how
    to read whole ones by id; the diff asks only for those it must compare."""

    fields: tuple[str, ...]
    complete: Callable[[set[int]], Sequence[Record]]


def record_key(register: Register, values: Mapping[str, object]) -> str:
    """How a record is named in the change log: its strongest key."""
    for key in IDENTIFIERS[register]:
        value = values.get(key)
        if value:
            return f"{key}:{value}"[:300]
    return f"name:{values.get('name') or ''}"[:300]
