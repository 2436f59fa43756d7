"""The real Application, driven through the offline transport (no network, no token).

``OfflineBot`` feeds Updates made by the fake Bot API to the Application and renders what
the bot did — read back from the recorded Bot API calls — as a transcript. The demo and
the interactive console share it, so what a newcomer sees is exactly what Telegram would
have been asked to show.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from telegram import Update

from bot.app import DsrApplication, build_application
from bot.config import Settings
from bot.fakeapi import FakeBotApi, RecordedCall
from bot.i18n import Translator, translator
from bot.transport import OfflineRequest
from storage.db import Database

# Calls that are bookkeeping, not something a person sees.
_SILENT = {"getMe", "getUpdates", "deleteWebhook", "sendChatAction", "getFile"}


@dataclass
class Person:
    telegram_id: int
    name: str
    language_code: str = "zh-hans"
    label: str = ""

    @property
    def title(self) -> str:
        return f"{self.name} ({self.label})" if self.label else self.name


@dataclass
class OfflineBot:
    settings: Settings
    database: Database
    fake: FakeBotApi = field(default_factory=FakeBotApi)
    # sys.stdout as it is when the bot is made, not when this module was imported.
    out: TextIO = field(default_factory=lambda: sys.stdout)
    app: DsrApplication | None = None
    names: dict[int, str] = field(default_factory=dict)
    last_buttons: dict[int, list[tuple[int, str, str]]] = field(default_factory=dict)
    # The bot's clock (the demo plays on a fixed day); None: the real time.
    clock: Callable[[], datetime] | None = None

    @property
    def t(self) -> Translator:
        """The transcript's own words (an edit, a pop-up) in the settings' language."""
        return translator(self.settings.default_locale)

    async def start(self) -> None:
        self.app = build_application(
            self.settings,
            database=self.database,
            request=OfflineRequest(self.fake),
            clock=self.clock,
        )
        await self.app.initialize()
        # run_polling would call post_init; the offline transport has no polling loop.
        if self.app.post_init is not None:
            await self.app.post_init(self.app)
        await self.app.start()

    async def stop(self) -> None:
        if self.app is None:
            return
        await self.app.stop()
        if self.app.post_stop is not None:
            await self.app.post_stop(self.app)
        await self.app.shutdown()
        self.app = None

    async def settle(self) -> None:
        """Wait for the work the handlers started in the background (a file being read),
        so a transcript shows its outcome right after the step that caused it."""
        assert self.app is not None
        while self.app.bot_data.background:
            await asyncio.gather(*list(self.app.bot_data.background))

    async def _feed(self, person: Person, update: dict[str, Any], said: str) -> list[RecordedCall]:
        assert self.app is not None, "start() first"
        self.names[person.telegram_id] = person.title
        self.out.write(f"\n👤 {person.title}: {said}\n")
        mark = self.fake.mark()
        await self.app.process_update(Update.de_json(update, self.app.bot))
        await self.settle()
        # Notices the step wrote to the outbox for other people go out now, so the
        # transcript shows them where they happen (the sender would within a second).
        sender = self.app.bot_data.sender
        if sender is not None:
            await sender.run_once()
        calls = self.fake.calls[mark:]
        for call in calls:
            self.render(call)
        return calls

    async def deliver(self) -> list[RecordedCall]:
        """Send what the outbox holds now and show it: the notices of a change made
        outside the chat (a draw at the desk), as the sender would within a second."""
        assert self.app is not None, "start() first"
        mark = self.fake.mark()
        sender = self.app.bot_data.sender
        if sender is not None:
            await sender.run_once()
        calls = self.fake.calls[mark:]
        for call in calls:
            self.render(call)
        return calls

    async def say(self, person: Person, text: str) -> list[RecordedCall]:
        update = self.fake.user_message(
            person.telegram_id, text, first_name=person.name, language_code=person.language_code
        )
        return await self._feed(person, update, text)

    async def press(self, person: Person, number: int) -> list[RecordedCall]:
        """Press button ``number`` (1-based) of the last message with buttons in the chat."""
        buttons = self.last_buttons.get(person.telegram_id, [])
        if not 1 <= number <= len(buttons):
            self.out.write("   " + self.t._("(there is no button {number})", number=number) + "\n")
            return []
        message_id, label, data = buttons[number - 1]
        update = self.fake.press_button(
            person.telegram_id, message_id, data, language_code=person.language_code
        )
        return await self._feed(person, update, f"[{label}]")

    async def press_label(self, person: Person, text: str) -> list[RecordedCall]:
        buttons = self.last_buttons.get(person.telegram_id, [])
        for number, (_, label, _) in enumerate(buttons, start=1):
            if text in label:
                return await self.press(person, number)
        raise LookupError(f"no button with {text!r} among {[b[1] for b in buttons]}")

    async def upload(self, person: Person, path: Path) -> list[RecordedCall]:
        update = self.fake.user_document(
            person.telegram_id, path.name, path.read_bytes(), language_code=person.language_code
        )
        return await self._feed(person, update, f"📎 {path.name}")

    async def send_file(self, person: Person, name: str, data: bytes) -> list[RecordedCall]:
        update = self.fake.user_document(
            person.telegram_id, name, data, language_code=person.language_code
        )
        return await self._feed(person, update, f"📎 {name}")

    async def group_add(self, person: Person, chat_id: int) -> list[RecordedCall]:
        update = self.fake.added_to_group(chat_id, person.telegram_id)
        return await self._feed(person, update, self.t._("(adds the bot to a group)"))

    # --- rendering --------------------------------------------------------------------

    def _who(self, chat_id: int | None) -> str:
        if chat_id is None:
            return self.t._("everyone")
        return self.names.get(chat_id, str(chat_id))

    def render(self, call: RecordedCall) -> None:
        """Write what a person would see of one Bot API call (nothing for bookkeeping)."""
        if call.method in _SILENT:
            return
        if not call.ok:
            refused = self.t._(
                "{method} refused by Telegram: {error}", method=call.method, error=call.error
            )
            self.out.write(f"   ⚠️ {refused}\n")
            return
        renderers = {
            "sendMessage": self._render_text,
            "editMessageText": self._render_text,
            "editMessageReplyMarkup": self._render_new_buttons,
            "sendDocument": self._render_document,
            "sendPhoto": self._render_photo,
            "answerCallbackQuery": self._render_popup,
            "setMyCommands": self._render_menu,
            "leaveChat": self._render_leave,
        }
        renderers.get(call.method, self._render_other)(call)

    def _render_text(self, call: RecordedCall) -> None:
        edited = " " + self.t._("(edited)") if call.method == "editMessageText" else ""
        self.out.write(f"🤖 → {self._who(call.chat_id)}{edited}:\n")
        for line in str(call.params.get("text", "")).split("\n"):
            self.out.write(f"   {line}\n")
        self._remember_buttons(call)

    def _render_new_buttons(self, call: RecordedCall) -> None:
        self._remember_buttons(call)
        if not self._keyboard(call.params):
            self.out.write("🤖 " + self.t._("(buttons removed)") + "\n")

    def _render_document(self, call: RecordedCall) -> None:
        document = (call.result or {}).get("document", {})
        name = document.get("file_name", "file")
        size = document.get("file_size", 0)
        self.out.write(f"🤖 → {self._who(call.chat_id)}: 📄 {name} ({size} bytes)\n")
        if call.params.get("caption"):
            self.out.write(f"   {call.params['caption']}\n")

    def _render_photo(self, call: RecordedCall) -> None:
        sizes = (call.result or {}).get("photo") or [{}]
        size = sizes[-1].get("file_size", 0)
        self.out.write(f"🤖 → {self._who(call.chat_id)}: 🖼 picture ({size} bytes)\n")
        if call.params.get("caption"):
            self.out.write(f"   {call.params['caption']}\n")

    def _render_popup(self, call: RecordedCall) -> None:
        if call.params.get("text"):
            self.out.write("🤖 " + self.t._("(pop-up): {text}", text=call.params["text"]) + "\n")

    def _render_menu(self, call: RecordedCall) -> None:
        # Only a chat's own menu is a change someone sees; the default scope is nobody's.
        scope = call.params.get("scope") or {"type": "default"}
        commands = call.params.get("commands") or []
        if isinstance(commands, str):
            commands = json.loads(commands)
        listed = " ".join("/" + c["command"] for c in commands)
        if scope.get("type") == "chat":
            who = self._who(scope.get("chat_id"))
            self.out.write(
                "🤖 " + self.t._("menu for {who}: {commands}", who=who, commands=listed) + "\n"
            )

    def _render_leave(self, call: RecordedCall) -> None:
        self.out.write("🤖 " + self.t._("leaves the group {chat}", chat=call.chat_id) + "\n")

    def _render_other(self, call: RecordedCall) -> None:
        self.out.write(f"🤖 {call.method}\n")

    @staticmethod
    def _keyboard(params: dict[str, Any]) -> list[list[dict[str, Any]]]:
        markup = params.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        keyboard: list[list[dict[str, Any]]] = markup.get("inline_keyboard", [])
        return keyboard

    def _remember_buttons(self, call: RecordedCall) -> None:
        keyboard = self._keyboard(call.params)
        if not keyboard or call.chat_id is None:
            return
        message_id = int((call.result or {}).get("message_id") or call.params["message_id"])
        buttons = [
            (message_id, b["text"], b["callback_data"])
            for row in keyboard
            for b in row
            if "callback_data" in b
        ]
        self.last_buttons[call.chat_id] = buttons
        for number, (_, label, _) in enumerate(buttons, start=1):
            self.out.write(f"   [{number}] {label}\n")
