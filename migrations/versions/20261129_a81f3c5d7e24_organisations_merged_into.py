"""Councils abolished in a reorganisation point at the council that took them over.

Revision ID: a81f3c5d7e24
Revises: e6b1c0a4d2f7
Create Date: 2026-11-29 17:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a81f3c5d7e24"
down_revision = "e6b1c0a4d2f7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_organisations_merged_into_id_organisations"),
            "organisations",
            ["merged_into_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_organisations_merged_into_id_organisations"), type_="foreignkey"
        )
        batch_op.drop_column("merged_into_id")
