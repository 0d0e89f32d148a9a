"""What each digest said when it was sent, so "see this digest on the web" shows that digest.

Revision ID: 7d3b9e2f4a18
Revises: c4a7d2e91b30
Create Date: 2026-11-29 17:30:00.000000

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "7d3b9e2f4a18"
down_revision = "c4a7d2e91b30"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digest_deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "content",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("digest_deliveries", schema=None) as batch_op:
        batch_op.drop_column("content")
