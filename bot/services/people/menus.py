"""Per-role command menus (docs/architecture.md §12): which commands a person sees, in their language.

Telegram shows a menu by the client's language, so we set each member's menu with a
per-chat scope in the language they chose, and only when it changes (the signature).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from bot.i18n import N_, translator

GUEST = "guest"
MEMBER = "member"  # any active person with at least one role


@dataclass(frozen=True)
class MenuCommand:
    command: str
    description: str  # msgid
    roles: frozenset[str]


def _cmd(command: str, description: str, *roles: str) -> MenuCommand:
    return MenuCommand(command, description, frozenset(roles))


# In menu order. A command appears when the person holds any of its roles.
COMMANDS: tuple[MenuCommand, ...] = (
    _cmd("start", N_("Welcome and joining"), GUEST, MEMBER),
    _cmd("me", N_("Who I am here: roles and unit"), MEMBER),
    _cmd("units", N_("Member units and their liaisons"), "office"),
    _cmd("addunit", N_("Add a member unit"), "office"),
    _cmd("inspectors", N_("My unit's inspectors and their invitations"), "liaison"),
    _cmd(
        "template",
        N_("Directory templates; send a filled-in file to import it"),
        "office",
        "liaison",
    ),
    _cmd(
        "find",
        N_("Find a record: /find a code, part of a name or a certificate number"),
        "office",
        "liaison",
    ),
    _cmd("records", N_("The directories: find, change or add a record"), "office", "liaison"),
    _cmd("invites", N_("Invitations not used yet"), "office", "liaison"),
    _cmd("people", N_("People with access, and removing them"), "office", "liaison"),
    _cmd("handover", N_("Hand my liaison role to someone else"), "liaison"),
    _cmd("away", N_("Mark myself (a liaison: an inspector) away"), "inspector", "liaison"),
    _cmd("myaway", N_("Absences from today on, and cancelling one"), "inspector", "liaison"),
    _cmd("whoaway", N_("Who is away on a date: /whoaway 6.1"), "office", "liaison"),
    _cmd("conflict", N_("Declare a conflict of interest with an entity"), "inspector", "liaison"),
    _cmd("conflicts", N_("Declared conflicts of interest"), "office", "liaison", "inspector"),
    _cmd("document", N_("File a document: rules, plans"), "liaison"),
    _cmd("documents", N_("Filed documents"), "office", "liaison"),
    _cmd("filing", N_("File the half-year revision of the directories"), "liaison"),
    _cmd("filings", N_("Who has filed this half-year's revision"), "office"),
    _cmd("window", N_("Filing windows (June, December)"), "office"),
    _cmd("reminders", N_("Reminders: pause, times, next firing"), "office"),
    _cmd("calendar", N_("Working days: holidays, a new year's schedule"), "office"),
    _cmd("newtask", N_("Plan a task for my unit: matters, partners, sampling, window"), "liaison"),
    _cmd("planfile", N_("Import my unit's annual plan from a workbook"), "liaison"),
    _cmd("tasks", N_("Inspection tasks, their pools and draws"), "office", "liaison"),
    _cmd("score", N_("The evaluation's scores: my unit's, or the ranking"), "office", "liaison"),
    _cmd("judge", N_("Judge an item the office scores: /judge SCJG 一1 5 note"), "office"),
    _cmd("rubric", N_("The evaluation rubric and its parameters this year"), "office"),
    _cmd("broadcast", N_("Send an announcement to liaisons, inspectors or units"), "office"),
    _cmd("mytasks", N_("My inspection tasks: acknowledge, ask for recusal"), "inspector"),
    _cmd("lang", N_("Language: 中文 / English"), GUEST, MEMBER),
    _cmd("help", N_("What I can do here"), GUEST, MEMBER),
    _cmd("cancel", N_("Stop what I am doing"), MEMBER),
)


def audience(roles: Iterable[str]) -> frozenset[str]:
    held = frozenset(roles)
    return held | {MEMBER} if held else frozenset({GUEST})


def commands_for(roles: Iterable[str], locale: str) -> list[tuple[str, str]]:
    """(command, translated description) pairs for someone holding ``roles``."""
    who = audience(roles)
    t = translator(locale)
    return [(c.command, t._(c.description)) for c in COMMANDS if c.roles & who]


def signature(roles: Iterable[str], locale: str) -> str:
    """A short fingerprint of a menu, stored per user to skip redundant setMyCommands. It
    covers the menu's commands too, so a release that adds one refreshes every menu."""
    listed = ",".join(command for command, _ in commands_for(roles, locale))
    digest = hashlib.sha256(listed.encode()).hexdigest()[:8]
    return "|".join([",".join(sorted(audience(roles))), locale, digest])


def set_commands_params(
    chat_id: int | None, roles: Iterable[str], locale: str
) -> dict[str, object]:
    """Bot API parameters of setMyCommands for one chat (or the default scope if None)."""
    commands = [{"command": c, "description": d} for c, d in commands_for(roles, locale)]
    params: dict[str, object] = {"commands": commands}
    if chat_id is None:
        params["scope"] = {"type": "default"}
    else:
        params["scope"] = {"type": "chat", "chat_id": chat_id}
    return params
