"""Each notification delivery says which kind of email it is, for backends that send by template.

Revision ID: c9d4e2a7b813
Revises: 4e8a1b6c3d25
Create Date: 2026-11-29 21:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c9d4e2a7b813"
down_revision = "4e8a1b6c3d25"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        # Rows planned before this revision were all interest, invitation or join-request
        # emails; the interest email's kind is the one most of them are.
        batch_op.add_column(
            sa.Column(
                "kind", sa.String(length=40), nullable=False, server_default="interest_changed"
            )
        )
    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.alter_column("kind", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.drop_column("kind")
