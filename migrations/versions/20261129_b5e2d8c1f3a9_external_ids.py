"""Each imported placement and person may carry the id an HR system knows it by, so importing
the same file twice changes nothing and a changed line updates its record in place.

Revision ID: b5e2d8c1f3a9
Revises: b2f7c9e4a6d1
Create Date: 2026-11-29 20:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b5e2d8c1f3a9"
down_revision = "b2f7c9e4a6d1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_placements_organisation_id_external_id"),
            ["organisation_id", "external_id"],
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_users_external_id"), ["external_id"])


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_external_id"), type_="unique")
        batch_op.drop_column("external_id")
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_placements_organisation_id_external_id"), type_="unique"
        )
        batch_op.drop_column("external_id")
