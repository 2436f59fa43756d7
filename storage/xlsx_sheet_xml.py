"""What calamine does not expose of an .xlsx sheet: its hidden rows, and formula cells
that have no cached value, found in the sheet's raw XML (and the sheet's part in the zip).

A 100k-row sheet is 50-80 MB of XML: it is read in pieces, and plain substring tests
(memchr speed) decide whether a piece holds anything to look for before any regex runs.
"""

from __future__ import annotations

import functools
import html
import io
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

_ATTR: Final = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
_SHEET_TAG: Final = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)>")
_REL_TAG: Final = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)>")
_ROW_TAG: Final = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
_HIDDEN_ROW_TAG: Final = re.compile(
    rb"<(?:\w+:)?row\b([^>]*?\bhidden\s*=\s*[\"'](?:1|true)[\"'][^>]*)>"
)
_HIDDEN_ATTR: Final = re.compile(rb"\bhidden\s*=\s*[\"'](?:1|true)[\"']")
_HIDDEN_HINTS: Final = (b'hidden="1"', b'hidden="true"', b"hidden='1'", b"hidden='true'")
_ROW_NUMBER: Final = re.compile(rb"\br\s*=\s*[\"'](\d+)[\"']")
# A formula element closing its cell with no cached value: nothing, <v/> or an empty <v>.
_FORMULA_WITHOUT_VALUE: Final = re.compile(
    rb"<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)\s*"
    rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)
_FORMULA_HINTS: Final = (b"<f>", b"<f ", b"<f/", b":f>", b":f ", b":f/")
_CELL_START: Final = re.compile(rb"<(?:\w+:)?c\s([^>]*)>")
_CELL_REF: Final = re.compile(rb"\br\s*=\s*[\"']([A-Z]+)(\d+)[\"']")
_STRING_RESULT: Final = re.compile(rb"\bt\s*=\s*[\"']str[\"']")
_VALUE_ELEMENT: Final = re.compile(rb"<(?:\w+:)?v[\s/>]")
# How far back from a formula its cell's start tag can be (attributes, a long formula).
_CELL_LOOKBACK: Final = 512
_PREFIX: Final = re.compile(rb"<\w+")  # a namespace prefix's start: "<x" of "<x:row"
_SCAN_CHUNK: Final = 4 * 2**20  # bytes of sheet XML at a time


def _attrs(text: bytes) -> dict[str, str]:
    """Attributes by local name (namespace prefixes dropped), values unescaped."""
    return {
        key.decode().rpartition(":")[2]: html.unescape(value.decode("utf-8", "replace"))
        for key, value in _ATTR.findall(text)
    }


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip member holding its XML, through workbook.xml and its rels."""
    names = set(archive.namelist())
    workbook = "xl/workbook.xml"
    if "_rels/.rels" in names:
        for tag in _REL_TAG.findall(archive.read("_rels/.rels")):
            attrs = _attrs(tag)
            if attrs.get("Type", "").endswith("/officeDocument"):
                workbook = attrs.get("Target", workbook).lstrip("/")
    base = posixpath.dirname(workbook)
    rels_name = posixpath.join(base, "_rels", posixpath.basename(workbook) + ".rels")
    targets: dict[str, str] = {}
    if rels_name in names:
        for tag in _REL_TAG.findall(archive.read(rels_name)):
            attrs = _attrs(tag)
            target = attrs.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
            targets[attrs.get("Id", "")] = posixpath.normpath(path)
    parts: dict[str, str] = {}
    if workbook in names:
        for tag in _SHEET_TAG.findall(archive.read(workbook)):
            attrs = _attrs(tag)
            part = targets.get(attrs.get("id", ""))
            if part is not None and part in names and "name" in attrs:
                parts[attrs["name"]] = part
    return parts


@dataclass(slots=True)
class SheetXml:
    hidden_rows: frozenset[int]
    formulas_without_value: frozenset[tuple[int, int]]  # (Excel row, 0-based column)


def scan_sheet_xml(xml: bytes) -> SheetXml:
    """Hidden rows and formula cells with no cached value, from the raw sheet XML."""
    return scan_parts([xml])


def scan_parts(chunks: Iterable[bytes], observe: Callable[[bytes], None] | None = None) -> SheetXml:
    """``_scan_sheet_xml`` over the XML in pieces, each cut before a row's start tag so
    that no row is split: a 100k-row sheet is 50-80 MB of XML, which need not exist at
    once (it would beside calamine's own copy of the sheet). ``observe`` sees the same
    whole-row pieces, in order (storage.xlsx_guard measures the used range in that pass)."""
    scanner = _Scanner()
    tail = b""
    for chunk in chunks:
        buffer = tail + chunk
        cut = _last_row_start(buffer)
        if cut <= 0:
            tail = buffer
            continue
        piece = buffer[:cut]
        scanner.scan(piece)
        if observe is not None:
            observe(piece)
        tail = buffer[cut:]
    scanner.scan(tail)
    if observe is not None:
        observe(tail)
    return SheetXml(frozenset(scanner.hidden), frozenset(scanner.missing))


def _last_row_start(buffer: bytes) -> int:
    """Where the last row's start tag (<row or <x:row) begins; -1 if none."""
    plain = buffer.rfind(b"<row")
    prefixed = buffer.rfind(b":row")
    if prefixed > plain:
        start = buffer.rfind(b"<", 0, prefixed)
        if start >= 0 and _PREFIX.fullmatch(buffer, start, prefixed):
            return start
    return plain


class _Scanner:
    """Hidden rows and formula cells without a value, piece by piece. A row's ``r`` is
    optional: a row without one follows on from the row before, so the last row number
    is carried from piece to piece.

    A 100k-row sheet is 50-80 MB of XML: an XML parser would spend seconds building
    elements nobody needs. Plain substring tests (memchr speed) decide whether there is
    anything to look for at all; only then do the regexes run, and they match only the
    rows and cells that matter.
    """

    def __init__(self) -> None:
        self.hidden: set[int] = set()
        self.missing: set[tuple[int, int]] = set()
        self.row = 0  # the number of the last row seen

    def scan(self, xml: bytes) -> None:
        if b"hidden=" in xml and any(hint in xml for hint in _HIDDEN_HINTS):
            for attrs in _ROW_TAG.findall(xml):
                self._next_row(attrs)
                if _HIDDEN_ATTR.search(attrs):
                    self.hidden.add(self.row)
        else:
            last = _last_row_start(xml)
            tag = _ROW_TAG.match(xml, last) if last >= 0 else None
            if tag is not None and _ROW_NUMBER.search(tag[1]):
                self._next_row(tag[1])
            elif tag is not None:  # rows without numbers: count them all
                for attrs in _ROW_TAG.findall(xml):
                    self._next_row(attrs)
        if (b"<f" in xml or b":f" in xml) and any(hint in xml for hint in _FORMULA_HINTS):
            self._formulas(xml)

    def _next_row(self, attrs: bytes) -> None:
        found = _ROW_NUMBER.search(attrs)
        self.row = int(found[1]) if found else self.row + 1

    def _formulas(self, xml: bytes) -> None:
        for formula in _FORMULA_WITHOUT_VALUE.finditer(xml):
            window = xml[max(0, formula.start() - _CELL_LOOKBACK) : formula.start()]
            cells_before = list(_CELL_START.finditer(window))
            if not cells_before:
                continue
            attrs = cells_before[-1][1]
            # t="str" with an empty value is a formula that computed "": a real value.
            if _STRING_RESULT.search(attrs) and _VALUE_ELEMENT.search(formula[0]):
                continue
            ref = _CELL_REF.search(attrs)
            if ref:
                self.missing.add((int(ref[2]), column_index(ref[1].decode())))


def sheet_xml(data: bytes, sheet: str) -> SheetXml:
    """The hidden rows and formulas without values of the named sheet of an .xlsx (none
    if the sheet has no part). Raises zipfile.BadZipFile (or OSError, EOFError) for a
    broken zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        part = sheet_parts(archive).get(sheet)
        if part is None:
            return SheetXml(frozenset(), frozenset())
        with archive.open(part) as stream:
            return scan_parts(iter(functools.partial(stream.read, _SCAN_CHUNK), b""))


def column_index(letters: str) -> int:
    """A column's letters as its 0-based index: A -> 0, AA -> 26."""
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1
