"""Row validation of the registers (一单两库), pure.

``validate_row`` turns the raw cells of one row into values plus problems (reason codes
with parameters, translated elsewhere), and ``find_duplicates`` looks across the rows of
one file for two rows that would update the same record on import (docs/architecture.md §6: the
re-import keys). The columns are in ``bot.domain.registers.columns`` and their types in
``bot.domain.registers.specs``; both are re-exported here, where callers have always found
them.

Only the fields present in ``raw`` are validated and returned: a column absent from the
file is never touched. A blank cell gives the value None.

A 100,000-row directory is validated cell by cell: each register's fields are compiled
once into parsers of one cell (``bot.domain.registers.cells``), and ``validate_rows`` runs
them over a whole file with their lookups done once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType
from typing import Final, Literal

from bot.domain import cells
from bot.domain.cells import CellValue, Parsed, label_key
from bot.domain.registers import cells as register_cells
from bot.domain.registers import uscc
from bot.domain.registers.cells import (
    TOO_LONG,
    USCC_SLOW,
    Field,
)
from bot.domain.registers.columns import (
    ENTITIES,
    INSPECTORS,
    MATTERS,
    SPECS,
    header_key,
    match_header,
    spec_of,
)
from bot.domain.registers.specs import (
    BOOL_CHOICES,
    ENTITY_KINDS,
    ENTITY_STATUSES,
    METHODS,
    QUALIFICATIONS,
    RISK_CLASSES,
    Choice,
    FieldKind,
    FieldSpec,
    Register,
    RegisterSpec,
)

__all__ = [
    "BOOL_CHOICES",
    "ENTITIES",
    "ENTITY_KINDS",
    "ENTITY_STATUSES",
    "INSPECTORS",
    "MATTERS",
    "METHODS",
    "QUALIFICATIONS",
    "RISK_CLASSES",
    "SPECS",
    "TOO_LONG",
    "Choice",
    "FieldKind",
    "FieldSpec",
    "Finding",
    "Problem",
    "Register",
    "RegisterSpec",
    "RowContext",
    "RowResult",
    "find_duplicates",
    "header_key",
    "kind_from_uscc",
    "match_header",
    "public_fields",
    "spec_of",
    "validate_row",
    "validate_rows",
]

Severity = Literal["error", "warning"]
Params = Mapping[str, str]
_NO_PARAMS: Final[Params] = MappingProxyType({})

# Reason codes of this module (cells and uscc define their own).
REQUIRED: Final = "field.required"
KIND_MISMATCH: Final = "entity.kind_mismatch"
CERT_EXPIRED: Final = "inspector.cert_expired"
CERT_EXPIRING: Final = "inspector.cert_expiring"
NO_CERT: Final = "inspector.no_cert"
DUP_USCC: Final = "dup.uscc"
DUP_REG_NO: Final = "dup.reg_no"
DUP_LOCAL_NO: Final = "dup.local_no"
DUP_CERT_NO: Final = "dup.cert_no"
DUP_CODE: Final = "dup.code"
DUP_NAME: Final = "dup.name"
DUP_NAME_ADDRESS: Final = "dup.name_address"


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


# --- validating a row -----------------------------------------------------------------------

_KIND_OF_CATEGORY: Final = uscc.MARKET_KINDS
# An entity's kind as its USCC's department and category say (uscc.MARKET_KINDS: 9-1
# enterprise, 9-2 individual business, 9-3 farmers' cooperative), else None.
kind_from_uscc: Final = uscc.entity_kind


def validate_row(
    register: Register | RegisterSpec, raw: Mapping[str, CellValue], ctx: RowContext
) -> RowResult:
    """Validate one row: ``raw`` maps field keys (only the columns the file has) to raw
    cells. Errors block the row; warnings do not."""
    return validate_rows(register, (raw,), ctx)[0]


# Stripped from free text on the fast path (the characters cells.clean_text strips).
_STRIP_CHARS: Final = cells.STRIP_CHARS


def validate_rows(
    register: Register | RegisterSpec, raws: Iterable[Mapping[str, CellValue]], ctx: RowContext
) -> list[RowResult]:
    """``validate_row`` for every row of a file, the register's parsers looked up once."""
    compiled = register_cells.compiled(register)
    register_of = compiled.spec.register
    plans: dict[tuple[str, ...], tuple[Field, ...]] = {}
    results: list[RowResult] = []
    for raw in raws:
        columns = tuple(raw)
        plan = plans.get(columns)
        if plan is None:
            plan = plans[columns] = tuple(f for f in compiled.fields if f[0] in raw)
        result = _validated(plan, raw)
        if register_of is Register.ENTITIES:
            if "kind" in raw:
                code = result.values.get("uscc")
                # Most rows agree with their code: nothing to do, no call.
                if (
                    code.__class__ is str
                    and _KIND_OF_CATEGORY.get(code[:2]) != result.values["kind"]
                ):
                    _entity_rules(raw, result)
        elif register_of is Register.INSPECTORS:
            _inspector_rules(raw, result, ctx)
        results.append(result)
    return results


def _validated(plan: tuple[Field, ...], raw: Mapping[str, CellValue]) -> RowResult:
    """One row's cells through their parsers (this runs for every row of a file: the
    common cases are handled inline, without a call)."""
    values: dict[str, object] = {}
    errors: list[Problem] = []
    warnings: list[Problem] = []
    old_regno: str | None = None
    value: object
    for key, parse, required, text_limit in plan:
        cell = raw[key]
        # Free text that is printable (no line endings, no invisible characters) only
        # needs stripping: done here, without a call, for most cells of a directory.
        if text_limit is not None and cell.__class__ is str and cell.isprintable():
            value = cell.strip(_STRIP_CHARS) or None
            if value is None or len(value) <= text_limit:
                values[key] = value
                if required and value is None:
                    errors.append(Problem(key, cell, REQUIRED))
                continue
        out = parse(cell)
        if out is USCC_SLOW:
            old_regno = _validate_uscc(key, cell, values, errors, warnings)
            value = values[key]
        elif out.__class__ is Parsed:
            value = values[key] = _reported(key, cell, out, errors, warnings)
        else:
            value = values[key] = out
        if required and value is None and not _has_error(errors, key):
            errors.append(Problem(key, cell, REQUIRED))
    regno = values.get("reg_no")
    if isinstance(regno, str) and (regno in _NO_REG_NO or len(regno) == 18):
        _settle_reg_no(values, regno, errors)
    if old_regno is not None and values.get("reg_no") is None:
        # A registration number in the USCC column ("统一社会信用代码（注册号）"): keep
        # it as the registration number unless the row has its own.
        values["reg_no"] = old_regno
    return RowResult(values, errors, warnings)


# What exports write in a registration-number cell for "none": no number, so never a key
# two rows could share (code_text's form: upper case, no spaces).
_NO_REG_NO: Final = frozenset(
    {"无", "暂无", "没有", "空", "未知", "不详", "/", "\\", "-", "--", "—", "——", "0"}
    | {"NULL", "NONE", "N/A", "NA"}
)


def _settle_reg_no(values: dict[str, object], regno: str, errors: list[Problem]) -> None:
    """The registration-number column as other systems fill it: a "none" is blank, and a
    valid USCC there (exports since 三证合一 put it under 注册号) is the row's USCC when
    the row has none."""
    if regno in _NO_REG_NO:
        values["reg_no"] = None
    elif (
        values.get("uscc") is None and not _has_error(errors, "uscc") and uscc.check_uscc(regno).ok
    ):
        values["uscc"], values["reg_no"] = regno, None


def _reported(
    key: str,
    cell: CellValue,
    parsed: Parsed[object],
    errors: list[Problem],
    warnings: list[Problem],
) -> object:
    """A parser's value, its error and warning noted."""
    if parsed.error is not None:
        errors.append(Problem(key, cell, parsed.error, parsed.params))
    if parsed.warning is not None:
        warnings.append(Problem(key, cell, parsed.warning, parsed.params))
    return parsed.value


def _has_error(errors: list[Problem], key: str) -> bool:
    return any(p.field == key for p in errors)


def _validate_uscc(
    key: str,
    cell: CellValue,
    values: dict[str, object],
    errors: list[Problem],
    warnings: list[Problem],
) -> str | None:
    """Check the USCC cell; return an old registration number found in it, if any."""
    code = cells.code_text(cell)
    if code.error is not None:
        values[key] = None
        errors.append(Problem(key, cell, code.error, code.params))
        return None
    if code.value is None:
        values[key] = None
        return None
    check = uscc.check_uscc(code.value)
    params = MappingProxyType(dict(check.params))
    values[key] = None if check.errors or check.old_regno else check.value
    errors.extend(Problem(key, cell, reason, params) for reason in check.errors)
    warnings.extend(Problem(key, cell, reason, params) for reason in check.warnings)
    return check.value if check.old_regno else None


def _entity_rules(raw: Mapping[str, CellValue], result: RowResult) -> None:
    values = result.values
    code = values.get("uscc")
    uscc_kind = kind_from_uscc(code) if isinstance(code, str) else None
    if uscc_kind is None or _has_error(result.errors, "kind"):
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
    if (
        "cert_no" in raw
        and values.get("cert_no") is None
        and not _has_error(result.errors, "cert_no")
    ):
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


def fold(value: object) -> str:
    """The compare form of a name or address (``label_key``); "" for anything else."""
    return label_key(value) if isinstance(value, str) else ""


_IDENTIFIERS: Final[Mapping[str, tuple[tuple[str, str], ...]]] = MappingProxyType(
    {
        Register.ENTITIES: (
            ("uscc", DUP_USCC),
            ("reg_no", DUP_REG_NO),
            ("local_no", DUP_LOCAL_NO),
        ),
        Register.INSPECTORS: (("cert_no", DUP_CERT_NO), ("local_no", DUP_LOCAL_NO)),
        Register.MATTERS: (("code", DUP_CODE),),
    }
)


def find_duplicates(
    register: Register | RegisterSpec, rows: Iterable[tuple[int, Mapping[str, object]]]
) -> list[Finding]:
    """Rows of one file that would land on the same record (docs/architecture.md §6, keys).

    ``rows`` are (Excel row number, validated values). Each identifier a row carries
    (USCC, registration number, local number, certificate number, matter code) must be
    unique in the file; a row with none of them is identified by (kind, name, address)
    for entities and by name for inspectors and matters. Every row of a duplicate group
    gets an error naming the others, because which of them is right is for a person to
    say.
    """
    spec = spec_of(register)
    identifiers = _IDENTIFIERS[spec.register]
    entities = spec.register is Register.ENTITIES
    # key -> the first row holding it; only keys held by several rows get a list of them
    # (a 100k-row file has few duplicates, and a list per row would be most of the work).
    first: dict[tuple[str, str], tuple[int, object]] = {}
    groups: dict[tuple[str, str], list[tuple[int, object]]] = {}

    def note(key: tuple[str, str], row: int, value: object) -> None:
        seen = first.setdefault(key, (row, value))
        if seen[0] != row:
            groups.setdefault(key, [seen]).append((row, value))

    for row, values in rows:
        identified = False
        for key, _reason in identifiers:
            value = values.get(key)
            if value.__class__ is str and value:
                note((key, value), row, value)
                identified = True
        if identified:
            continue
        name = fold(values.get("name"))
        if not name:
            continue
        if entities:
            kind = values.get("kind")
            fallback = (
                f"{kind if isinstance(kind, str) else ''}|{name}|{fold(values.get('address'))}"
            )
            note(("name_address", fallback), row, values.get("name"))
        else:
            note(("name", name), row, values.get("name"))
    reasons = dict(identifiers) | {"name_address": DUP_NAME_ADDRESS, "name": DUP_NAME}
    found: list[Finding] = []
    for (key, _), members in groups.items():
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
