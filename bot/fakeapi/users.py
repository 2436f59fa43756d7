"""Playing the users: update factories that make test users write, send files and press buttons.

Each factory stores what Telegram would store (users, chats, messages, files) and queues the
Update for getUpdates, returning it too.
"""

from __future__ import annotations

import mimetypes
from typing import Literal

from bot.fakeapi.files import _FileHosting
from bot.fakeapi.formatting import utf16_len
from bot.fakeapi.records import JSONDict


class _UserActions(_FileHosting):
    """``user_message``, ``user_document``, ``user_photo``, ``press_button``, ``added_to_group``."""

    def _meet(
        self,
        user_id: int,
        language_code: str | None = None,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
    ) -> JSONDict:
        """Remember the user (and their private chat) the way Telegram would present them."""
        known = self.users.get(user_id, {})
        user: JSONDict = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name or known.get("first_name") or f"User {user_id}",
        }
        for key, value in (
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value is not None:
                user[key] = value
            elif key in known:
                user[key] = known[key]
        self.users[user_id] = user
        chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
        chat.update({k: user[k] for k in ("last_name", "username") if k in user})
        self.chats[user_id] = chat
        return user

    def _user_chat(self, user: JSONDict, chat_type: str, chat_id: int | None) -> int:
        if chat_type == "private":
            if chat_id not in (None, user["id"]):
                raise ValueError("a private chat's id is the user's id")
            self.started.add(user["id"])
            return int(user["id"])
        if chat_id is None or chat_id >= 0:
            raise ValueError(f"a {chat_type} needs a negative chat_id")
        self.chats.setdefault(
            chat_id, {"id": chat_id, "type": chat_type, "title": f"Group {-chat_id}"}
        )
        return chat_id

    def user_message(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
        chat_type: Literal["private", "group", "supergroup"] = "private",
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> JSONDict:
        """A user writes ``text``; returns the Update (also queued for getUpdates).

        A leading ``/command`` gets its ``bot_command`` entity, which PTB's CommandHandler
        needs to see a command at all.
        """
        user = self._meet(
            user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        chat = self._user_chat(user, chat_type, chat_id)
        content: JSONDict = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        if reply_to is not None:
            original = self.messages.get((chat, reply_to))
            if original is None:
                raise LookupError(f"no message {reply_to} in chat {chat} to reply to")
            content["reply_to_message"] = {
                k: v for k, v in original.items() if k != "reply_to_message"
            }
        return self._push("message", self._new_message(chat, user, content))

    def user_document(
        self,
        user_id: int,
        file_name: str,
        data: bytes,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        language_code: str | None = "zh-hans",
        file_size: int | None = None,
        omit_file_size: bool = False,
        chat_id: int | None = None,
        chat_type: Literal["private", "group", "supergroup"] = "private",
    ) -> JSONDict:
        """A user sends a file; it is stored so getFile and the download work.

        ``file_size`` may claim a size other than ``len(data)`` (test the 20 MB check without
        20 MB of bytes); ``omit_file_size`` leaves it out, which Telegram is allowed to do.
        """
        user = self._meet(user_id, language_code)
        chat = self._user_chat(user, chat_type, chat_id)
        mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        size = None if omit_file_size else (file_size if file_size is not None else len(data))
        stored = self._store_file(
            data, "document", file_name=file_name, mime_type=mime, declared_size=size
        )
        content: JSONDict = {"document": self._document_json(stored)}
        if caption is not None:
            content["caption"] = caption
        return self._push("message", self._new_message(chat, user, content))

    def user_photo(
        self,
        user_id: int,
        data: bytes,
        *,
        caption: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> JSONDict:
        """A user sends a photo (inspectors do, with results)."""
        user = self._meet(user_id, language_code)
        chat = self._user_chat(user, "private", None)
        stored = self._store_file(data, "photo", declared_size=len(data))
        content: JSONDict = {"photo": self._photo_json(stored)}
        if caption is not None:
            content["caption"] = caption
        return self._push("message", self._new_message(chat, user, content))

    def press_button(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        language_code: str | None = "zh-hans",
        chat_id: int | None = None,
        forge: bool = False,
    ) -> JSONDict:
        """A user presses an inline button of a stored message; returns the callback Update.

        Only buttons that are on the message (as last sent or edited) can be pressed, unless
        ``forge`` — which tests use to play a tampering client.
        """
        user = self._meet(user_id, language_code)
        chat = chat_id if chat_id is not None else user_id
        message = self.messages.get((chat, message_id))
        if message is None:
            raise LookupError(f"no message {message_id} in chat {chat}")
        if not forge:
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            offered = [b.get("callback_data") for row in rows for b in row]
            if data not in offered:
                raise LookupError(
                    f"message {message_id} has no button {data!r}; it offers {offered}"
                )
        self._callback_counter += 1
        query_id = str(4000000000000000000 + self._callback_counter)
        self._callback_queries[query_id] = chat
        query = {
            "id": query_id,
            "from": user,
            "message": dict(message),
            "chat_instance": str(chat * 2654435761 % 10**18),  # stable per chat, like Telegram
            "data": data,
        }
        return self._push("callback_query", query)

    def added_to_group(
        self,
        chat_id: int,
        by_user_id: int,
        *,
        title: str | None = None,
        chat_type: Literal["group", "supergroup"] = "group",
        kind: Literal["my_chat_member", "new_chat_members"] = "my_chat_member",
    ) -> JSONDict:
        """Someone adds the bot to a group (the bot must leave: personal data stays private)."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        self.chats[chat_id] = {
            "id": chat_id,
            "type": chat_type,
            "title": title or f"Group {-chat_id}",
        }
        self.left_chats.discard(chat_id)
        user = self._meet(by_user_id, None)
        if kind == "my_chat_member":
            return self._push_member_change(chat_id, by_user_id, "left", "member")
        content = {"new_chat_members": [dict(self.bot_user)]}
        return self._push("message", self._new_message(chat_id, user, content))
