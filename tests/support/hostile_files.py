"""Hostile workbooks, generated small and fast: sheets written as raw XML into a zip (a sparse
sheet is a few KB), zip bombs built from one flushed deflate block repeated, and a
password-protected file's OLE container."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    b'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    b'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    b'"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
    b'"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    b'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    b'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
    b'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
    b'2006/relationships"><sheets><sheet name="\xe5\x90\x8d\xe5\xbd\x95" sheetId="1" '
    b'r:id="rId1"/></sheets></workbook>'
)  # the sheet is named 名录 (UTF-8)
WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    b'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    b'Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.'
    b'org/spreadsheetml/2006/main">'
)
SHEET_PART = "xl/worksheets/sheet1.xml"


def cell(ref: str, value: int = 1) -> bytes:
    return b'<c r="%s"><v>%d</v></c>' % (ref.encode(), value)


def row(number: int, *cells: bytes) -> bytes:
    return b'<row r="%d">%s</row>' % (number, b"".join(cells))


def sheet_xml(rows: bytes | Iterable[bytes], dimension: str | None = None) -> bytes:
    body = rows if isinstance(rows, bytes) else b"".join(rows)
    head = SHEET_HEAD + (b'<dimension ref="%s"/>' % dimension.encode() if dimension else b"")
    return head + b"<sheetData>" + body + b"</sheetData></worksheet>"


def xlsx(sheet: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    """A one-sheet workbook (sheet 名录) with ``sheet`` as its XML."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr(SHEET_PART, sheet)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def sparse(*refs: str) -> bytes:
    """A workbook with the value 1 in each cell named (in row order)."""
    by_row: dict[int, list[bytes]] = {}
    for ref in refs:
        number = int(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        by_row.setdefault(number, []).append(cell(ref))
    return xlsx(sheet_xml(row(n, *cells) for n, cells in sorted(by_row.items())))


def deflated_repeat(block: bytes, times: int) -> bytes:
    """Raw deflate data inflating to ``block * times``, about ``times`` × a few bytes: one
    block compressed and fully flushed (so it stands alone), repeated."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    one = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    return one * times + packer.flush(zlib.Z_FINISH)


def raw_zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip written by hand, so that its headers can say what the test wants:
    (name, deflated data, CRC, declared compressed size, declared uncompressed size)."""
    out = io.BytesIO()
    central = io.BytesIO()
    for name, data, crc, _, size in members:
        offset = out.tell()
        encoded = name.encode()
        fields = (20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0)
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields) + encoded + data)
        central.write(
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, offset) + encoded
        )
    start = out.tell()
    directory = central.getvalue()
    count = len(members)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(directory), start, 0)
    return out.getvalue() + directory + end


def structure_members() -> list[tuple[str, bytes, int, int, int]]:
    """The parts of a workbook other than its sheet, honest, for raw_zip."""
    members = []
    for name, data in (
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
    ):
        packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        packed = packer.compress(data) + packer.flush()
        members.append((name, packed, zlib.crc32(data), len(packed), len(data)))
    return members


def zip_bomb(inflated_mb: int, *, honest: bool, part: str = "xl/media/image1.png") -> bytes:
    """A workbook with a part inflating to ``inflated_mb`` MB of zeros; ``honest``: its
    headers say so, else they claim 1 KB."""
    data = deflated_repeat(bytes(2**20), inflated_mb)
    size = inflated_mb * 2**20 if honest else 1024
    # The CRC is never reached: the file is refused while it inflates.
    return raw_zip([*structure_members(), (part, data, 0, len(data), size)])


def sheet_bomb(inflated_mb: int) -> bytes:
    """The sheet itself inflates to ``inflated_mb`` MB of the same row, over and over (its
    headers lie: they claim 1 KB)."""
    one = row(1, cell("A1"))
    block = one * (2**20 // len(one))
    data = deflated_repeat(block, inflated_mb)
    return raw_zip([*structure_members(), (SHEET_PART, data, 0, len(data), 1024)])


def password_protected() -> bytes:
    """What Excel saves for a workbook with a password: an OLE compound file (CFB) holding
    the streams EncryptionInfo and EncryptedPackage. Only the header's magic and the
    directory entry's UTF-16 name matter to a reader sniffing it; calamine itself says
    "Cannot detect file format" and openpyxl "File is not a zip file"."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + struct.pack("<HH", 0x3E, 3)
    header += struct.pack("<HH", 0xFFFE, 9) + bytes(512 - len(header) - 4)
    entry = "EncryptionInfo".encode("utf-16-le").ljust(64, b"\0") + struct.pack("<H", 30)
    return header + bytes(4) + entry.ljust(128, b"\0") + bytes(1024)


# --- run in the isolated child (storage.isolation): module-level, so they pickle ------------


class CountingSink:
    """A RowSink that keeps nothing and counts the rows."""

    def __init__(self) -> None:
        self.rows = 0

    def start(self, read: object) -> None:
        pass

    def take(self, rows: list[object]) -> list[object]:
        self.rows += len(rows)
        return []


def read_entities(data: bytes) -> tuple[str, int]:
    """What the chat's reading service will do in the child: read_register (with its
    check) into a sink; the sheet read and its row count."""
    from bot.domain.registers.validation import Register
    from storage.xlsx_read import read_register

    sink = CountingSink()
    read = read_register(data, "upload.xlsx", Register("entities"), sink)
    return read.sheet, sink.rows


def calamine_unchecked(data: bytes) -> tuple[int, int]:
    """calamine alone, no check first: what a hostile file does to a parser."""
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    return sheet.height, sheet.width


def spin(data: bytes) -> None:
    while data:
        pass


def abort(data: bytes) -> None:
    import os

    os.abort()
