"""The demo city (舞钢市): its people, its inspectors and a database to hold it. The scripted
demo (bot.demo) and the console (bot.console) both start from it."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.domain.registers.uscc import check_character, org_code_check_character
from bot.offline import Person
from bot.services.people import membership
from bot.services.people.profiles import load_profile
from bot.services.registers import imports
from storage import migrate
from storage.db import Database
from storage.models import Base, Inspector, Unit

DEMO_UNITS = [("SCJG", "舞钢市市场监督管理局"), ("SW", "国家税务总局舞钢市税务局")]

DEFAULT_DEMO_URL = "sqlite:///data/demo.sqlite3"

OFFICE = Person(1001, "刘主任", "zh-hans", "办公室")
LIAISON = Person(2001, "王芳", "zh-hans", "联络员，市场监管局")
TAX_LIAISON = Person(2002, "张磊", "zh-hans", "联络员，税务局")
INSPECTOR = Person(3001, "李强", "zh-hans", "执法检查人员，市场监管局")
GUEST = Person(9001, "陈先生", "zh-hans", "非成员")
VISITOR = Person(9002, "Alex", "en", "非成员，使用英文")

# What each person of the demo city is in a seeded city (the console's own database).
DEMO_ROLES = {"office": "office", "liaison": "liaison", "inspector": "inspector"}

DEMO_PEOPLE = {
    "office": OFFICE,
    "liaison": LIAISON,
    "inspector": INSPECTOR,
    "guest": GUEST,
}

INSPECTORS = [
    ("SCJG", "李强", "41048100101"),
    ("SCJG", "赵敏", "41048100102"),
    ("SCJG", "孙浩", "41048100103"),
    ("SW", "周洁", "41048100201"),
    ("SW", "吴刚", "41048100202"),
]

# Every inspector of the city as a person on the bot, by certificate number (李强 is INSPECTOR).
INSPECTOR_PEOPLE = {
    cert: INSPECTOR
    if name == INSPECTOR.name
    else Person(
        3001 + n, name, "zh-hans", f"执法检查人员，{'市场监管局' if unit == 'SCJG' else '税务局'}"
    )
    for n, (unit, name, cert) in enumerate(INSPECTORS)
}

# How long an enforcement certificate runs in the demo city: counted from the demo's own
# day, so a draw is possible whenever (and on whatever clock) the demo is played.
CERTIFICATE_YEARS = 3


def certificate_valid_until(today: date) -> date:
    """The last day of a certificate issued on ``today`` (29 February runs to the 28th)."""
    year = today.year + CERTIFICATE_YEARS
    try:
        return today.replace(year=year)
    except ValueError:
        return today.replace(year=year, day=28)


class DemoDatabaseNotEmptyError(Exception):
    """Refuse to touch someone's data without --reset."""


def _is_empty(database: Database) -> bool:
    names = set(inspect(database.engine).get_table_names())
    if not names:
        return True
    if "units" not in names:
        return False
    with database.engine.connect() as conn:
        count: int = conn.execute(text("SELECT COUNT(*) FROM units")).scalar_one()
        return count == 0


def _wipe(database: Database) -> None:
    Base.metadata.drop_all(database.engine)
    with database.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def prepare_city(
    settings: Settings, url: str, *, reset: bool, only_if_empty: bool = False
) -> tuple[Database, Settings]:
    """A migrated database for the demo. The default file is recreated; another database
    is used only when it is empty or ``reset`` is given. With ``only_if_empty`` (the console),
    an existing city is kept as it is."""
    parsed = make_url(url)
    if url == DEFAULT_DEMO_URL and parsed.database and not only_if_empty:
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
    database = Database(url)
    empty = _is_empty(database)
    if not empty and not only_if_empty:
        if not reset:
            database.dispose()
            raise DemoDatabaseNotEmptyError(url)
        _wipe(database)
        empty = True
    migrate.upgrade(database)
    # No quiet hours in the demo: a newcomer trying it at night should still see the
    # notices that would otherwise wait for the morning.
    # Nor the one-a-second pacing of a chat (no real Telegram to spare): a notice shows
    # in the transcript at the step that caused it, even right after a reply to the chat.
    demo_settings = settings.model_copy(
        update={
            "admin_ids": [OFFICE.telegram_id],
            "quiet_start": time(0),
            "quiet_end": time(0),
            "send_rate_per_chat": 1000.0,
            "send_rate_overall": 1000.0,
        }
    )
    if empty:
        membership.add_admin(database, OFFICE.telegram_id, OFFICE.name)
    return database, demo_settings


# A directory as a unit keeps it (Chinese headers, as offices write them): five market
# entities of 舞钢市; ``mistake`` mistypes one code, as happens when codes are typed by hand.
DIRECTORY_HEADER = (
    "市场主体名称",
    "统一社会信用代码",
    "法定代表人",
    "住所",
    "联系电话",
    "风险等级",
)
_ENTITIES = (
    ("舞钢市垭口商贸有限公司", "张伟", "垭口街道建设路12号", "A"),
    ("舞钢市寺坡食品厂", "李娜", "寺坡街道朝阳路3号", "B"),
    ("舞钢市矿建建材有限公司", "王磊", "矿建街道钢城路88号", "C"),
    ("舞钢市院岭农业专业合作社", "赵敏", "院岭街道院岭村", "B"),
    ("舞钢市朱兰超市", "孙浩", "朱兰街道人民路21号", "D"),
)


def _demo_uscc(number: int) -> str:
    body = f"MA{number:06d}"
    first17 = "91410481" + body + org_code_check_character(body)
    return first17 + check_character(first17)


# The tax bureau's view: three of the same market entities (same codes) and two of its own.
_TAX_ENTITIES = (
    (2, "舞钢市寺坡食品厂", "李娜", "寺坡街道朝阳路3号", "C"),
    (3, "舞钢市矿建建材有限公司", "王磊", "矿建街道钢城路88号", "B"),
    (5, "舞钢市朱兰超市", "孙浩", "朱兰街道人民路21号", "D"),
    (6, "舞钢市钢城物流有限公司", "周强", "矿建街道工业路6号", "B"),
    (7, "舞钢市八台餐饮服务有限公司", "吴丽", "八台镇中心街15号", "C"),
)

MATTER_HEADER = ("事项编码", "事项名称", "抽查依据", "抽查对象", "抽查方式", "是否可联合")
# Each unit's matter list: one matter each, both open to a joint inspection.
DEMO_MATTERS = {
    "SCJG": (
        "SC-01",
        "食品经营单位监督检查",
        "《中华人民共和国食品安全法》第一百一十条",
        "企业、个体工商户",
        "现场检查",
        "是",
    ),
    "SW": (
        "SW-01",
        "发票使用情况检查",
        "《中华人民共和国发票管理办法》第三十条",
        "企业",
        "现场检查、书面检查",
        "是",
    ),
}


def _workbook(title: str, header: tuple[str, ...], rows: list[tuple[object, ...]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def demo_directory(*, mistake: bool) -> bytes:
    """The demo unit's entity directory as an .xlsx, with one mistyped code if asked."""
    rows: list[tuple[object, ...]] = []
    for number, (name, person, address, risk) in enumerate(_ENTITIES, start=1):
        code = _demo_uscc(number)
        if mistake and number == 3:
            code = code[:-1] + ("0" if code[-1] != "0" else "1")  # the check character
        rows.append((name, code, person, address, f"1383750{number:04d}", risk))
    return _workbook("检查对象名录", DIRECTORY_HEADER, rows)


def tax_directory() -> bytes:
    """The tax bureau's entity directory (SW) as an .xlsx."""
    rows: list[tuple[object, ...]] = [
        (name, _demo_uscc(number), person, address, f"1383751{number:04d}", risk)
        for number, name, person, address, risk in _TAX_ENTITIES
    ]
    return _workbook("检查对象名录", DIRECTORY_HEADER, rows)


def matter_list(unit_code: str) -> bytes:
    """A unit's matter list (抽查事项清单) as an .xlsx."""
    return _workbook("抽查事项清单", MATTER_HEADER, [DEMO_MATTERS[unit_code]])


def seed_city(database: Database, today: date | None = None) -> bool:
    """The demo city's units, inspectors and people, so that every person of DEMO_PEOPLE
    holds the role they are named for (the console's own database, when it has no units
    yet). True when it seeded."""
    if membership.list_units(database):
        return False
    now = datetime.now(UTC)
    today = today or now.date()
    valid_until = certificate_valid_until(today)
    for code, name in DEMO_UNITS:
        membership.add_unit(database, None, code, name)
    for unit, name, cert in INSPECTORS:
        membership.add_inspector(database, None, unit, name, cert, valid_until=valid_until)
    # Both units' registers, as their liaisons send them in the demo: a joint task of the
    # two units can be planned and drawn in the console.
    for unit, kind, data in (
        ("SCJG", "entities", demo_directory(mistake=False)),
        ("SCJG", "matters", matter_list("SCJG")),
        ("SW", "entities", tax_directory()),
        ("SW", "matters", matter_list("SW")),
    ):
        preview = imports.preview_import(
            database, None, unit, kind, data, f"{kind}.xlsx", "update", now, "cli", today=today
        )
        assert preview.import_id is not None and not preview.counts.errors
        imports.apply_import(database, None, preview.import_id, now)
    with database.unit_of_work() as uow:
        session = uow.session
        scjg = session.query(Unit).filter_by(code="SCJG").one()
        liaison = membership.user_row(session, LIAISON.telegram_id, LIAISON.name)
        liaison.liaison_unit_id = scjg.id
        inspector = membership.user_row(session, INSPECTOR.telegram_id, INSPECTOR.name)
        inspector.inspector_id = session.query(Inspector).filter_by(name=INSPECTOR.name).one().id
        uow.commit()
    return True


def holds(database: Database, person: Person, role: str, admin_ids: list[int]) -> bool:
    """Whether ``person`` holds ``role`` in this database (a guest holds none)."""
    profile = load_profile(database, person.telegram_id, admin_ids)
    if role not in DEMO_ROLES:
        return True
    return profile is not None and profile.active and DEMO_ROLES[role] in profile.roles
