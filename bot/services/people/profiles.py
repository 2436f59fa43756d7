"""Who is talking to the bot: profiles, roles and language choice."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select

from bot.i18n import supported
from storage import audit
from storage.db import Database
from storage.models import User
from storage.profiles import fetch_profile_row


@dataclass(frozen=True)
class Profile:
    """A user as the handlers see them: plain values, never an ORM object."""

    telegram_id: int
    user_id: int | None
    name: str
    locale: str | None
    is_office: bool
    liaison_unit_id: int | None
    liaison_unit_code: str | None
    liaison_unit_name: str | None
    inspector_id: int | None
    active: bool
    menu_signature: str | None = None

    @property
    def roles(self) -> frozenset[str]:
        roles = set()
        if self.is_office:
            roles.add("office")
        if self.liaison_unit_id is not None:
            roles.add("liaison")
        if self.inspector_id is not None:
            roles.add("inspector")
        return frozenset(roles)

    @property
    def is_member(self) -> bool:
        """Allowed past the access gate: active and holding at least one role."""
        return self.active and bool(self.roles)


def load_profile(
    database: Database, telegram_id: int, admin_ids: Collection[int] = ()
) -> Profile | None:
    """The profile of a Telegram user, or None for someone the bot does not know.

    Office admins named in the configuration are office members even before their first
    message creates a row. This runs for every update (the access gate).
    """
    row = fetch_profile_row(database, telegram_id)
    configured_admin = telegram_id in admin_ids
    if row is None:
        if not configured_admin:
            return None
        return Profile(telegram_id, None, "", None, True, None, None, None, None, True)
    return Profile(
        telegram_id=telegram_id,
        user_id=row.user_id,
        name=row.name,
        locale=row.locale,
        is_office=row.is_office or configured_admin,
        liaison_unit_id=row.liaison_unit_id,
        liaison_unit_code=row.unit_code,
        liaison_unit_name=row.unit_name,
        inspector_id=row.inspector_id,
        active=row.active,
        menu_signature=row.menu_signature,
    )


def set_locale(database: Database, telegram_id: int, locale: str, *, name: str = "") -> bool:
    """Store a known user's language. Returns False when the user has no row yet.

    Configured office admins get their row here, so their choice survives restarts.
    """
    if supported(locale) is None:
        raise ValueError(f"unsupported locale {locale!r}")
    with database.unit_of_work() as uow:
        user = uow.session.execute(
            select(User).where(User.telegram_id == telegram_id)
        ).scalar_one_or_none()
        if user is None:
            return False
        if user.locale != locale:
            user.locale = locale
            audit.append(
                uow.session,
                actor=f"tg:{telegram_id}",
                action="user.locale",
                obj=f"user:{user.id}",
                details={"locale": locale},
            )
        uow.commit()
        return True


def remember_menu(database: Database, telegram_id: int, menu: str) -> None:
    """Record the menu Telegram now shows this user (after setMyCommands succeeded)."""
    with database.unit_of_work() as uow:
        user = uow.session.execute(
            select(User).where(User.telegram_id == telegram_id)
        ).scalar_one_or_none()
        if user is not None:
            user.menu_signature = menu
            uow.commit()
