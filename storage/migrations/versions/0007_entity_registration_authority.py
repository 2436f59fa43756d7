"""an entity's registration authority (登记机关)

Revision ID: 0007_entity_registration
Revises: 0007
Create Date: 2026-12-03 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007_entity_registration'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The authority that registered the entity, as other systems' directory exports name
    # it (登记机关); a shared fact, beside the USCC and the registration number.
    with op.batch_alter_table('entities') as batch:
        batch.add_column(sa.Column('registration_authority', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('entities') as batch:
        batch.drop_column('registration_authority')
