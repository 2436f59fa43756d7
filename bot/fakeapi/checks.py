"""Decoding a call's parameters and checking them the way Telegram does.

With a spec loaded every parameter is checked against the vendored Bot API description;
Telegram's own value rules (lengths, callback data, command names, parse modes) always apply.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.fakeapi.formatting import _INT_RE, _render, utf16_len
from bot.fakeapi.records import JSONDict, _bad, _Ctx, _EntityError
from bot.fakeapi.state import _FakeState

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes of UTF-8
CALLBACK_ANSWER_LIMIT = 200

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
_CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
# Without a spec these fields stay strings even when they look like JSON ("123" is a text).
_STRING_FIELDS = frozenset(
    [
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "file_id",
        "url",
        "language_code",
        "action",
        "business_connection_id",
        "message_effect_id",
        "secret_token",
        "ip_address",
        "document",
        "photo",
        "thumbnail",
    ]
)
_INLINE_BUTTON_PASSIVE = frozenset({"text", "icon_custom_emoji_id", "style"})


class _ParamChecks(_FakeState):
    """Method names, parameter decoding, uploads and validation (mixin of FakeBotApi)."""

    def _canonical_name(self, method: str) -> str:
        lower = method.lower()
        if self.spec is not None and lower in self.spec.canonical:
            return self.spec.canonical[lower]
        return self._canonical.get(lower, method)

    def _field_types(self, method: str, name: str) -> tuple[str, ...] | None:
        if self.spec is None:
            return None
        f = self.spec.methods.get(method, {}).get(name)
        return f.types if f else None

    def _normalise(self, method: str, params: dict[str, Any]) -> JSONDict:
        """Decode form-encoded values: non-String fields arrive as JSON inside strings."""
        decoded: JSONDict = {}
        for key, value in params.items():
            if value is None:
                continue  # JSON null means "not passed"
            decoded[key] = (
                self._decode_string(method, key, value) if isinstance(value, str) else value
            )
        return decoded

    def _decode_string(self, method: str, key: str, value: str) -> Any:
        types = self._field_types(method, key)
        if types is None:
            if self.spec is not None or key in _STRING_FIELDS:
                return value
            types = ("Integer", "String") if key == "chat_id" else ("Object",)
        if "String" in types:
            # chat_id is Integer-or-String: a form sends "123", which means the number.
            if "Integer" in types and _INT_RE.match(value):
                return int(value)
            return value
        try:
            return json.loads(value)
        except ValueError:
            return value  # left as a string; validation names the mismatch

    def _attach_uploads(self, ctx: _Ctx) -> None:
        """Put file parts where they belong: a field of the same name, or an attach:// URI."""
        referenced = set(re.findall(r"attach://([\w\-.]+)", json.dumps(ctx.params, default=str)))
        fields = self.spec.methods.get(ctx.method, {}) if self.spec else {}
        for part, upload in ctx.uploads.items():
            if part in referenced:
                continue
            if part in ctx.params:
                raise _bad(f"parameter {part!r} is both a value and an uploaded file")
            if self.spec is not None and part not in fields:
                raise _bad(f"uploaded part {part!r} is not a parameter of {ctx.method}")
            ctx.params[part] = upload
        missing = referenced - set(ctx.uploads)
        if missing:
            raise _bad(f"attach:// names a missing part: {sorted(missing)}")

    def _validate(self, ctx: _Ctx) -> None:
        """Spec checks (when a spec is loaded) and Telegram's own value rules (always)."""
        if self.spec is not None:
            fields = self.spec.methods.get(ctx.method)
            if fields is None:
                raise _bad(f"unknown method {ctx.method}")
            errors: list[str] = []
            for key, value in ctx.params.items():
                f = fields.get(key)
                if f is None:
                    errors.append(f"unknown parameter {key!r}")
                else:
                    errors += self.spec.check(value, f.types, key)
            errors += [
                f"missing required parameter {f.name!r}"
                for f in fields.values()
                if f.required and f.name not in ctx.params
            ]
            if errors:
                for extra in errors[1:]:
                    self.violations.append(f"{ctx.method}: {extra}")
                raise _bad(errors[0])
        self._check_values(ctx)

    def _check_values(self, ctx: _Ctx) -> None:
        p = ctx.params
        if ctx.method in ("sendMessage", "editMessageText"):
            self._check_message_text(p)
        if isinstance(p.get("caption"), str):
            self._check_caption(p)
        markup = p.get("reply_markup")
        if isinstance(markup, dict) and isinstance(markup.get("inline_keyboard"), list):
            self._check_inline_keyboard(markup["inline_keyboard"])
        if ctx.method in ("setMyCommands", "getMyCommands", "deleteMyCommands"):
            self._check_language_code(p.get("language_code", ""))
        if ctx.method == "setMyCommands" and isinstance(p.get("commands"), list):
            self._check_commands(p["commands"])
        answer = p.get("text") if ctx.method == "answerCallbackQuery" else None
        if isinstance(answer, str) and utf16_len(answer) > CALLBACK_ANSWER_LIMIT:
            raise _bad(f"callback answer text longer than {CALLBACK_ANSWER_LIMIT}")
        if ctx.method == "sendChatAction" and p.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")

    @classmethod
    def _check_message_text(cls, p: JSONDict) -> None:
        """A message needs text that is not blank once rendered and fits TEXT_LIMIT."""
        if "text" not in p and "rich_message" not in p:
            raise _bad("message text is empty")
        if not isinstance(p.get("text"), str):
            return
        plain = cls._checked_render(p["text"], p.get("parse_mode"), p.get("entities"))
        if not plain.strip():
            raise _bad("message text is empty")
        if utf16_len(plain) > TEXT_LIMIT:
            raise _bad(f"message is too long ({utf16_len(plain)} > {TEXT_LIMIT} UTF-16 units)")

    @classmethod
    def _check_caption(cls, p: JSONDict) -> None:
        plain = cls._checked_render(p["caption"], p.get("parse_mode"), p.get("caption_entities"))
        if utf16_len(plain) > CAPTION_LIMIT:
            raise _bad(f"message caption is too long ({utf16_len(plain)} > {CAPTION_LIMIT})")

    @staticmethod
    def _check_language_code(code: Any) -> None:
        if code and not (isinstance(code, str) and _LANGUAGE_RE.match(code)):
            raise _bad(f"language_code must be two lowercase letters, got {code!r}")

    @staticmethod
    def _checked_render(text: str, parse_mode: Any, entities: Any) -> str:
        try:
            return _render(text, parse_mode, entities)[0]
        except _EntityError as exc:
            raise _bad(f"can't parse entities: {exc}") from exc

    @staticmethod
    def _check_inline_keyboard(rows: list[Any]) -> None:
        for row in rows:
            for button in row if isinstance(row, list) else []:
                if not isinstance(button, dict):
                    continue
                data = button.get("callback_data")
                if isinstance(data, str) and not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
                    raise _bad(
                        f"BUTTON_DATA_INVALID: callback_data is {len(data.encode())} bytes "
                        f"(1-{CALLBACK_DATA_LIMIT}): {data!r}"
                    )
                actions = [k for k in button if k not in _INLINE_BUTTON_PASSIVE]
                if len(actions) != 1:
                    raise _bad(
                        "text buttons are unallowed in the inline keyboard"
                        if not actions
                        else f"inline button has several actions: {actions}"
                    )

    @staticmethod
    def _check_commands(commands: list[Any]) -> None:
        if len(commands) > 100:
            raise _bad("too many commands (at most 100)")
        for item in commands:
            if not isinstance(item, dict):
                continue
            command, description = item.get("command"), item.get("description")
            if not (isinstance(command, str) and _COMMAND_RE.match(command)):
                raise _bad(f"BOT_COMMAND_INVALID: {command!r} (need ^[a-z0-9_]{{1,32}}$)")
            if not (isinstance(description, str) and 1 <= len(description) <= 256):
                raise _bad(f"command description must be 1-256 characters: {command!r}")
