"""Store allocation results' explanations as json rather than jsonb on PostgreSQL: a round's
results are written tens of thousands at a time by COPY and each is only ever read whole, and
decomposing them into jsonb was a fifth of the COPY's server cost (#15). SQLite keeps JSON text.

Revision ID: a75fe13f3d1c
Revises: f2a6d3c8b417
Create Date: 2026-11-30 05:50:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "a75fe13f3d1c"
down_revision = "f2a6d3c8b417"
branch_labels = None
depends_on = None


def _retype(to: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"ALTER TABLE allocation_results ALTER COLUMN explanation TYPE {to} USING explanation::{to}"
    )


def upgrade() -> None:
    _retype("json")


def downgrade() -> None:
    _retype("jsonb")
