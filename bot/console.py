"""``dsr console``: chat with the real Application in this terminal, as any person of the
demo city (or any Telegram id), through the offline transport."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.config import Settings
from bot.demo_city import DEMO_PEOPLE, prepare_city
from bot.offline import OfflineBot, Person

CONSOLE_HELP = """Type text or /commands as the current user.
  a number        press that button of the bot's last message with buttons
  /file PATH      send a file
  /as ROLE        switch to the demo city's office, liaison, inspector or guest
  /user ID        switch to any Telegram user id
  /quit           leave"""


def run_console(
    settings: Settings, *, database_url: str | None, user: int | None, role: str | None
) -> int:
    url = database_url or "sqlite:///data/console.sqlite3"
    database, settings = prepare_city(settings, url, reset=False, only_if_empty=True)
    people = dict(DEMO_PEOPLE)
    current = people.get(role or "office", people["office"])
    if user is not None:
        current = Person(user, f"User {user}", label="custom")

    async def loop() -> None:
        nonlocal current
        bot = OfflineBot(settings, database)
        await bot.start()
        print(CONSOLE_HELP)
        try:
            while True:
                line = await asyncio.to_thread(_prompt, current.title)
                if line is None or line.strip() == "/quit":
                    break
                line = line.strip()
                if not line:
                    continue
                if line.isdigit():
                    await bot.press(current, int(line))
                elif line.startswith("/file "):
                    path = Path(line[len("/file ") :].strip()).expanduser()
                    if not path.is_file():
                        print(f"   (no file at {path})")
                        continue
                    await bot.upload(current, path)
                elif line.startswith("/as "):
                    wanted = line[4:].strip()
                    current = people.get(wanted, current)
                    print(f"   (you are now {current.title})")
                elif line.startswith("/user "):
                    raw = line[6:].strip()
                    if raw.isdigit():
                        current = Person(int(raw), f"User {raw}", label="custom")
                    print(f"   (you are now {current.title})")
                else:
                    await bot.say(current, line)
        finally:
            await bot.stop()
            database.dispose()

    asyncio.run(loop())
    return 0


def _prompt(title: str) -> str | None:
    try:
        return input(f"{title}> ")
    except EOFError:
        return None
