"""office broadcasts and the files the bot uploads itself

Revision ID: 0008
Revises: 0007_rubric
Create Date: 2026-12-03 08:00:00.000000

(0007 is the reminder settings of a parallel branch: whoever merges the second sets
down_revision to the other's revision, so the chain stays one line.)
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types


revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007_rubric'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('stored_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('telegram_file_id', sa.String(length=200), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_files'))
    )
    op.create_table('broadcasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('unit_ids', storage.types.JsonType, nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('file_id', sa.String(length=200), nullable=True),
    sa.Column('file_name', sa.String(length=300), nullable=True),
    sa.Column('stored_file_id', sa.Integer(), nullable=True),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('not_joined', sa.Integer(), nullable=False),
    sa.Column('progress_chat_id', sa.BigInteger(), nullable=True),
    sa.Column('progress_message_id', sa.BigInteger(), nullable=True),
    sa.Column('progress_text', sa.Text(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("audience IN ('liaisons', 'inspectors', 'all', 'units')", name=op.f('ck_broadcasts_audience')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_broadcasts_created_by_users')),
    sa.ForeignKeyConstraint(['stored_file_id'], ['stored_files.id'], name=op.f('fk_broadcasts_stored_file_id_stored_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcasts'))
    )
    op.create_index(op.f('ix_broadcasts_finished_at'), 'broadcasts', ['finished_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_broadcasts_finished_at'), table_name='broadcasts')
    op.drop_table('broadcasts')
    op.drop_table('stored_files')
