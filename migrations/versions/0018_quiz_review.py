"""quiz review options and extra attempts

Revision ID: 0018_quiz_review
Revises: 0021_surveys
Create Date: 2026-12-03 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_quiz_review'
down_revision = '0021_surveys'
branch_labels = None
depends_on = None

# show_answers as review options: (after an attempt while more may follow, once passed or out of attempts)
_REVIEW = {'after_attempt': ('answers', 'answers'), 'after_pass': ('score', 'answers'), 'never': ('score', 'score')}
_SHOW = {review: show for show, review in _REVIEW.items()}


def upgrade():
    op.create_table('attempt_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('extra', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohort.id'], name=op.f('fk_attempt_grant_cohort_id_cohort')),
    sa.ForeignKeyConstraint(['granted_by_id'], ['user.id'], name=op.f('fk_attempt_grant_granted_by_id_user')),
    sa.ForeignKeyConstraint(['quiz_id'], ['quiz.id'], name=op.f('fk_attempt_grant_quiz_id_quiz')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_attempt_grant_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempt_grant'))
    )
    with op.batch_alter_table('attempt_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_grant_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index('ix_attempt_grant_trainee', ['user_id', 'quiz_id'], unique=False)

    with op.batch_alter_table('quiz', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_attempt', sa.String(length=10), server_default='wrong', nullable=False))
        batch_op.add_column(sa.Column('review_final', sa.String(length=10), server_default='answers', nullable=False))
    # What each quiz showed before stays what it shows (the next import applies the files' keys).
    quiz = sa.table('quiz', sa.column('show_answers', sa.String), sa.column('review_attempt', sa.String),
                    sa.column('review_final', sa.String))
    for show, (during, final) in _REVIEW.items():
        op.execute(quiz.update().where(quiz.c.show_answers == show).values(review_attempt=during, review_final=final))
    with op.batch_alter_table('quiz', schema=None) as batch_op:
        batch_op.drop_column('show_answers')


def downgrade():
    with op.batch_alter_table('quiz', schema=None) as batch_op:
        batch_op.add_column(sa.Column('show_answers', sa.String(length=15), server_default='after_attempt',
                                      nullable=False))
    quiz = sa.table('quiz', sa.column('show_answers', sa.String), sa.column('review_attempt', sa.String),
                    sa.column('review_final', sa.String))
    op.execute(quiz.update().where(quiz.c.review_final != 'answers').values(show_answers='never'))
    op.execute(quiz.update().where(quiz.c.review_final == 'answers', quiz.c.review_attempt != 'answers')
               .values(show_answers='after_pass'))
    with op.batch_alter_table('quiz', schema=None) as batch_op:
        batch_op.drop_column('review_final')
        batch_op.drop_column('review_attempt')
    with op.batch_alter_table('attempt_grant', schema=None) as batch_op:
        batch_op.drop_index('ix_attempt_grant_trainee')
        batch_op.drop_index(batch_op.f('ix_attempt_grant_cohort_id'))
    op.drop_table('attempt_grant')
