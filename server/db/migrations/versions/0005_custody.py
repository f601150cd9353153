"""custody log

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa
import server.db.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'custody_events',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('at', server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('item_id', sa.String(length=36), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('case_id', 'seq'),
    )
    op.create_index('ix_custody_item', 'custody_events', ['item_id'])
    op.create_table(
        'custody_checkpoints',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('head', sa.String(length=64), nullable=False),
        sa.Column('at', server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('signature', sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_custody_checkpoints_case_id', 'custody_checkpoints', ['case_id'])


def downgrade() -> None:
    op.drop_index('ix_custody_checkpoints_case_id', 'custody_checkpoints')
    op.drop_table('custody_checkpoints')
    op.drop_index('ix_custody_item', 'custody_events')
    op.drop_table('custody_events')
