"""Sessions ended by signing out, so a copied cookie stops working.

Revision ID: 0b7e4c1d2a93
Revises: a81f3c5d7e24
Create Date: 2026-11-29 17:45:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0b7e4c1d2a93"
down_revision = "a81f3c5d7e24"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ended_sessions",
        sa.Column("session_digest", sa.String(length=64), nullable=False),
        sa.Column("keep_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_digest", name=op.f("pk_ended_sessions")),
    )
    with op.batch_alter_table("ended_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ended_sessions_keep_until"), ["keep_until"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ended_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ended_sessions_keep_until"))

    op.drop_table("ended_sessions")
