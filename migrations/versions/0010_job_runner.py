"""job runner

Revision ID: 0010_job_runner
Revises: 0009_report_rollup
Create Date: 2026-11-25 13:18:15.278229

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_job_runner'
down_revision = '0009_report_rollup'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('runner', sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_column('runner')
