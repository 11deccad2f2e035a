"""surveys: the training evaluation (evaluasi penyelenggaraan)

Who answered (survey_submission) and what was answered (survey_ballot, survey_answer) are kept
apart: ballots have random ids, no user and no time, and on SQLite are stored WITHOUT ROWID.

Revision ID: 0021_surveys
Revises: 0019_user_regency_code
Create Date: 2026-12-02 18:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_surveys'
down_revision = '0019_user_regency_code'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('survey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('intro', sa.Text(), nullable=False),
    sa.Column('required_for_certificate', sa.Boolean(), nullable=False),
    sa.Column('source_path', sa.String(length=300), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_survey_course_id_course')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey')),
    sa.UniqueConstraint('course_id', 'scope', name=op.f('uq_survey_course_id_scope'))
    )
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_course_id'), ['course_id'], unique=False)

    op.create_table('survey_ballot',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('released', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_survey_ballot_cohort_id_cohort')),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_ballot_survey_id_survey')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_ballot')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('survey_ballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_ballot_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index('ix_survey_ballot_group', ['survey_id', 'cohort_id', 'released'], unique=False)

    op.create_table('survey_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('section', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_item_survey_id_survey')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_item')),
    sa.UniqueConstraint('survey_id', 'key', name=op.f('uq_survey_item_survey_id_key'))
    )
    with op.batch_alter_table('survey_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_item_survey_id'), ['survey_id'], unique=False)

    op.create_table('survey_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_survey_submission_cohort_id_cohort')),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_submission_survey_id_survey')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_survey_submission_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_submission')),
    sa.UniqueConstraint('cohort_id', 'user_id', name=op.f('uq_survey_submission_cohort_id_user_id'))
    )
    with op.batch_alter_table('survey_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_submission_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_submission_survey_id'), ['survey_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_submission_user_id'), ['user_id'], unique=False)

    op.create_table('survey_answer',
    sa.Column('ballot_id', sa.String(length=32), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('facilitator_id', sa.Integer(), nullable=True),
    sa.Column('value', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['ballot_id'], ['survey_ballot.id'], name=op.f('fk_survey_answer_ballot_id_survey_ballot')),
    sa.ForeignKeyConstraint(['facilitator_id'], ['user.id'], name=op.f('fk_survey_answer_facilitator_id_user')),
    sa.ForeignKeyConstraint(['item_id'], ['survey_item.id'], name=op.f('fk_survey_answer_item_id_survey_item')),
    sa.PrimaryKeyConstraint('ballot_id', 'slot', name=op.f('pk_survey_answer')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_answer_item_id'), ['item_id'], unique=False)



def downgrade():
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_answer_item_id'))

    op.drop_table('survey_answer')
    with op.batch_alter_table('survey_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_submission_user_id'))
        batch_op.drop_index(batch_op.f('ix_survey_submission_survey_id'))
        batch_op.drop_index(batch_op.f('ix_survey_submission_cohort_id'))

    op.drop_table('survey_submission')
    with op.batch_alter_table('survey_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_item_survey_id'))

    op.drop_table('survey_item')
    with op.batch_alter_table('survey_ballot', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_ballot_group')
        batch_op.drop_index(batch_op.f('ix_survey_ballot_cohort_id'))

    op.drop_table('survey_ballot')
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_course_id'))

    op.drop_table('survey')
