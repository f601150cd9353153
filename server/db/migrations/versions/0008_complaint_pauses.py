"""complaints: a pause of the clock (material asked for, or the case suspended), the
number an imported clue had elsewhere, what moved a deadline, the categories a unit
takes, and signed checkpoints of complaint logs

Added in place (ADD COLUMN) on SQLite too: nothing is rebuilt.

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa
import server.db.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

TIME = server.db.types.UTCDateTime(timezone=True)
COLUMNS = (
    ('paused_kind', sa.String(length=16), ''),
    ('paused_reason', sa.Text(), ''),
    ('paused_at', TIME, None),
    ('external_ref', sa.String(length=64), ''),
)


def upgrade() -> None:
    with op.batch_alter_table('complaints', recreate='never') as batch:
        for name, kind, default in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=default is None,
                                       server_default=default if default is not None else None))
    op.create_index('ix_complaints_external_ref', 'complaints', ['external_ref'])
    with op.batch_alter_table('complaint_deadlines', recreate='never') as batch:
        batch.add_column(sa.Column('cause', sa.String(length=16), nullable=False, server_default=''))
    # A SQLite downgrade keeps the units table, and so this column: it may be here already.
    if 'categories' not in {c['name'] for c in sa.inspect(op.get_bind()).get_columns('units')}:
        with op.batch_alter_table('units', recreate='never') as batch:
            batch.add_column(sa.Column('categories', sa.Text(), nullable=False, server_default='[]'))
    op.create_table(
        'complaint_checkpoints',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('complaint_id', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('head', sa.String(length=64), nullable=False),
        sa.Column('at', TIME, nullable=False),
        sa.Column('signature', sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_complaint_checkpoints_complaint_id', 'complaint_checkpoints', ['complaint_id'])
    # Until now only an extension gave a closing deadline a reason.
    op.execute("UPDATE complaint_deadlines SET cause = 'extension' WHERE kind = 'close' AND reason <> ''")


def downgrade() -> None:
    op.drop_index('ix_complaint_checkpoints_complaint_id', 'complaint_checkpoints')
    op.drop_table('complaint_checkpoints')
    op.drop_index('ix_complaints_external_ref', 'complaints')
    if op.get_bind().dialect.name == "sqlite":
        return  # dropping a column rebuilds the table there; the emptied columns stay
    with op.batch_alter_table('complaint_deadlines') as batch:
        batch.drop_column('cause')
    with op.batch_alter_table('units') as batch:
        batch.drop_column('categories')
    with op.batch_alter_table('complaints') as batch:
        for name, _kind, _default in COLUMNS:
            batch.drop_column(name)
