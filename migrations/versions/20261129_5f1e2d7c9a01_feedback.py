"""Feedback given from the link in the phase banner.

Revision ID: 5f1e2d7c9a01
Revises: b9e873ae437e
Create Date: 2026-11-29 17:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5f1e2d7c9a01"
down_revision = "b9e873ae437e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("page", sa.String(length=200), nullable=True),
        sa.Column("trying_to_do", sa.String(length=500), nullable=False),
        sa.Column("could_be_better", sa.String(length=1200), nullable=False),
        sa.Column("reply_email", sa.String(length=254), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_received_at"), ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_received_at"))

    op.drop_table("feedback")
