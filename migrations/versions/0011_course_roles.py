"""course roles: who edits a course, who grants that, who creates its cohorts

Revision ID: 0011_course_roles
Revises: 0010_job_runner
Create Date: 2026-11-26 09:00:00

Until now a facilitator assigned to any cohort of a course could edit the course, so whoever
assigned staff to a cohort handed out edit rights. Course roles make that explicit. So that
nobody loses what they do today, the migration grants:
- 'author' of a course to each facilitator assigned to a cohort of it;
- 'organizer' of a course to each organizer who created or is assigned to a cohort of it.
Owners are named afterwards by an admin (web editor or `flask courses grant`).
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_course_roles'
down_revision = '0010_job_runner'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('course_role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_course_role_course_id_course')),
    sa.ForeignKeyConstraint(['granted_by_id'], ['user.id'], name=op.f('fk_course_role_granted_by_id_user')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_course_role_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_role')),
    sa.UniqueConstraint('course_id', 'user_id', name=op.f('uq_course_role_course_id_user_id'))
    )
    with op.batch_alter_table('course_role', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_role_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_course_role_user_id'), ['user_id'], unique=False)

    conn = op.get_bind()
    authors = conn.execute(sa.text(
        'SELECT DISTINCT c.course_id, s.user_id FROM cohort_staff s JOIN cohort c ON c.id = s.cohort_id '
        'JOIN "user" u ON u.id = s.user_id WHERE u.role = \'facilitator\'')).all()
    organizers = conn.execute(sa.text(
        'SELECT DISTINCT c.course_id, u.id FROM cohort c JOIN "user" u ON u.id = c.created_by_id '
        'WHERE u.role = \'organizer\' '
        'UNION SELECT DISTINCT c.course_id, s.user_id FROM cohort_staff s JOIN cohort c ON c.id = s.cohort_id '
        'JOIN "user" u ON u.id = s.user_id WHERE u.role = \'organizer\'')).all()
    now = datetime.now(timezone.utc)
    table = sa.table('course_role', sa.column('course_id', sa.Integer()), sa.column('user_id', sa.Integer()),
                     sa.column('role', sa.String()), sa.column('granted_at', sa.DateTime(timezone=True)))
    rows = ([{'course_id': c, 'user_id': u, 'role': 'author', 'granted_at': now} for c, u in authors]
            + [{'course_id': c, 'user_id': u, 'role': 'organizer', 'granted_at': now} for c, u in set(organizers)])
    if rows:
        op.bulk_insert(table, rows)


def downgrade():
    with op.batch_alter_table('course_role', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_role_user_id'))
        batch_op.drop_index(batch_op.f('ix_course_role_course_id'))

    op.drop_table('course_role')
