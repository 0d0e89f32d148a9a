"""Keep the insights as last counted: the public page and the open data read the newest row,
which a beat job writes every few minutes, instead of counting on every request.

Revision ID: b8d2f4a61c37
Revises: e1c4b7a2d905
Create Date: 2026-11-30 02:15:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "b8d2f4a61c37"
down_revision = "e1c4b7a2d905"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "insights_snapshots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insights_snapshots")),
    )
    op.create_index(op.f("ix_insights_snapshots_counted_at"), "insights_snapshots", ["counted_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_insights_snapshots_counted_at"), table_name="insights_snapshots")
    op.drop_table("insights_snapshots")
