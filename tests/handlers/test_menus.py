"""Per-role menus: set per chat, in the member's language, on join and on /lang."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.demo_city import OFFICE
from bot.offline import OfflineBot, Person
from bot.services.outbox import QuietHours
from bot.services.people import invites, membership
from bot.services.people import profiles as people
from bot.services.people.invites import InvitePolicy
from storage.db import Database
from tests.conftest import TZ

LIAISON = Person(2201, "王芳", "zh-hans")
INSPECTOR = Person(3201, "李强", "en")


def _menu(bot: OfflineBot, chat_id: int) -> tuple[list[str], list[str]]:
    calls = [
        c
        for c in bot.fake.calls
        if c.method == "setMyCommands" and c.params.get("scope", {}).get("chat_id") == chat_id
    ]
    assert calls, f"no menu was set for {chat_id}"
    commands = calls[-1].params["commands"]
    return [c["command"] for c in commands], [c["description"] for c in commands]


async def test_menus_follow_role_and_language(bot: OfflineBot, db: Database) -> None:
    unit = membership.add_unit(db, None, "SCJG", "市场监督管理局")
    membership.add_inspector(db, None, "SCJG", "李强", "41000001")
    office = people.load_profile(db, OFFICE.telegram_id, [OFFICE.telegram_id])
    assert office is not None
    policy = InvitePolicy(
        bot_id=bot.fake.bot_user["id"], days=14, now=datetime.now(UTC), quiet=QuietHours(TZ)
    )
    link = invites.invite_liaison(db, office, unit.id, policy)
    await bot.say(LIAISON, f"/start {link.code}")
    liaison_commands, liaison_texts = _menu(bot, LIAISON.telegram_id)
    assert {"inspectors", "invites", "people", "handover"} <= set(liaison_commands)
    assert "units" not in liaison_commands
    assert "本单位执法检查人员及邀请" in liaison_texts

    liaison = people.load_profile(db, LIAISON.telegram_id)
    assert liaison is not None
    code = invites.invite_inspectors(db, liaison, unit.id, policy)[0].code
    await bot.say(INSPECTOR, f"/start {code}")
    inspector_commands, inspector_texts = _menu(bot, INSPECTOR.telegram_id)
    assert "inspectors" not in inspector_commands and "me" in inspector_commands
    assert "Who I am here: roles and unit" in inspector_texts  # an English phone

    await bot.say(LIAISON, "/lang")
    await bot.press_label(LIAISON, "English")
    _, texts = _menu(bot, LIAISON.telegram_id)
    assert "My unit's inspectors and their invitations" in texts

    # The same menu is not sent twice.
    before = len([c for c in bot.fake.calls if c.method == "setMyCommands"])
    await bot.say(LIAISON, "/start")
    after = len([c for c in bot.fake.calls if c.method == "setMyCommands"])
    assert after == before
