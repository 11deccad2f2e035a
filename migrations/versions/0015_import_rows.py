"""participant import: rows read once, decisions per row

Revision ID: 0015_import_rows
Revises: 0014_question_moodle
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_import_rows'
down_revision = '0014_question_moodle'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sheet_name', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('table_json', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('header_row', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('state_json', sa.Text(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('decisions_json', sa.Text(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_column('decisions_json')
        batch_op.drop_column('state_json')
        batch_op.drop_column('header_row')
        batch_op.drop_column('table_json')
        batch_op.drop_column('sheet_name')
