"""filing windows the office sets

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types


revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A half-year's filing window when the office moved it; without a row the default
    # holds (June 1-30, December 1-31: bot/domain/registers/halves.py).
    op.create_table('filing_windows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('half', sa.String(length=2), nullable=False),
    sa.Column('opens', sa.Date(), nullable=False),
    sa.Column('closes', sa.Date(), nullable=False),
    sa.Column('set_by', sa.Integer(), nullable=True),
    sa.Column('set_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("half IN ('H1', 'H2')", name=op.f('ck_filing_windows_half')),
    sa.CheckConstraint('opens <= closes', name=op.f('ck_filing_windows_span')),
    sa.ForeignKeyConstraint(['set_by'], ['users.id'], name=op.f('fk_filing_windows_set_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_filing_windows')),
    sa.UniqueConstraint('year', 'half', name=op.f('uq_filing_windows_year_half'))
    )


def downgrade() -> None:
    op.drop_table('filing_windows')
