"""finding region: which listing photo an image finding is in, and where in it

Revision ID: 0005_finding_region
Revises: 0004_designs_videos
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0005_finding_region'
down_revision = '0004_designs_videos'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('region', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_column('region')
        batch_op.drop_column('photo')
