"""The demo city (舞钢市): its people, its inspectors and a database to hold it. The scripted
demo (bot.demo) and the console (bot.console) both start from it."""

from __future__ import annotations

import io
from datetime import time
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.domain.registers.uscc import check_character, org_code_check_character
from bot.offline import Person
from bot.services.people import membership
from bot.services.people.profiles import load_profile
from storage import migrate
from storage.db import Database
from storage.models import Base, Inspector, Unit

DEMO_UNITS = [("SCJG", "舞钢市市场监督管理局"), ("SW", "国家税务总局舞钢市税务局")]

DEFAULT_DEMO_URL = "sqlite:///data/demo.sqlite3"

OFFICE = Person(1001, "刘主任", "zh-hans", "office")
LIAISON = Person(2001, "王芳", "zh-hans", "liaison, 市场监管局")
INSPECTOR = Person(3001, "李强", "zh-hans", "inspector")
GUEST = Person(9001, "陈先生", "zh-hans", "not a member")
VISITOR = Person(9002, "Alex", "en", "not a member, English")

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
]


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
    demo_settings = settings.model_copy(
        update={"admin_ids": [OFFICE.telegram_id], "quiet_start": time(0), "quiet_end": time(0)}
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


def demo_directory(*, mistake: bool) -> bytes:
    """The demo unit's entity directory as an .xlsx, with one mistyped code if asked."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "检查对象名录"
    sheet.append(DIRECTORY_HEADER)
    for number, (name, person, address, risk) in enumerate(_ENTITIES, start=1):
        code = _demo_uscc(number)
        if mistake and number == 3:
            code = code[:-1] + ("0" if code[-1] != "0" else "1")  # the check character
        sheet.append((name, code, person, address, f"1383750{number:04d}", risk))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def seed_city(database: Database) -> bool:
    """The demo city's units, inspectors and people, so that every person of DEMO_PEOPLE
    holds the role they are named for (the console's own database, when it has no units
    yet). True when it seeded."""
    if membership.list_units(database):
        return False
    for code, name in DEMO_UNITS:
        membership.add_unit(database, None, code, name)
    for unit, name, cert in INSPECTORS:
        membership.add_inspector(database, None, unit, name, cert)
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
