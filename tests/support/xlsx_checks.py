"""Checks that hold for every workbook the project writes (storage.xlsx_safe): read
three ways, python-calamine (what our own import and most tools see), openpyxl (cell
types and styles), and the sheets' XML itself."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

from openpyxl import load_workbook
from openpyxl.utils.escape import unescape
from python_calamine import CalamineWorkbook

from storage.xlsx_safe import needs_quote_prefix


def is_unwanted(char: str) -> bool:
    """A character no written cell may hold: control characters other than tab and line
    feed, surrogates, and what XML 1.0 excludes."""
    if char in "\t\n":
        return False
    return unicodedata.category(char) in ("Cc", "Cs") or char in "\ufffe\uffff"


@dataclass
class Written:
    """The text cells of a workbook as each reader sees them."""

    calamine: list[str] = field(default_factory=list)
    openpyxl: list[str] = field(default_factory=list)


def check_workbook(data: bytes) -> Written:
    """Read ``data`` every way and assert what holds for any workbook we write."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                root = ElementTree.fromstring(archive.read(name))  # well-formed XML
                for element in root.iter():
                    assert not element.tag.endswith("}f"), (name, "formula element")
                    if element.tag.endswith("}c"):
                        assert element.get("t") not in ("e", "str"), (name, element.attrib)
    written = Written()
    calamine = CalamineWorkbook.from_filelike(io.BytesIO(data))
    for sheet_name in calamine.sheet_names:
        for row in calamine.get_sheet_by_name(sheet_name).to_python():
            written.calamine += [value for value in row if isinstance(value, str)]
    for sheet in load_workbook(io.BytesIO(data)).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type not in ("f", "e"), cell
                if isinstance(cell.value, str):
                    # openpyxl leaves OOXML escapes as they are; Excel and calamine decode.
                    text = unescape(cell.value)
                    assert cell.quotePrefix == needs_quote_prefix(text), (cell, text)
                    written.openpyxl.append(text)
    for text in written.calamine + written.openpyxl:
        assert not any(is_unwanted(c) for c in text), repr(text)
    return written
