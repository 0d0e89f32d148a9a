"""Whether a digest delivery's last error was temporary, and when its send task is due.

A delivery failed for a temporary reason is sent again by ``flask digests send``; a pending
delivery whose task is long overdue lost it with the broker's queue and is enqueued again.

Revision ID: d5a8c3e1f7b2
Revises: c9d4e2a7b813
Create Date: 2026-11-29 20:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d5a8c3e1f7b2"
down_revision = "c9d4e2a7b813"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digest_deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "last_error_kind",
                sa.Enum(
                    "temporary",
                    "permanent",
                    name="error_kind",
                    native_enum=False,
                    create_constraint=True,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("task_due_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("digest_deliveries", schema=None) as batch_op:
        batch_op.drop_column("task_due_at")
        # The enum's CHECK names the column: SQLite's copy of the table would keep it otherwise.
        batch_op.drop_constraint(batch_op.f("ck_digest_deliveries_error_kind"), type_="check")
        batch_op.drop_column("last_error_kind")
