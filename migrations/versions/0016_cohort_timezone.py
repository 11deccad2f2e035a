"""cohort time zone

Revision ID: 0016_cohort_timezone
Revises: 0012_grade_changes
Create Date: 2026-12-02 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_cohort_timezone'
down_revision = '0012_grade_changes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=40), server_default='Asia/Jakarta',
                                      nullable=False))
    # Existing cohorts: the zone of the province their place, city or name points to
    # (Banjarmasin, Kalimantan Selatan -> Asia/Makassar); WIB where nothing matches.
    from lms.cohorts.timezones import default_zone

    bind = op.get_bind()
    cohort = sa.table('cohort', sa.column('id', sa.Integer), sa.column('place', sa.String),
                      sa.column('city', sa.String), sa.column('name', sa.String),
                      sa.column('timezone', sa.String))
    for id_, place, city, name in bind.execute(sa.select(cohort.c.id, cohort.c.place, cohort.c.city,
                                                         cohort.c.name)).all():
        zone = default_zone(place, city, name)
        if zone != 'Asia/Jakarta':
            bind.execute(cohort.update().where(cohort.c.id == id_).values(timezone=zone))


def downgrade():
    with op.batch_alter_table('cohort', schema=None) as batch_op:
        batch_op.drop_column('timezone')
