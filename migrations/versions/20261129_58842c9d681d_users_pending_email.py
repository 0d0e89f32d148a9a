"""The address an email change waits on, kept on the user instead of in outbox payloads.

Revision ID: 58842c9d681d
Revises: 0b7e4c1d2a93
Create Date: 2026-11-29 18:10:00.000000

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "58842c9d681d"
down_revision = "0b7e4c1d2a93"
branch_labels = None
depends_on = None

EMAIL_CHANGE_EMAIL = "accounts.email_change_email"

users = sa.table("users", sa.column("id", sa.Integer), sa.column("pending_email", sa.String))
outbox_events = sa.table(
    "outbox_events",
    sa.column("id", sa.BigInteger),
    sa.column("task_name", sa.String),
    sa.column("payload", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
    sa.column("processed_at", sa.DateTime(timezone=True)),
)


def _email_change_events(connection: sa.Connection) -> list[sa.Row]:
    return connection.execute(
        sa.select(outbox_events.c.id, outbox_events.c.payload, outbox_events.c.processed_at)
        .where(outbox_events.c.task_name == EMAIL_CHANGE_EMAIL)
        .order_by(outbox_events.c.id)
    ).all()


def _set_payload(connection: sa.Connection, event_id: int, payload: dict) -> None:
    connection.execute(
        outbox_events.update().where(outbox_events.c.id == event_id).values(payload=payload)
    )


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_email", sa.String(length=254), nullable=True))

    # Take the addresses out of email-change events: a change still to be emailed keeps its
    # address on the user, where the task now reads it.
    connection = op.get_bind()
    for event_id, payload, processed_at in _email_change_events(connection):
        new_email = payload.get("new_email")
        if processed_at is None and new_email:
            connection.execute(
                users.update()
                .where(users.c.id == payload.get("user_id"))
                .values(pending_email=new_email)
            )
        _set_payload(
            connection,
            event_id,
            {key: value for key, value in payload.items() if key != "new_email"},
        )


def downgrade() -> None:
    # The previous code reads the address from the event: give it back to changes not yet sent.
    connection = op.get_bind()
    for event_id, payload, processed_at in _email_change_events(connection):
        pending = connection.scalar(
            sa.select(users.c.pending_email).where(users.c.id == payload.get("user_id"))
        )
        if processed_at is None and pending:
            _set_payload(connection, event_id, {**payload, "new_email": pending})
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("pending_email")
