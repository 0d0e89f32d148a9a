"""Keep how densely each district is settled (postcodes per occupied square kilometre), the
proxy for rural and urban on the insights pages; ``flask reference load`` fills it in.

Revision ID: a4e7c1d93b60
Revises: 5b2e8f1c9a47
Create Date: 2026-11-30 02:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a4e7c1d93b60"
down_revision = "5b2e8f1c9a47"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("local_authorities") as batch:
        batch.add_column(sa.Column("postcode_density", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("local_authorities") as batch:
        batch.drop_column("postcode_density")
