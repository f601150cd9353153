"""interviews: what the call is about in words for the parties (never the internal case
title), and a cancellation with its reason

Added in place (ADD COLUMN) on SQLite too.

Revision ID: 0009
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa
import server.db.types


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

TIME = server.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    have = {c['name'] for c in sa.inspect(op.get_bind()).get_columns('interviews')}
    with op.batch_alter_table('interviews', recreate='never') as batch:
        for column in (sa.Column('purpose', sa.Text(), nullable=False, server_default=''),
                       sa.Column('cancelled_at', TIME, nullable=True),
                       sa.Column('cancel_reason', sa.Text(), nullable=False, server_default='')):
            if column.name not in have:  # a SQLite downgrade keeps them
                batch.add_column(column)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return  # dropping a column rebuilds the table there; the emptied columns stay
    with op.batch_alter_table('interviews') as batch:
        for name in ('purpose', 'cancelled_at', 'cancel_reason'):
            batch.drop_column(name)
