"""recordings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa
import server.db.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('recordings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('interview_id', sa.String(length=36), nullable=False),
    sa.Column('participant_id', sa.String(length=36), nullable=False),
    sa.Column('participant_kind', sa.String(length=8), nullable=False),
    sa.Column('participant_name', sa.String(length=128), nullable=False),
    sa.Column('participant_role', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('codec', sa.String(length=16), nullable=False),
    sa.Column('node', sa.String(length=128), nullable=False),
    sa.Column('state', sa.Enum('recording', 'sealed', 'interrupted', name='recording_state', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('started_at', server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('segment_count', sa.Integer(), nullable=False),
    sa.Column('media_bytes', sa.BigInteger(), nullable=False),
    sa.Column('duration', sa.Float(), nullable=False),
    sa.Column('first_ms', sa.BigInteger(), nullable=True),
    sa.Column('last_ms', sa.BigInteger(), nullable=True),
    sa.Column('head', sa.String(length=64), nullable=False),
    sa.Column('sealed_at', server.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('interrupted_at', server.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('seal_signature', sa.String(length=128), nullable=False),
    sa.Column('seal_sealed_at_us', sa.BigInteger(), nullable=True),
    sa.Column('manifest_key', sa.String(length=255), nullable=False),
    sa.Column('manifest_sha256', sa.String(length=64), nullable=False),
    sa.Column('manifest_size', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['interview_id'], ['interviews.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.create_index('ix_recordings_interview', ['interview_id', 'started_at'], unique=False)

    op.create_table('evidence_items',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('interview_id', sa.String(length=36), nullable=True),
    sa.Column('recording_id', sa.String(length=36), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('object_key', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('created_at', server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('observed', sa.Text(), nullable=False),
    sa.Column('claimed', sa.Text(), nullable=False),
    sa.Column('derived_from', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['derived_from'], ['evidence_items.id'], ),
    sa.ForeignKeyConstraint(['interview_id'], ['interviews.id'], ),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('recording_id')
    )
    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_case_created', ['case_id', 'created_at'], unique=False)

    op.create_table('segments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('recording_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('object_key', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('frames', sa.Integer(), nullable=False),
    sa.Column('first_arrival_us', sa.BigInteger(), nullable=False),
    sa.Column('last_arrival_us', sa.BigInteger(), nullable=False),
    sa.Column('rtp_first', sa.BigInteger(), nullable=False),
    sa.Column('rtp_last', sa.BigInteger(), nullable=False),
    sa.Column('start_ms', sa.BigInteger(), nullable=False),
    sa.Column('end_ms', sa.BigInteger(), nullable=False),
    sa.Column('gap', sa.Boolean(), nullable=False),
    sa.Column('recovered', sa.Boolean(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('link', sa.String(length=64), nullable=False),
    sa.Column('stored_at', server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('recording_id', 'seq')
    )
    with op.batch_alter_table('segments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_segments_recording_id'), ['recording_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('segments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_segments_recording_id'))

    op.drop_table('segments')
    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_case_created')

    op.drop_table('evidence_items')
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_index('ix_recordings_interview')

    op.drop_table('recordings')
