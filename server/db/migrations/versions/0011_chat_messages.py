"""chat_messages: each text message of a live interview, kept the moment it arrives and
chained (evidence/chat.py); the ended interview's chat log (an evidence item) names them

A new table only: created in place on SQLite too.

Revision ID: 0011
Revises: 0010
"""

from alembic import op
import sqlalchemy as sa
import server.db.types


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if 'chat_messages' in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        'chat_messages',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('interview_id', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('at', server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('sender_id', sa.String(length=36), nullable=False),
        sa.Column('sender_kind', sa.String(length=8), nullable=False),
        sa.Column('sender_name', sa.String(length=128), nullable=False),
        sa.Column('sender_role', sa.String(length=16), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('audience', sa.String(length=8), nullable=False),
        sa.Column('prev', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('log_item_id', sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(['interview_id'], ['interviews.id']),
        sa.ForeignKeyConstraint(['log_item_id'], ['evidence_items.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('interview_id', 'seq', name='uq_chat_message_seq'),
    )


def downgrade() -> None:
    op.drop_table('chat_messages')
