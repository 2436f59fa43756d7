"""The Bot API methods the bot calls: sending, editing, callbacks, command menus, chats.

Each ``_name`` implements the method ``name`` (camelCase in the handler table of core.py)
and answers like Telegram, raising ``_ApiError`` where Telegram would refuse.
"""

from __future__ import annotations

from typing import Any

from bot.fakeapi.files import _FileHosting
from bot.fakeapi.formatting import _render
from bot.fakeapi.records import JSONDict, _ApiError, _Ctx

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class _MethodHandlers(_FileHosting):
    """Message, callback, menu and chat methods (mixin of FakeBotApi)."""

    def _get_me(self, ctx: _Ctx) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # ------------------------------------------------------------------ sending

    def _bot_message(self, ctx: _Ctx, chat_id: int, content: JSONDict) -> JSONDict:
        p = ctx.params
        reply = p.get("reply_parameters")
        if isinstance(reply, dict):
            reply_chat = reply.get("chat_id", chat_id)
            original = self.messages.get((reply_chat, reply.get("message_id", 0)))
            if original is not None:
                content["reply_to_message"] = {
                    k: v for k, v in original.items() if k != "reply_to_message"
                }
            elif not reply.get("allow_sending_without_reply"):
                raise _ApiError(400, "Bad Request: message to be replied not found")
        markup = p.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            content["reply_markup"] = markup  # Telegram echoes inline keyboards only
        if p.get("protect_content"):
            content["has_protected_content"] = True
        return self._new_message(chat_id, self.bot_user, content)

    def _formatted(self, text: str, parse_mode: Any, entities: Any, key: str) -> JSONDict:
        plain, ents = _render(text, parse_mode, entities)  # already validated
        content: JSONDict = {key: plain}
        if ents:
            content["entities" if key == "text" else "caption_entities"] = ents
        return content

    def _send_message(self, ctx: _Ctx) -> JSONDict:
        chat_id = self._target(ctx)
        p = ctx.params
        content = self._formatted(p["text"], p.get("parse_mode"), p.get("entities"), "text")
        return self._bot_message(ctx, chat_id, content)

    def _caption(self, ctx: _Ctx) -> JSONDict:
        p = ctx.params
        if not isinstance(p.get("caption"), str):
            return {}
        return self._formatted(
            p["caption"], p.get("parse_mode"), p.get("caption_entities"), "caption"
        )

    def _send_document(self, ctx: _Ctx) -> JSONDict:
        chat_id = self._target(ctx)
        stored = self._file_input(ctx, "document", "document")
        content = {"document": self._document_json(stored), **self._caption(ctx)}
        return self._bot_message(ctx, chat_id, content)

    def _send_photo(self, ctx: _Ctx) -> JSONDict:
        chat_id = self._target(ctx)
        stored = self._file_input(ctx, "photo", "photo")
        content = {"photo": self._photo_json(stored), **self._caption(ctx)}
        return self._bot_message(ctx, chat_id, content)

    # ------------------------------------------------------------------ editing and deleting

    def _editable(self, ctx: _Ctx) -> tuple[int, JSONDict]:
        if "inline_message_id" in ctx.params:
            raise _ApiError(
                400,
                "Bad Request: not implemented: inline messages",
                violation="not implemented: editing inline messages",
            )
        chat_id = self._target(ctx)
        message_id = ctx.params.get("message_id")
        message = self.messages.get((chat_id, message_id)) if isinstance(message_id, int) else None
        if message is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != self.bot_user["id"]:
            raise _ApiError(400, "Bad Request: message can't be edited")
        return chat_id, message

    def _store_edit(self, chat_id: int, old: JSONDict, new: JSONDict, markup: Any) -> JSONDict:
        # Leaving reply_markup out of an edit removes the keyboard, as on Telegram.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            new["reply_markup"] = markup
        else:
            new.pop("reply_markup", None)
        same = {k: v for k, v in new.items() if k != "edit_date"} == {
            k: v for k, v in old.items() if k != "edit_date"
        }
        if same:
            raise _ApiError(400, _NOT_MODIFIED)
        new["edit_date"] = self._now()
        self.messages[(chat_id, new["message_id"])] = new
        return new

    def _edit_message_text(self, ctx: _Ctx) -> JSONDict:
        chat_id, message = self._editable(ctx)
        if "text" not in message:
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        p = ctx.params
        new = {k: v for k, v in message.items() if k not in ("text", "entities")}
        new.update(self._formatted(p["text"], p.get("parse_mode"), p.get("entities"), "text"))
        return self._store_edit(chat_id, message, new, p.get("reply_markup"))

    def _edit_message_caption(self, ctx: _Ctx) -> JSONDict:
        chat_id, message = self._editable(ctx)
        if "text" in message:
            raise _ApiError(400, "Bad Request: there is no caption in the message to edit")
        new = {k: v for k, v in message.items() if k not in ("caption", "caption_entities")}
        new.update(self._caption(ctx))
        return self._store_edit(chat_id, message, new, ctx.params.get("reply_markup"))

    def _edit_message_reply_markup(self, ctx: _Ctx) -> JSONDict:
        chat_id, message = self._editable(ctx)
        return self._store_edit(chat_id, message, dict(message), ctx.params.get("reply_markup"))

    def _delete_message(self, ctx: _Ctx) -> bool:
        chat_id = self._target(ctx)
        if self.messages.pop((chat_id, ctx.params.get("message_id", 0)), None) is None:
            raise _ApiError(400, "Bad Request: message to delete not found")
        return True

    def _answer_callback_query(self, ctx: _Ctx) -> bool:
        query_id = ctx.params.get("callback_query_id")
        if query_id not in self._callback_queries:
            raise _ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        del self._callback_queries[query_id]
        return True

    # ------------------------------------------------------------------ command menus

    def _scope_key(self, ctx: _Ctx) -> tuple[str, int | None, str]:
        scope = ctx.params.get("scope") or {"type": "default"}
        chat_id = scope.get("chat_id")
        if isinstance(chat_id, str):
            chat_id = self._call_chat(_Ctx(ctx.method, {"chat_id": chat_id}, {}))
            if chat_id is None:
                raise _ApiError(400, "Bad Request: chat not found")
        return str(scope.get("type")), chat_id, str(ctx.params.get("language_code", ""))

    def _set_my_commands(self, ctx: _Ctx) -> bool:
        key = self._scope_key(ctx)
        commands = [dict(c) for c in ctx.params["commands"]]
        if commands:
            self.commands[key] = commands
        else:
            self.commands.pop(key, None)
        return True

    def _get_my_commands(self, ctx: _Ctx) -> list[JSONDict]:
        return [dict(c) for c in self.commands.get(self._scope_key(ctx), [])]

    def _delete_my_commands(self, ctx: _Ctx) -> bool:
        self.commands.pop(self._scope_key(ctx), None)
        return True

    def menu_for(self, chat_id: int, language_code: str = "") -> list[JSONDict]:
        """The command menu a client in ``chat_id`` shows, resolved in Telegram's order."""
        lang = language_code[:2].lower()
        chat_scopes = ["chat", "all_private_chats"] if chat_id > 0 else ["chat", "all_group_chats"]
        for scope in [*chat_scopes, "default"]:
            target = chat_id if scope == "chat" else None
            for code in ([lang] if lang else []) + [""]:
                if (scope, target, code) in self.commands:
                    return self.commands[(scope, target, code)]
        return []

    def _set_chat_menu_button(self, ctx: _Ctx) -> bool:
        chat_id = ctx.params.get("chat_id")
        self.menu_buttons[chat_id if isinstance(chat_id, int) else None] = dict(
            ctx.params.get("menu_button") or {"type": "default"}
        )
        return True

    def _get_chat_menu_button(self, ctx: _Ctx) -> JSONDict:
        chat_id = ctx.params.get("chat_id")
        button = self.menu_buttons.get(chat_id if isinstance(chat_id, int) else None)
        button = button or self.menu_buttons.get(None) or {"type": "commands"}
        return {"type": "commands"} if button.get("type") == "default" else dict(button)

    # ------------------------------------------------------------------ chats

    def _leave_chat(self, ctx: _Ctx) -> bool:
        chat_id = self._target(ctx)
        if chat_id > 0:
            raise _ApiError(
                400, "Bad Request: chat member status can't be changed in private chats"
            )
        if chat_id in self.left_chats:
            raise _ApiError(403, "Forbidden: bot is not a member of the group chat")
        self.left_chats.add(chat_id)
        self._push_member_change(chat_id, None, "member", "left")
        return True

    def _get_chat(self, ctx: _Ctx) -> JSONDict:
        chat_id = self._target(ctx)
        if chat_id not in self.chats:
            raise _ApiError(400, "Bad Request: chat not found")
        return {
            **self._chat(chat_id),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _send_chat_action(self, ctx: _Ctx) -> bool:
        self._target(ctx)
        return True
