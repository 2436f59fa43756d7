"""``dsr console``: chat with the real Application in this terminal, as any person of the
demo city (or any Telegram id), through the offline transport."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.config import Settings
from bot.demo_city import DEMO_PEOPLE, holds, prepare_city, seed_city
from bot.i18n import N_, Translator, translator
from bot.offline import OfflineBot, Person
from storage.db import Database

CONSOLE_HELP = N_(
    "Type text or /commands as the current user.\n"
    "  a number        press that button of the bot's last message with buttons\n"
    "  /file PATH      send a file\n"
    "  /as ROLE        switch to the demo city's office, liaison, inspector or guest\n"
    "  /user ID        switch to any Telegram user id\n"
    "  /quit           leave"
)
CONSOLE_URL = "sqlite:///data/console.sqlite3"


def console_url(settings: Settings, database_url: str | None) -> tuple[str, bool]:
    """The database to chat on: --database, else DSR_DATABASE_URL when it is set, else the
    console's own file; and whether it is the console's own (the demo city may be seeded
    there, never in a database someone named)."""
    if database_url:
        return database_url, False
    if "database_url" in settings.model_fields_set:
        return settings.database_url, False
    return CONSOLE_URL, True


ROLE_WORDS = {
    "office": N_("the office"),
    "liaison": N_("the liaison"),
    "inspector": N_("the inspector"),
    "guest": N_("a guest"),
}


def role_note(t: Translator, person: Person, role: str) -> str:
    return "   " + t._(
        "({name} is not {role} in this database: act as /as office and invite them, be"
        " someone who is with /user TELEGRAM_ID, or start on the demo city with `dsr console`"
        " and no DSR_DATABASE_URL)",
        name=person.name,
        role=t._(ROLE_WORDS.get(role, role)),
    )


def run_console(
    settings: Settings, *, database_url: str | None, user: int | None, role: str | None
) -> int:
    url, own = console_url(settings, database_url)
    database, settings = prepare_city(settings, url, reset=False, only_if_empty=True)
    t = translator(settings.default_locale)
    if own and seed_city(database):
        print(
            "   " + t._("(a fresh demo city: units SCJG and SW, their inspectors, and its people)")
        )
    who = _Who(database, list(settings.admin_ids), DEMO_PEOPLE["office"], t)
    if user is not None:
        who.switch_user(str(user))
    else:
        who.switch_role(role if role in DEMO_PEOPLE else "office")

    async def loop() -> None:
        bot = OfflineBot(settings, database)
        await bot.start()
        print(t._(CONSOLE_HELP))
        try:
            while True:
                line = await asyncio.to_thread(_prompt, who.current.title)
                if line is None or line.strip() == "/quit":
                    break
                await _step(bot, who, line.strip())
        finally:
            await bot.stop()
            database.dispose()

    asyncio.run(loop())
    return 0


class _Who:
    """The person the console speaks as, and the switches between people."""

    def __init__(
        self, database: Database, admins: list[int], current: Person, t: Translator
    ) -> None:
        self.database, self.admins, self.current, self.t = database, admins, current, t

    def switch_role(self, role: str) -> None:
        self.current = DEMO_PEOPLE.get(role, self.current)
        if role in DEMO_PEOPLE and not holds(self.database, self.current, role, self.admins):
            print(role_note(self.t, self.current, role))

    def switch_user(self, raw: str) -> None:
        if raw.isdigit():
            self.current = Person(int(raw), self.t._("User {id}", id=raw))

    def now_as(self) -> None:
        print("   " + self.t._("(you are now {who})", who=self.current.title))


async def _step(bot: OfflineBot, who: _Who, line: str) -> None:
    """One line typed: a button's number, a file, a switch of person, or a message."""
    if not line:
        return
    if line.isdigit():
        await bot.press(who.current, int(line))
    elif line.startswith("/file "):
        path = Path(line[len("/file ") :].strip()).expanduser()
        if not path.is_file():
            print("   " + who.t._("(no file at {path})", path=str(path)))
            return
        await bot.upload(who.current, path)
    elif line.startswith("/as "):
        who.switch_role(line[4:].strip())
        who.now_as()
    elif line.startswith("/user "):
        who.switch_user(line[6:].strip())
        who.now_as()
    else:
        await bot.say(who.current, line)


def _prompt(title: str) -> str | None:
    try:
        return input(f"{title}> ")
    except EOFError:
        return None
