"""Keep the request id that recorded each outbox event, and index the unprocessed backlog.

The task's log lines carry the web request's id; /metrics reads the backlog and its oldest
event on every scrape.

Revision ID: b2f7c9e4a6d1
Revises: d5a8c3e1f7b2
Create Date: 2026-11-29 20:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b2f7c9e4a6d1"
down_revision = "d5a8c3e1f7b2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_outbox_events_unprocessed",
            ["created_at"],
            unique=False,
            sqlite_where=sa.text("processed_at IS NULL"),
            postgresql_where=sa.text("processed_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_events_unprocessed",
            sqlite_where=sa.text("processed_at IS NULL"),
            postgresql_where=sa.text("processed_at IS NULL"),
        )
        batch_op.drop_column("request_id")
