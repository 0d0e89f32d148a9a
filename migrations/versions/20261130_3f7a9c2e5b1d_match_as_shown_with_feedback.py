"""Keep the stored match (score, reasons, engine version) with each interest transition and
"not for me", so that what people do can be learned from what the engine showed them.

Revision ID: 3f7a9c2e5b1d
Revises: 7a3c5e9d1b24
Create Date: 2026-11-30 00:05:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "3f7a9c2e5b1d"
down_revision = "7a3c5e9d1b24"
branch_labels = None
depends_on = None

TABLES = ("interest_transitions", "dismissals")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("match_score", sa.Float(), nullable=True))
            batch.add_column(
                sa.Column(
                    "match_reasons",
                    sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                    nullable=True,
                )
            )
            batch.add_column(sa.Column("match_engine_version", sa.String(length=40), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("match_engine_version")
            batch.drop_column("match_reasons")
            batch.drop_column("match_score")
