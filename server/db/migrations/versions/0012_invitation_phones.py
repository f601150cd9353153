"""invitations: the party's phone number, the link sealed for the messages after the
invitation (a reminder, a request to sign), and when the reminder went

Added in place (ADD COLUMN) on SQLite too.

Revision ID: 0012
Revises: 0011
"""

from alembic import op
import sqlalchemy as sa
import server.db.types


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

COLUMNS = ('phone', 'link_sealed', 'reminded_at')


def upgrade() -> None:
    have = {c['name'] for c in sa.inspect(op.get_bind()).get_columns('invitations')}
    with op.batch_alter_table('invitations', recreate='never') as batch:
        for column in (sa.Column('phone', sa.String(length=16), nullable=True),
                       sa.Column('link_sealed', sa.Text(), nullable=True),
                       sa.Column('reminded_at', server.db.types.UTCDateTime(timezone=True),
                                 nullable=True)):
            if column.name not in have:  # a SQLite downgrade keeps them
                batch.add_column(column)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Dropping a column rebuilds the table there; the emptied columns stay, and the
        # phone numbers and links do not.
        op.execute("UPDATE invitations SET phone = NULL, link_sealed = NULL, reminded_at = NULL")
        return
    with op.batch_alter_table('invitations') as batch:
        for name in COLUMNS:
            batch.drop_column(name)
