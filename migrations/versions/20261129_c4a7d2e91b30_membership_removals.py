"""People removed from an organisation, who rejoin only when invited or approved.

Revision ID: c4a7d2e91b30
Revises: 5f1e2d7c9a01
Create Date: 2026-11-29 17:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4a7d2e91b30"
down_revision = "5f1e2d7c9a01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "membership_removals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("removed_by_id", sa.Integer(), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_membership_removals_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_membership_removals_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["removed_by_id"],
            ["users.id"],
            name=op.f("fk_membership_removals_removed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership_removals")),
        sa.UniqueConstraint(
            "organisation_id",
            "user_id",
            name=op.f("uq_membership_removals_organisation_id_user_id"),
        ),
    )
    with op.batch_alter_table("membership_removals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_membership_removals_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_membership_removals_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("membership_removals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_removals_user_id"))
        batch_op.drop_index(batch_op.f("ix_membership_removals_organisation_id"))

    op.drop_table("membership_removals")
