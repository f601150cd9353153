"""complaints: units, channels, the working-day calendar, complaints with their
deadlines, files and log; staff and cases get a unit; the supervisor role

Existing cases and staff get their unit when the first top-level unit is added
(`zeromeet unit add` without --parent): a migration cannot know the bureau's name.

Revision ID: 0007
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa
import server.db.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

TIME = server.db.types.UTCDateTime(timezone=True)
OLD_ROLES = ('inspector', 'legal', 'admin')
NEW_ROLES = OLD_ROLES + ('supervisor',)
STATES = ('received', 'claimed', 'accepted', 'refused', 'referred', 'closed')


def _roles(values: tuple[str, ...]) -> None:
    """The CHECK constraint of `users.role`, which names its allowed values."""
    allowed = "role IN (" + ", ".join(f"'{v}'" for v in values) + ")"
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint('user_role', 'users', type_='check')
        op.create_check_constraint('user_role', 'users', allowed)
        return
    # SQLite would rebuild the table to change a CHECK, and dropping the old table breaks
    # the foreign keys of every row naming a user. A CHECK does not change how rows are
    # stored, so the table's schema text is edited in place instead, as SQLite's ALTER
    # TABLE documentation describes, and the schema version bumped.
    bind = op.get_bind()
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'").scalar()
    start = sql.index("CONSTRAINT user_role CHECK (")
    end = sql.index("))", start) + 2
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'users'",
                         (sql[:start] + f"CONSTRAINT user_role CHECK ({allowed})" + sql[end:],))
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    if not sa.inspect(op.get_bind()).has_table('units'):  # a SQLite downgrade keeps it
        _units()
    _rest()


def _units() -> None:
    op.create_table(
        'units',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('parent_id', sa.String(length=36), nullable=True),
        sa.Column('districts', sa.Text(), nullable=False),
        sa.Column('created_at', TIME, nullable=False),
        sa.ForeignKeyConstraint(['parent_id'], ['units.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
    )


def _rest() -> None:
    op.create_table(
        'channels',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('unit_id', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('medium', sa.String(length=16), nullable=False),
        sa.Column('created_at', TIME, nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_channels_unit_id', 'channels', ['unit_id'])
    op.create_table(
        'calendar_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('working', sa.Boolean(), nullable=False),
        sa.Column('note', sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint('day'),
    )
    op.create_table(
        'complaints',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('number', sa.String(length=32), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('channel_id', sa.String(length=32), nullable=False),
        sa.Column('unit_id', sa.String(length=36), nullable=False),
        sa.Column('state', sa.Enum(*STATES, name='complaint_state', native_enum=False,
                                   create_constraint=True, length=16), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('employer', sa.String(length=200), nullable=False),
        sa.Column('district', sa.String(length=64), nullable=False),
        sa.Column('category', sa.String(length=16), nullable=False),
        sa.Column('workers', sa.Integer(), nullable=True),
        sa.Column('amount', sa.BigInteger(), nullable=True),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('confidential', sa.Boolean(), nullable=False),
        sa.Column('co_complainants', sa.Text(), nullable=False),
        sa.Column('filed_by', sa.String(length=36), nullable=True),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('received_at', TIME, nullable=False),
        sa.Column('owner_id', sa.String(length=36), nullable=True),
        sa.Column('first_responder_id', sa.String(length=36), nullable=True),
        sa.Column('claimed_at', TIME, nullable=True),
        sa.Column('transfer_unit_id', sa.String(length=36), nullable=True),
        sa.Column('transfer_reason', sa.Text(), nullable=False),
        sa.Column('alert', sa.Text(), nullable=False),
        sa.Column('case_id', sa.String(length=36), nullable=True),
        sa.Column('decided_at', TIME, nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('referred_to', sa.String(length=32), nullable=False),
        sa.Column('result', sa.String(length=32), nullable=False),
        sa.Column('reply', sa.Text(), nullable=False),
        sa.Column('amount_recovered', sa.BigInteger(), nullable=True),
        sa.Column('workers_covered', sa.Integer(), nullable=True),
        sa.Column('closed_at', TIME, nullable=True),
        sa.ForeignKeyConstraint(['channel_id'], ['channels.id']),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id']),
        sa.ForeignKeyConstraint(['transfer_unit_id'], ['units.id']),
        sa.ForeignKeyConstraint(['filed_by'], ['users.id']),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id']),
        sa.ForeignKeyConstraint(['first_responder_id'], ['users.id']),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('number'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_complaints_unit_state', 'complaints', ['unit_id', 'state'])
    op.create_index('ix_complaints_address_at', 'complaints', ['address', 'received_at'])
    op.create_index('ix_complaints_phone_at', 'complaints', ['phone', 'received_at'])
    op.create_table(
        'complaint_deadlines',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('complaint_id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('due', sa.Date(), nullable=False),
        sa.Column('working_days', sa.Integer(), nullable=False),
        sa.Column('counted_from', sa.Date(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('set_by', sa.String(length=36), nullable=True),
        sa.Column('set_at', TIME, nullable=False),
        sa.Column('met_at', TIME, nullable=True),
        sa.Column('replaced_at', TIME, nullable=True),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id']),
        sa.ForeignKeyConstraint(['set_by'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_complaint_deadlines_complaint_id', 'complaint_deadlines', ['complaint_id'])
    op.create_table(
        'complaint_files',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('complaint_id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('object_key', sa.String(length=255), nullable=False),
        sa.Column('version_id', sa.String(length=1024), nullable=True),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('observed', sa.Text(), nullable=False),
        sa.Column('claimed', sa.Text(), nullable=False),
        sa.Column('created_at', TIME, nullable=False),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_complaint_files_complaint_id', 'complaint_files', ['complaint_id'])
    op.create_table(
        'complaint_events',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('complaint_id', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('at', TIME, nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('public', sa.Boolean(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('complaint_id', 'seq'),
    )
    for table in ('users', 'cases'):
        if op.get_bind().dialect.name == "sqlite":
            # In place: a rebuilt table would break the foreign keys of rows naming it. A
            # downgrade on SQLite leaves the (emptied) column, so it may be here already.
            have = {row[1] for row in op.get_bind().exec_driver_sql(f"PRAGMA table_info({table})")}
            if "unit_id" not in have:
                op.execute(f"ALTER TABLE {table} ADD COLUMN unit_id VARCHAR(36) REFERENCES units (id)")
            continue
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('unit_id', sa.String(length=36), nullable=True))
            batch.create_foreign_key(f'fk_{table}_unit', 'units', ['unit_id'], ['id'])
    _roles(NEW_ROLES)


def downgrade() -> None:
    _roles(OLD_ROLES)
    for table in ('cases', 'users'):
        if op.get_bind().dialect.name == "sqlite":
            # SQLite can neither drop a column that is a foreign key nor rebuild a table
            # other rows name: the column stays, emptied (the upgrade reuses it).
            op.execute(f"UPDATE {table} SET unit_id = NULL")
            continue
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f'fk_{table}_unit', type_='foreignkey')
            batch.drop_column('unit_id')
    for table in ('complaint_events', 'complaint_files', 'complaint_deadlines', 'complaints',
                  'calendar_days', 'channels'):
        op.drop_table(table)
    if op.get_bind().dialect.name != "sqlite":  # there the columns above still name it
        op.drop_table('units')
