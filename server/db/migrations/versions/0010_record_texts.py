"""record_versions: the exact text of each version, stored as its own evidence item when
the version is saved (a confirmation binds that text's hash, so it is read back, never
rendered again); users: each inspector's enforcement certificate number (执法证号)

Versions saved before this revision get their text stored at the server's next start
(`server.records.store_missing_texts`): the object store is not reachable from here.
Added in place (ADD COLUMN) on SQLite too.

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _columns(table: str) -> set[str]:
    return {c['name'] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if 'text_item_id' not in _columns('record_versions'):  # a SQLite downgrade keeps it
        if sqlite:
            op.execute("ALTER TABLE record_versions ADD COLUMN text_item_id VARCHAR(36) "
                       "REFERENCES evidence_items (id)")
        else:
            with op.batch_alter_table('record_versions') as batch:
                batch.add_column(sa.Column('text_item_id', sa.String(length=36), nullable=True))
                batch.create_foreign_key('fk_record_versions_text_item', 'evidence_items',
                                         ['text_item_id'], ['id'])
    if 'badge_number' not in _columns('users'):
        with op.batch_alter_table('users', recreate='never') as batch:
            batch.add_column(sa.Column('badge_number', sa.String(length=32), nullable=False,
                                       server_default=''))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE record_versions SET text_item_id = NULL")
        return  # dropping a column rebuilds the table there; the emptied columns stay
    with op.batch_alter_table('record_versions') as batch:
        batch.drop_constraint('fk_record_versions_text_item', type_='foreignkey')
        batch.drop_column('text_item_id')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('badge_number')
