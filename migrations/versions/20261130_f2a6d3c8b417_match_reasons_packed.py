"""Store matches' reasons (and a rebuild's staged ones) packed in a binary column instead of
JSON text: a full rebuild COPYs a million and more of them, and formatting their JSON, then the
server's parsing it, were most of the rebuild's CPU (#14 §4). The column type
(``matcher.models.packed_reasons``) reads them back as the same lists; existing rows are
converted, both ways, a batch at a time.

The conversion uses the application's packing, which writes the current format; a packed
value carries its format's version, so a later format can still read these.

Revision ID: f2a6d3c8b417
Revises: b8d2f4a61c37
Create Date: 2026-11-30 05:10:00

"""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from matcher.models.packed_reasons import pack_reason_list, unpack_reasons

# revision identifiers, used by Alembic.
revision = "f2a6d3c8b417"
down_revision = "b8d2f4a61c37"
branch_labels = None
depends_on = None

TABLES = {
    "matches": ("person_id", "placement_id"),
    "match_run_rows": ("run_id", "person_id", "placement_id"),
}
BATCH = 10_000


def _convert(
    table: str, keys: tuple[str, ...], old: Any, new: Any, change: Callable[[Any], Any]
) -> None:
    """Replace ``table``'s reasons column of type ``old`` by one of type ``new``, row by row."""
    op.add_column(table, sa.Column("reasons_converted", new, nullable=True))
    rows = sa.table(
        table,
        *(sa.column(key, sa.Integer()) for key in keys),
        sa.column("reasons", old),
        sa.column("reasons_converted", new),
    )
    key_columns = [rows.c[key] for key in keys]
    bind = op.get_bind()
    after: tuple[int, ...] | None = None
    while True:
        query = sa.select(*key_columns, rows.c.reasons).order_by(*key_columns).limit(BATCH)
        if after is not None:
            query = query.where(sa.tuple_(*key_columns) > sa.tuple_(*after))
        batch = bind.execute(query).all()
        if not batch:
            break
        bind.execute(
            rows.update()
            .where(*(column == sa.bindparam(f"key_{column.name}") for column in key_columns))
            .values(reasons_converted=sa.bindparam("converted")),
            [
                {
                    **{f"key_{key}": value for key, value in zip(keys, row[:-1], strict=True)},
                    "converted": change(row[-1]),
                }
                for row in batch
            ],
        )
        after = tuple(batch[-1][:-1])
    with op.batch_alter_table(table) as batch_op:
        batch_op.drop_column("reasons")
        batch_op.alter_column(
            "reasons_converted", new_column_name="reasons", existing_type=new, nullable=False
        )


def upgrade() -> None:
    for table, keys in TABLES.items():
        _convert(table, keys, sa.JSON(), sa.LargeBinary(), pack_reason_list)


def downgrade() -> None:
    for table, keys in TABLES.items():
        _convert(
            table, keys, sa.LargeBinary(), sa.JSON(), lambda packed: unpack_reasons(bytes(packed))
        )
