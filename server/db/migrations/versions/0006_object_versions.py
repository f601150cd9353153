"""object versions: the S3 version id of every stored object

Rows written before this migration keep NULL: a migration cannot reach the object store,
and a read of a NULL version takes the key's oldest version, which is the original this
program wrote (object lock protects it), so nothing needs filling in.

Revision ID: 0006
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

COLUMNS = (('segments', 'version_id'), ('evidence_items', 'version_id'),
           ('recordings', 'manifest_version_id'))


def upgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(column, sa.String(length=1024), nullable=True))


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
