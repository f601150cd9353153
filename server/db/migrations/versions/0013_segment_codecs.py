"""segments: each keeps its codec, as the spool's sidecar and the manifest entry do

Segments stored before keep "": their manifests, written without it, still match them.
Added in place (ADD COLUMN) on SQLite too.

Revision ID: 0013
Revises: 0012
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    have = {c['name'] for c in sa.inspect(op.get_bind()).get_columns('segments')}
    if 'codec' not in have:  # a SQLite downgrade keeps it
        with op.batch_alter_table('segments', recreate='never') as batch:
            batch.add_column(sa.Column('codec', sa.String(length=16), nullable=False,
                                       server_default=''))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Dropping a column rebuilds the table there; the emptied column stays.
        op.execute("UPDATE segments SET codec = ''")
        return
    with op.batch_alter_table('segments') as batch:
        batch.drop_column('codec')
