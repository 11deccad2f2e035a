"""question: Moodle idnumber, tags, penalty and general feedback format

Revision ID: 0014_question_moodle
Revises: 0011_course_roles
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_question_moodle'
down_revision = '0011_course_roles'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idnumber', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('tags_json', sa.Text(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('penalty', sa.Float(), server_default='0.3333333', nullable=False))
        batch_op.add_column(sa.Column('feedback_format', sa.String(length=10), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_column('feedback_format')
        batch_op.drop_column('penalty')
        batch_op.drop_column('tags_json')
        batch_op.drop_column('idnumber')
