"""Store matches' reasons (and a rebuild's staged ones) as json rather than jsonb on PostgreSQL:
they are written a million at a time by COPY and only ever read whole, and decomposing each
into jsonb was most of the COPY's cost in a full rebuild (#14 §4). SQLite keeps JSON text.

Revision ID: e1c4b7a2d905
Revises: c3d81f5e2a90
Create Date: 2026-11-30 02:10:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "e1c4b7a2d905"
down_revision = "c3d81f5e2a90"
branch_labels = None
depends_on = None

TABLES = ("matches", "match_run_rows")


def _retype(to: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN reasons TYPE {to} USING reasons::{to}")


def upgrade() -> None:
    _retype("json")


def downgrade() -> None:
    _retype("jsonb")
