"""Helpers for the registers' service tests: workbooks, codes, people, snapshots."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook
from sqlalchemy import select, text

from bot.domain.registers.uscc import check_character, org_code_check_character
from bot.services.people import membership
from bot.services.people.profiles import Profile, load_profile
from bot.services.registers import imports
from storage.db import Database
from storage.models import RecordChange, User
from storage.xlsx_read import column_letter
from tests.conftest import TZ
from tests.support import hostile_files

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
# The office's day at NOW (services take it from the caller, as from DSR_TIMEZONE).
TODAY = NOW.astimezone(TZ).date()
DIRECTORY_TABLES = ("entities", "unit_entities", "inspectors", "matters")

ENTITY_HEADER = ["市场主体名称", "统一社会信用代码", "法定代表人", "住所", "联系电话", "风险等级"]
INSPECTOR_HEADER = ["姓名", "执法证号", "证件有效期", "业务专长", "执法区域"]
MATTER_HEADER = ["事项编码", "事项名称", "抽查依据", "抽查对象", "抽查方式", "抽查比例"]


def uscc(i: int, category: str = "91") -> str:
    """A valid, distinct unified social credit code."""
    body = f"MA{i:06d}"
    first17 = category + "410481" + body + org_code_check_character(body)
    return first17 + check_character(first17)


def book(rows: Sequence[Sequence[object]], title: str = "名录") -> bytes:
    """A workbook whose first sheet holds ``rows`` from A1 (openpyxl)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def entity_rows(count: int, start: int = 0) -> list[list[object]]:
    return [
        [
            f"舞钢市测试有限公司{i}",
            uscc(i),
            f"张{i}",
            f"垭口街道{i}号",
            f"138{i:08d}",
            "ABCD"[i % 4],
        ]
        for i in range(start, start + count)
    ]


def entities_book(count: int, start: int = 0) -> bytes:
    return book([ENTITY_HEADER, *entity_rows(count, start)])


def large_book(rows: Sequence[Sequence[object]]) -> bytes:
    """``book(rows)`` written as raw sheet XML with inline strings (every value a text):
    100,000 rows in a couple of seconds, where openpyxl takes ten."""

    def cells(number: int, values: Sequence[object]) -> str:
        return "".join(
            f'<c r="{column_letter(i)}{number}" t="inlineStr"><is><t>{escape(str(v))}</t></is></c>'
            for i, v in enumerate(values)
        )

    body = "".join(f'<row r="{n}">{cells(n, r)}</row>' for n, r in enumerate(rows, 1))
    width = max(len(r) for r in rows)
    last = f"{column_letter(width - 1)}{len(rows)}"
    return hostile_files.xlsx(hostile_files.sheet_xml(body.encode(), f"A1:{last}"))


def large_entities_book(count: int) -> bytes:
    """``entities_book(count)``, written fast (large_book)."""
    return large_book([ENTITY_HEADER, *entity_rows(count)])


def setup_units(database: Database, *codes: str) -> None:
    for code in codes or ("SCJG",):
        membership.add_unit(database, None, code, f"{code}局")


def person(
    database: Database, telegram_id: int, *, office: bool = False, liaison_of: str | None = None
) -> Profile:
    """A user with the given roles, as the access gate would load them."""
    with database.unit_of_work() as uow:
        unit_id = None
        if liaison_of is not None:
            unit_id = uow.session.execute(
                text("SELECT id FROM units WHERE code = :code"), {"code": liaison_of}
            ).scalar_one()
        uow.session.add(
            User(
                telegram_id=telegram_id,
                name=f"user{telegram_id}",
                is_office=office,
                liaison_unit_id=unit_id,
            )
        )
        uow.commit()
    profile = load_profile(database, telegram_id)
    assert profile is not None
    return profile


def snapshot(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the directory tables, every column, by id."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with database.engine.connect() as conn:
        for table in DIRECTORY_TABLES:
            found[table] = [
                tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            ]
    return found


def changes(database: Database) -> list[RecordChange]:
    with database.unit_of_work(write=False) as uow:
        return list(uow.session.execute(select(RecordChange).order_by(RecordChange.id)).scalars())


def count(database: Database, table: str, where: str = "1=1") -> int:
    with database.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table} WHERE {where}")).scalar_one())


def rows_of(database: Database, sql: str, **params: object) -> list[tuple[Any, ...]]:
    with database.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def preview(
    database: Database, data: bytes, kind: str = "entities", **kw: object
) -> imports.ImportPreview:
    """A preview of ``data`` for SCJG (``unit=``, ``mode=`` and preview_import's keyword
    arguments may say otherwise)."""
    return imports.preview_import(
        database,
        None,
        str(kw.pop("unit", "SCJG")),
        kind,
        data,
        "f.xlsx",
        str(kw.pop("mode", "update")),
        NOW,
        "test",
        **({"today": TODAY} | kw),  # type: ignore[arg-type]
    )


def load(
    database: Database,
    data: bytes,
    kind: str = "entities",
    *,
    unit: str = "SCJG",
    mode: str = "update",
    actor: Profile | None = None,
    now: datetime = NOW,
    apply_valid: bool = False,
    confirm: bool = False,
) -> imports.ApplyResult:
    """Preview and apply in one go."""
    preview = imports.preview_import(
        database,
        actor,
        unit,
        kind,
        data,
        f"{kind}.xlsx",
        mode,
        now,
        "test",
        today=now.astimezone(TZ).date(),
    )
    assert preview.import_id is not None
    return imports.apply_import(
        database,
        actor,
        preview.import_id,
        now,
        apply_valid=apply_valid,
        confirm_mass_deactivation=confirm,
    )
