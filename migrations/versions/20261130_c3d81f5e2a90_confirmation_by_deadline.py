"""Mark the confirmations a round's closing recorded for sides that never answered: an
unanswered place is kept when the round closes, and the pages say it was kept, not confirmed.

Revision ID: c3d81f5e2a90
Revises: a4e7c1d93b60
Create Date: 2026-11-30 02:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c3d81f5e2a90"
down_revision = "a4e7c1d93b60"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("allocation_confirmations") as batch:
        batch.add_column(
            sa.Column("by_deadline", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("allocation_confirmations") as batch:
        batch.drop_column("by_deadline")
