"""reminder settings the office chooses

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types


revision: str = '0007'
down_revision: str | Sequence[str] | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # One row per kind of reminder the office changed; without a row the defaults hold
    # (bot/domain/reminders/settings.py).
    op.create_table('reminder_settings',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('send_at', sa.Time(), nullable=True),
    sa.Column('every_days', sa.Integer(), nullable=True),
    sa.Column('after_hours', sa.Float(), nullable=True),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_reminder_settings_updated_by_users')),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_reminder_settings'))
    )


def downgrade() -> None:
    op.drop_table('reminder_settings')
