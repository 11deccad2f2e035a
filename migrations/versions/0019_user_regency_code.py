"""regencies typed freely become Kemendagri codes

Revision ID: 0019_user_regency_code
Revises: 0017_action_plans
Create Date: 2026-12-03 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_user_regency_code'
down_revision = '0017_action_plans'
branch_labels = None
depends_on = None


def region_updates(rows):
    """For (id, regency typed, regency code, province) rows, the (id, code, province) to store:
    a typed name or abbreviation ("Kab. HSU", "Batola") gets its code by the resolver registration
    and the participant import use; a province missing beside a code comes from the code. Rows
    already coded, or naming no place on the list, are left as they are (the organizers' page
    lists the latter), so running it again changes nothing."""
    from lms.accounts.regions import provinces, resolve_regency

    updates = []
    for id_, typed, code, province in rows:
        if code:
            if not province and code[:2] in provinces():
                updates.append((id_, code, code[:2]))
            continue
        found, found_province = resolve_regency(typed, province)
        if found is not None:
            updates.append((id_, found, province if province == found_province else found_province))
    return updates


def upgrade():
    bind = op.get_bind()
    user = sa.table('user', sa.column('id', sa.Integer), sa.column('regency', sa.String),
                    sa.column('regency_code', sa.String), sa.column('province', sa.String))
    rows = bind.execute(sa.select(user.c.id, user.c.regency, user.c.regency_code, user.c.province)
                        .where(sa.or_(sa.and_(user.c.regency_code.is_(None), user.c.regency.is_not(None)),
                                      sa.and_(user.c.regency_code.is_not(None), user.c.province.is_(None))))).all()
    for id_, code, province in region_updates(rows):
        bind.execute(user.update().where(user.c.id == id_).values(regency_code=code, province=province))


def downgrade():
    pass  # the codes stay: they are right, and the typed text was kept beside them
