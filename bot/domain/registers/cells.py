"""Each register field compiled into a parser of one raw cell (pure).

A 100,000-row directory is validated cell by cell, so each register's fields are compiled
once (``compiled``): already-clean cells (a canonical USCC, a plain mobile number, a code
in capitals) take a fast path that gives the same value the full normalisation in
``bot.domain.cells`` would, and columns of few distinct values (types, classes, 是/否) keep
what they parsed per spelling. A parser returns the value itself, or a ``Parsed`` when
there is something to report. ``bot.domain.registers.validation.validate_rows`` runs them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from bot.domain import cells
from bot.domain.cells import CellValue, Parsed, label_key
from bot.domain.registers import uscc
from bot.domain.registers.columns import SPECS
from bot.domain.registers.specs import FieldKind, FieldSpec, Register, RegisterSpec

# Reason codes of the parsers (sentences in bot.domain.reasons).
TOO_LONG: Final = "field.too_long"
FORBIDDEN_CHARS: Final = "field.forbidden_chars"
TARGET_KIND_OTHER: Final = "matter.target_kind_other"


# Characters a draw refuses in a key (docs/dsr-draw-v1.md §2.2, bot.domain.draws.algorithm): "|" and the
# control (Cc) and line/paragraph separator (Zl, Zp) characters. Caught here, on import,
# rather than when a draw of a certificate number fails months later.
_KEY_FORBIDDEN: Final = re.compile("[|\x00-\x1f\x7f-\x9f\u2028\u2029]")
# A code as people type it when nothing needs normalising (code_text would return it as is).
_PLAIN_CODE: Final = re.compile(r"[0-9A-Z_\-]+")
# A mobile number written as text, as phone() would return it.
_PLAIN_MOBILE: Final = re.compile(r"1[3-9][0-9]{9}")
# How many spellings a column remembers (types, classes and 是/否 have a handful).
_CACHE_LIMIT: Final = 4096

# A parser returns the value itself, or a Parsed when there is an error or a warning.
_Parser = Callable[[CellValue], object]


def _too_long(spec: FieldSpec) -> Parsed[object]:
    return Parsed(None, error=TOO_LONG, params=MappingProxyType({"max": str(spec.max_length)}))


def _allowed(spec: FieldSpec) -> str:
    return "、".join(c.zh for c in spec.choices)


def _plain(parsed: Parsed[object]) -> object:
    """A Parsed with nothing to report is just its value."""
    return parsed if parsed.error is not None or parsed.warning is not None else parsed.value


def _text_parser(spec: FieldSpec) -> _Parser:
    limit = spec.max_length
    too_long = _too_long(spec)
    strip = cells.STRIP_CHARS
    clean_text = cells.clean_text

    def parse(cell: CellValue) -> object:
        # Printable text has no line endings or invisible (Cf) characters for clean_text
        # to deal with: stripping is all it would do.
        if cell.__class__ is str and cell.isprintable():
            text: str | None = cell.strip(strip) or None
        else:
            text = clean_text(cell)
        if text is not None and limit is not None and len(text) > limit:
            return too_long
        return text

    return parse


def _code_parser(spec: FieldSpec) -> _Parser:
    limit = spec.max_length
    too_long = _too_long(spec)
    forbidden: Parsed[object] = Parsed(None, error=FORBIDDEN_CHARS)
    plain = _PLAIN_CODE.fullmatch
    scientific = cells.SCIENTIFIC.fullmatch

    def parse(cell: CellValue) -> object:
        if (
            cell.__class__ is str
            and plain(cell)
            and (limit is None or len(cell) <= limit)
            and ("E" not in cell or not scientific(cell))
        ):
            return cell
        code = cells.code_text(cell)
        if code.value is not None:
            if _KEY_FORBIDDEN.search(code.value):
                return forbidden
            if limit is not None and len(code.value) > limit:
                return too_long
        return _plain(code)

    return parse


def _phone_parser(spec: FieldSpec) -> _Parser:
    mobile = _PLAIN_MOBILE.fullmatch

    def parse(cell: CellValue) -> object:
        if cell.__class__ is str and mobile(cell):
            return cell
        return _plain(cells.phone(cell))

    return parse


def _parse_choice(spec: FieldSpec, raw: CellValue) -> Parsed[object]:
    text = cells.clean_text(raw)
    if text is None:
        return Parsed(None)
    code = spec.labels.get(label_key(text))
    if code is not None or not spec.closed:
        return Parsed(code or text)
    return cells.choice(raw, spec.labels, _allowed(spec))  # the error, with its parameters


# Matching a written target kind that is not one of the labels: the wording offices use
# ("食品生产企业", "个体工商户及企业") names the kind inside a longer phrase. Checked in order.
_TARGET_KIND_WORDS: Final = (
    ("个体", "individual"),
    ("合作社", "cooperative"),
    ("企业", "enterprise"),
    ("公司", "enterprise"),
    ("产品", "product"),
    ("项目", "project"),
    ("行为", "behaviour"),
)


def _parse_tags(spec: FieldSpec, raw: CellValue) -> Parsed[object]:
    parts = cells.tags(raw)
    if parts is None or not spec.choices:
        return Parsed(parts)
    labels = spec.labels
    found: list[str] = []
    unknown: list[str] = []
    for part in parts:
        code = labels.get(label_key(part))
        if code is None and spec.key == "target_kind":
            hits = [c for word, c in _TARGET_KIND_WORDS if word in part]
            found.extend(hits)
            if not hits:
                unknown.append(part)
                found.append("other")
            continue
        if code is None and spec.closed:
            return Parsed(
                None,
                error=cells.ENUM_INVALID,
                params=MappingProxyType({"shown": part, "allowed": _allowed(spec)}),
            )
        found.append(code or part)
    value = tuple(dict.fromkeys(found))
    if unknown:
        return Parsed(
            value,
            warning=TARGET_KIND_OTHER,
            params=MappingProxyType({"shown": "、".join(unknown)}),
        )
    return Parsed(value)


def _slow_parser(spec: FieldSpec) -> Callable[[CellValue], Parsed[object]]:
    kind = spec.kind
    if kind is FieldKind.DATE:
        return lambda raw: cells.date_value(raw, range_end=True, open_ended=True)
    if kind is FieldKind.ENUM:
        return lambda raw: _parse_choice(spec, raw)
    if kind is FieldKind.TAGS:
        return lambda raw: _parse_tags(spec, raw)
    if kind is FieldKind.RATIO:
        return cells.ratio_permille
    if kind is FieldKind.BOOL:
        return cells.boolean
    raise AssertionError(kind)


def _remembering_parser(spec: FieldSpec) -> _Parser:
    """Dates, enumerations, tags, ratios, booleans: parsed once per spelling (text cells
    only: 1, 1.0 and True are equal keys of a dict but not the same cell)."""
    slow = _slow_parser(spec)
    seen: dict[str, object] = {}

    def parse(cell: CellValue) -> object:
        if cell.__class__ is not str:
            return _plain(slow(cell))
        found = seen.get(cell, seen)
        if found is seen:
            found = _plain(slow(cell))
            if len(seen) < _CACHE_LIMIT:
                seen[cell] = found
        return found

    return parse


# What the USCC parser returns for a code that is not already clean: validate_rows then
# checks it in full (several errors and warnings, an old registration number).
USCC_SLOW: Final[Parsed[object]] = Parsed(None)


def _uscc_parser(spec: FieldSpec) -> _Parser:
    is_clean = uscc.is_clean
    scientific = cells.SCIENTIFIC.fullmatch

    def parse(cell: CellValue) -> object:
        if cell.__class__ is str and is_clean(cell) and ("E" not in cell or not scientific(cell)):
            return cell
        return USCC_SLOW

    return parse


def _parser(spec: FieldSpec) -> _Parser:
    """The parser of one field."""
    if spec.kind is FieldKind.USCC:
        return _uscc_parser(spec)
    if spec.kind is FieldKind.TEXT:
        return _text_parser(spec)
    if spec.kind is FieldKind.CODE:
        return _code_parser(spec)
    if spec.kind is FieldKind.PHONE:
        return _phone_parser(spec)
    return _remembering_parser(spec)


# (key, parser, required, the maximum length of a free-text field or a huge one for
# unlimited text; None for other kinds)
Field = tuple[str, _Parser, bool, int | None]
_UNLIMITED: Final = 2**62


@dataclass(frozen=True, slots=True)
class Compiled:
    spec: RegisterSpec
    fields: tuple[Field, ...]


# By id(): hashing a frozen spec (all its fields and choices) would cost more per row than
# validating the row. The spec is kept in the entry, so an id is never reused while cached.
_COMPILED: dict[int, Compiled] = {}


def _field(spec: FieldSpec) -> Field:
    if spec.kind is FieldKind.TEXT:
        limit = _UNLIMITED if spec.max_length is None else spec.max_length
        return spec.key, _parser(spec), spec.required, limit
    return spec.key, _parser(spec), spec.required, None


def compiled(register: Register | RegisterSpec) -> Compiled:
    spec = register if isinstance(register, RegisterSpec) else SPECS[register]
    found = _COMPILED.get(id(spec))
    if found is None or found.spec is not spec:
        found = Compiled(spec, tuple(_field(f) for f in spec.fields))
        _COMPILED[id(spec)] = found
    return found
