"""Who is talking to the bot: profiles, roles and language choice."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from bot.i18n import supported
from storage import audit
from storage.db import Database
from storage.models import Unit, User


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


_users, _units = User.__table__.c, Unit.__table__.c
# Built once: this runs for every update, and building and caching a statement per call
# costs more than the query itself.
_PROFILE_QUERY = (
    select(
        _users.id,
        _users.name,
        _users.locale,
        _users.is_office,
        _users.liaison_unit_id,
        _units.code,
        _units.name,
        _users.inspector_id,
        _users.active,
        _users.menu_signature,
    )
    .select_from(User.__table__.outerjoin(Unit.__table__, _units.id == _users.liaison_unit_id))
    .where(_users.telegram_id == bindparam("telegram_id"))
)


def load_profile(
    database: Database, telegram_id: int, admin_ids: Collection[int] = ()
) -> Profile | None:
    """The profile of a Telegram user, or None for someone the bot does not know.

    Office admins named in the configuration are office members even before their first
    message creates a row. This runs for every update (the access gate), so it is one
    Core query on a pooled connection rather than an ORM session.
    """
    query = (
        select(
            User.id,
            User.name,
            User.locale,
            User.is_office,
            User.liaison_unit_id,
            Unit.code,
            Unit.name,
            User.inspector_id,
            User.active,
            User.menu_signature,
        )
        .outerjoin(Unit, Unit.id == User.liaison_unit_id)
        .where(User.telegram_id == telegram_id)
    )
    with database.engine.connect() as conn:
        row = conn.execute(query).first()
    configured_admin = telegram_id in admin_ids
    if row is None:
        if not configured_admin:
            return None
        return Profile(telegram_id, None, "", None, True, None, None, None, None, True)
    (
        user_id,
        name,
        locale,
        is_office,
        unit_id,
        unit_code,
        unit_name,
        inspector_id,
        active,
        menu,
    ) = row
    return Profile(
        telegram_id=telegram_id,
        user_id=user_id,
        name=name,
        locale=locale,
        is_office=is_office or configured_admin,
        liaison_unit_id=unit_id,
        liaison_unit_code=unit_code,
        liaison_unit_name=unit_name,
        inspector_id=inspector_id,
        active=active,
        menu_signature=menu,
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
