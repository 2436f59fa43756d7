"""A workbook from outside, checked before any parser sees it (docs/architecture.md §6).

python-calamine builds a sheet's used range densely, 32 bytes a cell, before it hands over
one row: a 1.6 KB .xlsx with a value in A1 and one in XFD1048576 asks for 512 GiB and the
process aborts (SIGABRT, nothing to catch); a value in ZZ100000 costs 2.2 GB. A zip bomb
does the same to zipfile and to calamine's inflater. So before calamine opens an upload:

- its size;
- what it is: a zip (.xlsx, .xlsb, .ods), an OLE compound file (an .xls, or a
  password-protected .xlsx: an EncryptionInfo stream inside), a web page saved as .xls, or
  anything else: each has its own reason;
- a zip's parts: how many (the central directory becomes objects in memory), what they say
  they unpack to and what they really unpack to: every part is inflated here as a stream,
  with a cap, whatever its headers claim (a bomb may lie about its sizes), and its CRC and
  size are checked as zipfile would;
- every worksheet's used range, from the real cell references in its XML (``<dimension
  ref>`` can lie), in the whole-row pieces storage.xlsx_sheet_xml already cuts to find
  hidden rows: one pass gives both, and the reader can take the hidden rows and formulas
  from here (``CheckedWorkbook.sheets``) instead of scanning again.

What is not checked here: an .xls is BIFF records inside an OLE file, with 16-bit rows and
columns that the format does not bound, and .xlsb and .ods describe their cells in binary
records and repeat counts: without parsers of our own for them, the isolated child
(storage/isolation.py) and its memory budget are their limit.
"""

from __future__ import annotations

import copyreg
import functools
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

from bot.config import Settings
from storage.xlsx_read import (
    CORRUPT,
    ENCRYPTED,
    HTML_DISGUISED,
    NOT_SPREADSHEET,
    TOO_LARGE,
    UnusableFile,
    column_letter,
)
from storage.xlsx_sheet_xml import SheetXml, column_index, scan_parts, sheet_parts

# Reason codes (sentences in bot.domain.reasons).
UPLOAD_TOO_LARGE: Final = "file.upload_too_large"
TOO_MANY_PARTS: Final = "file.too_many_parts"
SHEET_TOO_LARGE: Final = "file.sheet_too_large"
ROW_TOO_LARGE: Final = "file.row_too_large"

# A real .xlsx has a dozen parts; each costs zipfile (and calamine) a directory entry in
# memory, and a 64 MB file could hold a million of them.
MAX_PARTS: Final = 10_000
# The XML of one row: a register's row is a few KB; beyond this a "row" is an attack on the
# piece-by-piece scan, which keeps a whole row in memory.
MAX_ROW_XML: Final = 16 * 2**20
# workbook.xml, the relationships, [Content_Types].xml, mimetype: read whole (to find the
# sheets), so each is capped on its own.
MAX_STRUCTURE_PART: Final = 16 * 2**20

_MB: Final = 2**20
_ZIP_MAGIC: Final = (b"PK\x03\x04", b"PK\x05\x06")
_CENTRAL_ENTRY: Final = b"PK\x01\x02"
_LOCAL_HEADER: Final = struct.Struct("<4s22xHH")  # signature ... name length, extra length
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# MS-OFFCRYPTO: an encrypted .xlsx is an OLE file with an "EncryptionInfo" stream (directory
# entry names are UTF-16LE).
_ENCRYPTION_INFO: Final = "EncryptionInfo".encode("utf-16-le")
_INPUT_PIECE: Final = 2**20  # compressed bytes fed to the inflater at a time
_OUTPUT_PIECE: Final = 4 * 2**20  # inflated bytes at a time (as storage.xlsx_sheet_xml reads)
_SHEET_DATA: Final = b"sheetData"

# A cell's start tag with a reference, not self-closing: a value or a formula follows.
# (calamine leaves valueless cells out of the range: Excel writes a formatted empty cell
# as <c r="X9" s="3"/>, and such a cell far out must not refuse a good file.)
_VALUED_CELL: Final = re.compile(
    rb"<(?:\w+:)?c\s[^>]*?\br\s*=\s*[\"']([A-Za-z]+)0*(\d+)[\"'][^>]*(?<!/)>"
)
# A row or a cell without a reference: its place follows from the one before.
_IMPLICIT: Final = re.compile(rb"<(?:\w+:)?(?:row|c)(?:/?>|\s(?![^>]*\br\s*=)[^>]*>)")
# A row or cell tag written otherwise than ``<row r=`` / ``<c r=``.
_UNUSUAL_TAG: Final = re.compile(rb"<(?:c|row)(?:[\t\r\n/>]| (?!r=))")
_PREFIXED_TAG: Final = re.compile(rb":(?:c|row)[\s/>]")
_TAG: Final = re.compile(rb"<(?:\w+:)?(row|c)(?=[\s/>])([^>]*)>")
_REF: Final = re.compile(rb"\br\s*=\s*[\"']([A-Za-z]*)0*(\d+)[\"']")
_ROW_START: Final = re.compile(rb"<(?:\w+:)?row\s[^>]*?\br\s*=\s*[\"']0*(\d+)[\"']")
_WINDOW: Final = 64 * 2**10  # where a piece's last cell and last row are looked for
_MAX_JUMPS: Final = 64  # raises of the maximum within a piece before every cell is read


@dataclass(frozen=True, slots=True)
class WorkbookLimits:
    upload_bytes: int
    unpacked_bytes: int
    rows: int
    columns: int
    cells: int
    parts: int = MAX_PARTS
    row_xml_bytes: int = MAX_ROW_XML

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkbookLimits:
        return cls(
            upload_bytes=settings.upload_max_mb * _MB,
            unpacked_bytes=settings.upload_unpacked_max_mb * _MB,
            rows=settings.upload_max_rows,
            columns=settings.upload_max_columns,
            cells=settings.upload_max_cells,
        )


@dataclass(frozen=True, slots=True)
class UsedRange:
    """How far a sheet's values reach, counted from A1 (as the message says it)."""

    sheet: str
    rows: int
    columns: int

    @property
    def corner(self) -> str:
        return f"{column_letter(self.columns - 1)}{self.rows}" if self.columns else "A1"


@dataclass(frozen=True, slots=True)
class CheckedWorkbook:
    file_format: str  # "xlsx", "xlsb", "ods" or "xls"
    unpacked_bytes: int  # what the zip's parts really inflate to (the file's size for .xls)
    # Per worksheet of an .xlsx: its hidden rows and formulas without value, scanned here.
    sheets: Mapping[str, SheetXml] = field(default_factory=dict)
    used: tuple[UsedRange, ...] = ()


# The limits a process checks with when a caller names none (set by a reader's child
# process to its parent's settings: a fork server's environment may be older).
_process_limits: WorkbookLimits | None = None


def use_limits(limits: WorkbookLimits) -> None:
    """Check every workbook of this process against ``limits`` (a reader child's first step)."""
    global _process_limits  # noqa: PLW0603 - one child process, one upload
    _process_limits = limits


def check_workbook(data: bytes, limits: WorkbookLimits | None = None) -> CheckedWorkbook:
    """What the upload is, if a parser may open it; else ``UnusableFile`` with the reason."""
    limits = limits or _process_limits or WorkbookLimits.from_settings(Settings())
    if len(data) > limits.upload_bytes:
        raise UnusableFile(
            UPLOAD_TOO_LARGE,
            {"megabytes": f"{len(data) / _MB:,.1f}", "max": f"{limits.upload_bytes // _MB:,}"},
        )
    head = data[:8]
    if head.startswith(_ZIP_MAGIC):
        return _check_zip(data, limits)
    if head == _OLE_MAGIC:
        if _ENCRYPTION_INFO in data:
            raise UnusableFile(ENCRYPTED)
        return CheckedWorkbook("xls", len(data))
    sample = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if sample.startswith((b"<", b"mime-version")) and (
        b"<html" in sample or b"<table" in sample or b"mime-version" in sample
    ):
        raise UnusableFile(HTML_DISGUISED)
    raise UnusableFile(NOT_SPREADSHEET)


# --- the zip ---------------------------------------------------------------------------------


class _Budget:
    """What the parts inflate to, together; refuses the file past the limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def spend(self, size: int) -> None:
        self.used += size
        if self.used > self.limit:
            raise UnusableFile(TOO_LARGE, {"megabytes": f"{self.limit // _MB:,}"})


class _CappedZip(zipfile.ZipFile):
    """zipfile whose ``read`` inflates through ``_inflated``: storage.xlsx_sheet_xml's
    ``sheet_parts`` reads workbook.xml and the relationships with it, and one of those
    could be the bomb."""

    data: bytes

    def read(self, name: str | zipfile.ZipInfo, pwd: bytes | None = None) -> bytes:
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        return b"".join(_inflated(self.data, info, _Budget(MAX_STRUCTURE_PART)))


def _check_zip(data: bytes, limits: WorkbookLimits) -> CheckedWorkbook:
    # An upper bound of the parts before zipfile makes an object of each (the signature
    # may also occur inside compressed data by chance: a count a little too high).
    parts = data.count(_CENTRAL_ENTRY)
    if parts > limits.parts:
        raise UnusableFile(TOO_MANY_PARTS, {"count": f"{parts:,}", "max": f"{limits.parts:,}"})
    try:
        with _CappedZip(io.BytesIO(data)) as archive:
            archive.data = data
            return _check_parts(archive, data, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise UnusableFile(CORRUPT) from exc
    except (NotImplementedError, ValueError) as exc:  # a damaged header's version or offset
        raise UnusableFile(CORRUPT) from exc


def _check_parts(archive: _CappedZip, data: bytes, limits: WorkbookLimits) -> CheckedWorkbook:
    infos = archive.infolist()
    if sum(info.file_size for info in infos) > limits.unpacked_bytes:
        raise UnusableFile(TOO_LARGE, {"megabytes": f"{limits.unpacked_bytes // _MB:,}"})
    file_format = _zip_format(archive)
    sheet_of = {part: name for name, part in sheet_parts(archive).items()}
    budget = _Budget(limits.unpacked_bytes)
    scanned: dict[str, SheetXml] = {}
    used: list[UsedRange] = []
    for info in infos:
        sheet = sheet_of.get(info.filename)
        if sheet is None and not _holds_sheet_data(data, info, budget):
            continue
        # A part holding sheet data that no sheet names is measured too: calamine may
        # find its way to it where sheet_parts did not.
        name = sheet or info.filename
        xml, reach = _scan_sheet(data, info, name, budget, limits)
        used.append(reach)
        _check_range(reach, limits)
        if sheet is not None:
            scanned[sheet] = xml
    return CheckedWorkbook(file_format, budget.used, scanned, tuple(used))


def _zip_format(archive: zipfile.ZipFile) -> str:
    names = set(archive.namelist())
    if "[Content_Types].xml" in names and "xl/workbook.bin" in names:
        return "xlsb"
    if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        return "xlsx"
    if "mimetype" in names and b"opendocument.spreadsheet" in archive.read("mimetype"):
        return "ods"
    raise UnusableFile(NOT_SPREADSHEET)


def _holds_sheet_data(data: bytes, info: zipfile.ZipInfo, budget: _Budget) -> bool:
    """Inflate a part that is not a named sheet (it counts against the budget all the
    same); whether it holds sheet data."""
    found = False
    tail = b""
    for piece in _inflated(data, info, budget):
        found = found or _SHEET_DATA in tail + piece[: len(_SHEET_DATA)] or _SHEET_DATA in piece
        tail = piece[-len(_SHEET_DATA) :]
    return found


def _inflated(data: bytes, info: zipfile.ZipInfo, budget: _Budget) -> Iterator[bytes]:
    """A part's bytes as they really inflate (headers' sizes are not trusted), in pieces;
    its size and CRC checked against the central directory at the end, as zipfile does."""
    if info.flag_bits & 0x1:
        raise UnusableFile(ENCRYPTED)
    raw = memoryview(data)[_data_start(data, info) :][: info.compress_size]
    if len(raw) < info.compress_size:
        raise UnusableFile(CORRUPT)
    size = crc = 0
    for piece in _pieces(raw, info.compress_type):
        budget.spend(len(piece))
        size += len(piece)
        crc = zlib.crc32(piece, crc)
        yield piece
    if size != info.file_size or crc != info.CRC:
        raise UnusableFile(CORRUPT)


def _data_start(data: bytes, info: zipfile.ZipInfo) -> int:
    offset = info.header_offset
    header = data[offset : offset + _LOCAL_HEADER.size]
    if len(header) < _LOCAL_HEADER.size:
        raise UnusableFile(CORRUPT)
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != b"PK\x03\x04":
        raise UnusableFile(CORRUPT)
    return int(offset + _LOCAL_HEADER.size + name_length + extra_length)


def _pieces(raw: memoryview, method: int) -> Iterator[bytes]:
    if method == zipfile.ZIP_STORED:
        for start in range(0, len(raw), _OUTPUT_PIECE):
            yield bytes(raw[start : start + _OUTPUT_PIECE])
        return
    if method != zipfile.ZIP_DEFLATED:  # Excel, WPS and LibreOffice write no other
        raise UnusableFile(CORRUPT)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        for start in range(0, len(raw), _INPUT_PIECE):
            pending: bytes | memoryview = raw[start : start + _INPUT_PIECE]
            while pending and not inflater.eof:
                piece = inflater.decompress(pending, _OUTPUT_PIECE)
                pending = inflater.unconsumed_tail
                if piece:
                    yield piece
        while not inflater.eof and (piece := inflater.decompress(b"", _OUTPUT_PIECE)):
            yield piece
    except zlib.error as exc:
        raise UnusableFile(CORRUPT) from exc
    if not inflater.eof:
        raise UnusableFile(CORRUPT)


# --- the sheets -------------------------------------------------------------------------------


def _scan_sheet(
    data: bytes, info: zipfile.ZipInfo, sheet: str, budget: _Budget, limits: WorkbookLimits
) -> tuple[SheetXml, UsedRange]:
    reach = _Reach()
    pieces = _bounded_rows(_inflated(data, info, budget), sheet, limits.row_xml_bytes)
    xml = scan_parts(pieces, observe=reach.scan)
    return xml, UsedRange(sheet, reach.rows, reach.columns)


def _bounded_rows(pieces: Iterator[bytes], sheet: str, limit: int) -> Iterator[bytes]:
    """The pieces, refusing a row whose XML alone passes ``limit``: scan_parts holds a
    whole row at a time."""
    since_row = 0
    for piece in pieces:
        last = max(piece.rfind(b"<row"), piece.rfind(b":row"))
        since_row = since_row + len(piece) if last < 0 else len(piece) - last
        if since_row > limit:
            raise UnusableFile(ROW_TOO_LARGE, {"sheet": sheet, "megabytes": str(limit // _MB)})
        yield piece


def _check_range(reach: UsedRange, limits: WorkbookLimits) -> None:
    if (
        reach.rows <= limits.rows
        and reach.columns <= limits.columns
        and reach.rows * reach.columns <= limits.cells
    ):
        return
    raise UnusableFile(
        SHEET_TOO_LARGE,
        {
            "sheet": reach.sheet,
            "rows": f"{reach.rows:,}",
            "columns": f"{reach.columns:,}",
            "cell": reach.corner,
            "max_rows": f"{limits.rows:,}",
            "max_columns": f"{limits.columns:,}",
            "max_cells": f"{limits.cells:,}",
        },
    )


class _Reach:
    """The highest row and column holding a value, piece by piece.

    A 100k-row sheet has millions of cells: reading each reference in Python would cost
    seconds. Instead one regex, built for the maximum so far, looks for a cell beyond it;
    in a sheet written top to bottom it finds nothing once the maximum is raised to the
    cells at the piece's end. Where every row and cell tag is written as Excel, WPS and
    openpyxl write it (``<row r=``, ``<c r=``) that regex starts with a literal and runs
    at nearly memchr speed; other spellings (a namespace prefix, attributes in another
    order) take the general regex, and rows or cells without a reference (their place
    follows from the one before) are walked tag by tag: rare, slower, and always right.
    """

    def __init__(self) -> None:
        self.rows = 0  # highest row number with a value (1-based)
        self.columns = 0  # highest column with a value (1-based: A = 1)
        self._row = 0  # the walk's current row
        self._column = 0  # the walk's current column

    def scan(self, piece: bytes) -> None:
        plain = _UNUSUAL_TAG.search(piece) is None and _PREFIXED_TAG.search(piece) is None
        if not plain and _IMPLICIT.search(piece):
            self._walk(piece)
            return
        window = piece[-_WINDOW:]
        for cell in _VALUED_CELL.finditer(window):
            self._take(cell[1], cell[2])
        # Two simple searches cost less than one that looks for both (measured).
        for beyond in (_plain_rows_after, _plain_columns_after) if plain else (_cells_after,):
            self._raise(piece, beyond)
        rows = list(_ROW_START.finditer(window)) or list(_ROW_START.finditer(piece))
        if rows:
            self._row = int(rows[-1][1])

    def _raise(self, piece: bytes, beyond: Callable[[int, int], re.Pattern[bytes]]) -> None:
        """Raise the maximum to every cell beyond it, one search for each raise."""
        position = 0
        for _ in range(_MAX_JUMPS):
            found = beyond(self.rows, self.columns).search(piece, position)
            if found is None:
                return
            cell = _VALUED_CELL.match(piece, found.start())
            if cell is not None:  # else an empty cell: nothing for calamine
                self._take(cell[1], cell[2])
            position = found.end()
        for cell in _VALUED_CELL.finditer(piece, position):  # a sheet out of order
            self._take(cell[1], cell[2])

    def _take(self, letters: bytes, digits: bytes) -> None:
        self.rows = max(self.rows, int(digits))
        self.columns = max(self.columns, column_index(letters.decode().upper()) + 1)

    def _walk(self, piece: bytes) -> None:
        for tag in _TAG.finditer(piece):
            ref = _REF.search(tag[2])
            if tag[1] == b"row":
                self._row = int(ref[2]) if ref else self._row + 1
                self._column = 0
                continue
            if ref is not None and ref[1]:
                self._column = column_index(ref[1].decode().upper()) + 1
                row = int(ref[2])
            else:
                self._column += 1
                row = self._row
            if not tag[2].endswith(b"/"):
                self.rows = max(self.rows, row)
                self.columns = max(self.columns, self._column)


@functools.lru_cache(maxsize=64)
def _cells_after(rows: int, columns: int) -> re.Pattern[bytes]:
    """A cell whose column is after ``columns`` or whose row is after ``rows``, however
    its tag is written."""
    return re.compile(
        rb"<(?:\w+:)?c\s[^>]*?\br\s*=\s*[\"'](?:"
        + _letters_after(columns)
        + rb"\d|[A-Za-z]+0*"
        + _number_after(rows)
        + rb"[\"'])"
    )


@functools.lru_cache(maxsize=64)
def _plain_rows_after(rows: int, columns: int) -> re.Pattern[bytes]:
    """A cell written ``<c r=`` whose row is after ``rows``."""
    return re.compile(rb"<c r=[\"'][A-Za-z]+0*" + _number_after(rows) + rb"[\"']")


@functools.lru_cache(maxsize=64)
def _plain_columns_after(rows: int, columns: int) -> re.Pattern[bytes]:
    """A cell written ``<c r=`` whose column is after ``columns``."""
    return re.compile(rb"<c r=[\"']" + _letters_after(columns) + rb"\d")


def _letters_after(count: int) -> bytes:
    """Column letters, either case, naming a column after the ``count``-th (0: any)."""
    if count == 0:
        return rb"[A-Za-z]+"
    letters = column_letter(count - 1).encode()
    options = [rb"[A-Za-z]{%d,}" % (len(letters) + 1)]
    for i, letter in enumerate(letters):
        if letter != ord("Z"):
            same = b"".join(b"[%c%c]" % (c, c + 32) for c in letters[:i])
            after = b"[%c-Z%c-z]" % (letter + 1, letter + 33)
            options.append(same + after + rb"[A-Za-z]{%d}" % (len(letters) - i - 1))
    return b"(?:" + b"|".join(options) + b")"


def _number_after(number: int) -> bytes:
    """Digits (without leading zeros) of a number greater than ``number``."""
    digits = str(number).encode()
    options = [rb"[1-9]\d{%d,}" % len(digits)]
    for i, digit in enumerate(digits):
        if digit != ord("9"):
            rest = len(digits) - i - 1
            options.append(digits[:i] + b"[%c-9]" % (digit + 1) + rb"\d{%d}" % rest)
    return b"(?:" + b"|".join(options) + b")"


# UnusableFile keeps its parameters in a read-only mapping, which pickle refuses, and its
# message is not its arguments: so that a refusal raised in the isolated reader
# (storage/isolation.py) reaches the parent whole, it is pickled as (reason, params).
def _reduce_unusable(error: UnusableFile) -> tuple[type[UnusableFile], tuple[str, dict[str, str]]]:
    return UnusableFile, (error.reason, dict(error.params))


copyreg.pickle(UnusableFile, _reduce_unusable)
