"""An offer's message and who made it, so the person learns next steps and whom to contact.

Revision ID: e6b1c0a4d2f7
Revises: 7d3b9e2f4a18
Create Date: 2026-11-29 17:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e6b1c0a4d2f7"
down_revision = "7d3b9e2f4a18"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("interests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("offer_message", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("offered_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_interests_offered_by_id_users"),
            "users",
            ["offered_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("interests", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_interests_offered_by_id_users"), type_="foreignkey")
        batch_op.drop_column("offered_by_id")
        batch_op.drop_column("offer_message")
