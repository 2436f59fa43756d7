"""Telegram's text formatting: HTML and MarkdownV2 parsed into plain text and entities.

Parsing fails the way Telegram fails ("can't parse entities"), so broken markup is caught
offline; lengths are counted in UTF-16 units, Telegram's unit for offsets and limits.
"""

from __future__ import annotations

import re
from typing import Any

from bot.fakeapi.records import JSONDict, _EntityError

_INT_RE = re.compile(r"^-?\d+$")

_HTML_ENTITIES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "tg-time": "date_time",
}
_HTML_ESCAPE_RE = re.compile(r"&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot);")
_HTML_ATTR_RE = re.compile(r"""([a-zA-Z_-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_MDV2_MUST_ESCAPE = frozenset("#+-={}.!")
_MDV2_MARKUP = frozenset("*_~|`")

# A tag waiting for its end tag: name, UTF-16 offset where its text starts, attributes.
_OpenTag = tuple[str, int, dict[str, str]]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: Telegram's unit for entity offsets and for the limits.

    Counting UTF-16 units is never more lenient than ``len(str)`` (astral characters such as
    emoji count twice), so whatever the fake accepts, Telegram accepts.
    """
    return len(text.encode("utf-16-le")) // 2


def _parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """Telegram's HTML mode: plain text plus entities, or the error Telegram would give.

    Like Telegram (tdlib), every ``<`` opens a tag, so an unescaped ``<商行>`` in a name is an
    error, not text; unknown ``&...;`` sequences stay literal.
    """
    out: list[str] = []
    pos16 = 0
    stack: list[_OpenTag] = []
    entities: list[JSONDict] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "<":
            end = text.find(">", i)
            if end < 0:
                raise _EntityError(f"Unclosed start tag at byte offset {_byte_offset(text, i)}")
            if text.startswith("/", i + 1):
                tag, start, attrs = _end_tag(text, i, end, stack)
                if pos16 > start:
                    entities.append(_html_entity(tag, start, pos16 - start, attrs))
            else:
                tag, attrs = _start_tag(text, i, end)
                stack.append((tag, pos16, attrs))
            i = end + 1
            continue
        if c == "&" and (m := _HTML_ESCAPE_RE.match(text, i)):
            char = _unescape_html(m.group(1))
            out.append(char)
            pos16 += utf16_len(char)
            i = m.end()
            continue
        out.append(c)
        pos16 += 2 if ord(c) > 0xFFFF else 1
        i += 1
    if stack:
        raise _EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _byte_offset(text: str, at: int) -> int:
    """Telegram's error messages count bytes of UTF-8, not characters."""
    return len(text[:at].encode())


def _start_tag(text: str, at: int, end: int) -> tuple[str, dict[str, str]]:
    """The name and attributes of the start tag ``text[at:end + 1]``, if Telegram supports it."""
    name, *rest_parts = text[at + 1 : end].split(None, 1) or [""]
    rest = rest_parts[0] if rest_parts else ""
    name = name.rstrip("/").lower()
    if name not in _HTML_ENTITIES:
        raise _EntityError(
            f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, at)}'
        )
    attrs = {
        m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
        for m in _HTML_ATTR_RE.finditer(rest)
    }
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise _EntityError(
            f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, at)}'
        )
    return name, attrs


def _end_tag(text: str, at: int, end: int, stack: list[_OpenTag]) -> _OpenTag:
    """Pop the tag that the end tag ``text[at:end + 1]`` closes; it must be the innermost."""
    name = text[at + 2 : end].strip().lower()
    if not stack:
        raise _EntityError(f"Unexpected end tag at byte offset {_byte_offset(text, at)}")
    top = stack.pop()
    if top[0] != name:
        raise _EntityError(
            f'Unmatched end tag at byte offset {_byte_offset(text, at)}, expected "</{top[0]}>", '
            f'found "</{name}>"'
        )
    return top


def _unescape_html(code: str) -> str:
    """The character of one of the escapes Telegram knows (``&lt;``, ``&#60;``, ``&#x3c;``…)."""
    if code.startswith("#x"):
        return chr(int(code[2:], 16))
    if code.startswith("#"):
        return chr(int(code[1:]))
    return {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[code]


def _html_entity(tag: str, offset: int, length: int, attrs: dict[str, str]) -> JSONDict:
    entity: JSONDict = {"type": _HTML_ENTITIES[tag], "offset": offset, "length": length}
    if tag == "a":
        href = attrs.get("href", "")
        if href.startswith("tg://user?id=") and _INT_RE.match(href[13:]):
            entity = {"type": "text_mention", "offset": offset, "length": length}
            entity["user"] = {"id": int(href[13:]), "is_bot": False, "first_name": ""}
        else:
            entity["url"] = href
    elif tag == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = attrs.get("emoji-id", "")
    return entity


def _parse_markdown_v2(text: str) -> str:
    """Checks MarkdownV2's escaping rule and returns an approximate plain text.

    The rule that bites in practice: ``. - ! = + # { }`` must be escaped outside code, or
    Telegram refuses the message (think of a date "2024-06-30." in a reminder).
    """
    out: list[str] = []
    in_code = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            out.append(text[i + 1])
            i += 2
            continue
        if c == "`":
            in_code = not in_code
        elif not in_code and c == "]" and text.startswith("(", i + 1):
            close = i + 2
            while close < n and text[close] != ")":
                close += 2 if text[close] == "\\" else 1
            i = close + 1
            continue
        elif not in_code and c in _MDV2_MUST_ESCAPE:
            raise _EntityError(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
        if c not in _MDV2_MARKUP and c != "[":
            out.append(c)
        i += 1
    return "".join(out)


def _render(text: str, parse_mode: Any, entities: Any) -> tuple[str, list[JSONDict]]:
    """The message text as Telegram stores it: formatting removed, entities computed."""
    if isinstance(entities, list):
        return text, entities
    if parse_mode in (None, ""):
        return text, []
    if not isinstance(parse_mode, str):
        raise _EntityError("unsupported parse_mode")
    mode = parse_mode.lower()
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown_v2(text), []
    if mode == "markdown":
        return text, []
    raise _EntityError(f"unsupported parse_mode {parse_mode!r}")
