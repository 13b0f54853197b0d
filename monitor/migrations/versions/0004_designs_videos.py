"""designs and videos: a listing's video URLs and the files the crawl downloaded of them

Revision ID: 0004_designs_videos
Revises: 0002_alerts
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0004_designs_videos'
down_revision = '0002_alerts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('video_urls', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('video_files', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.drop_column('video_files')
        batch_op.drop_column('video_urls')
