"""sessions end on the server; no set-password token kept in clear

Revision ID: 0013_sessions_tokens
Revises: 0015_import_rows
Create Date: 2026-12-02 18:00:00

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_sessions_tokens'
down_revision = '0015_import_rows'
branch_labels = None
depends_on = None


def upgrade():
    # Existing sessions (cookies without a nonce) end: everyone logs in once more.
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_nonce', sa.String(length=32), server_default='', nullable=False))
    # Import results kept each new account's set-password token in clear: keep who, drop the token
    # (the organizer issues new links from the import's page; the old links still work until used).
    batch = sa.table('import_batch', sa.column('id', sa.Integer), sa.column('result_json', sa.Text))
    connection = op.get_bind()
    for batch_id, result_json in connection.execute(sa.select(batch.c.id, batch.c.result_json)).all():
        try:
            result = json.loads(result_json or "{}")
        except ValueError:
            continue
        links = result.get("links") if isinstance(result, dict) else None
        if not links or not any(isinstance(link, dict) and "token" in link for link in links):
            continue
        result["links"] = [{k: v for k, v in link.items() if k != "token"} for link in links]
        connection.execute(batch.update().where(batch.c.id == batch_id).values(result_json=json.dumps(result)))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_nonce')
