"""the evaluation: rubric parameters per year, the office's judgments, frozen scores

Revision ID: 0007_rubric
Revises: 0007_entity_registration
Create Date: 2026-12-03 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types


revision: str = '0007_rubric'
down_revision: str | Sequence[str] | None = '0007_entity_registration'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A rubric parameter the office changed for one year; the defaults are in the code
    # (bot/domain/scores/rubric.py), so a year without rows scores by the city's table.
    op.create_table('rubric_params',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=32), nullable=False),
    sa.Column('set_by', sa.Integer(), nullable=True),
    sa.Column('set_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['set_by'], ['users.id'], name=op.f('fk_rubric_params_set_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rubric_params')),
    sa.UniqueConstraint('year', 'item', 'name', name=op.f('uq_rubric_params_year_item_name'))
    )
    # The office's score of the items it judges (一1, 一3, 一4), one per unit, year, item.
    op.create_table('judgments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=8), nullable=False),
    sa.Column('points', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('evidence_name', sa.String(length=300), nullable=True),
    sa.Column('evidence', sa.LargeBinary(), nullable=True),
    sa.Column('judged_by', sa.Integer(), nullable=True),
    sa.Column('judged_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['judged_by'], ['users.id'], name=op.f('fk_judgments_judged_by_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_judgments_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judgments')),
    sa.UniqueConstraint('unit_id', 'year', 'item', name=op.f('uq_judgments_unit_id_year_item'))
    )
    with op.batch_alter_table('judgments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_judgments_unit_id'), ['unit_id'], unique=False)
    # A year's scores as the office froze them (what was reported to the city government).
    op.create_table('score_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('scores', storage.types.JsonType, nullable=False),
    sa.Column('frozen_by', sa.Integer(), nullable=True),
    sa.Column('frozen_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['frozen_by'], ['users.id'], name=op.f('fk_score_snapshots_frozen_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_snapshots')),
    sa.UniqueConstraint('year', name=op.f('uq_score_snapshots_year'))
    )


def downgrade() -> None:
    op.drop_table('score_snapshots')
    with op.batch_alter_table('judgments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_judgments_unit_id'))
    op.drop_table('judgments')
    op.drop_table('rubric_params')
