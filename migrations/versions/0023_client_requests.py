"""requests sent from a device's offline queue, by their client-generated id (replays change
nothing)

Revision ID: 0023_client_requests
Revises: 0022_follow_ups
Create Date: 2026-12-03 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0023_client_requests'
down_revision = '0022_follow_ups'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('client_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_client_request_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_request')),
    sa.UniqueConstraint('user_id', 'client_id', name=op.f('uq_client_request_user_id_client_id'))
    )
    with op.batch_alter_table('client_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_request_received_at'), ['received_at'], unique=False)


def downgrade():
    with op.batch_alter_table('client_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_request_received_at'))
    op.drop_table('client_request')
