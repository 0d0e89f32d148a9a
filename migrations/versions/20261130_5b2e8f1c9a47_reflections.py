"""Reflections: what a secondee and their host say once a placement has ended.

Revision ID: 5b2e8f1c9a47
Revises: 7d4c9a08adf0
Create Date: 2026-11-30 02:05:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5b2e8f1c9a47"
down_revision = "7d4c9a08adf0"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reflections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interest_id", sa.Integer(), nullable=False),
        sa.Column(
            "side",
            sa.Enum(
                "secondee",
                "host",
                name="reflection_side",
                native_enum=False,
                create_constraint=True,
                length=8,
            ),
            nullable=False,
        ),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("learned", sa.Text(), nullable=True),
        sa.Column("informed", sa.Text(), nullable=True),
        sa.Column("recommend", sa.Boolean(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("may_quote", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version_id", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "rating IS NULL OR (rating >= 1 AND rating <= 5)",
            name=op.f("ck_reflections_rating_range"),
        ),
        sa.CheckConstraint(
            "submitted_at IS NULL OR (learned IS NOT NULL AND rating IS NOT NULL "
            "AND recommend IS NOT NULL)",
            name=op.f("ck_reflections_submitted_is_complete"),
        ),
        sa.CheckConstraint(
            "side = 'secondee' OR NOT may_quote", name=op.f("ck_reflections_only_secondees_quoted")
        ),
        sa.ForeignKeyConstraint(
            ["interest_id"],
            ["interests.id"],
            name=op.f("fk_reflections_interest_id_interests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_reflections_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["users.id"],
            name=op.f("fk_reflections_submitted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflections")),
        sa.UniqueConstraint("interest_id", "side", name=op.f("uq_reflections_interest_id_side")),
    )
    with op.batch_alter_table("reflections") as batch_op:
        batch_op.create_index(
            "ix_reflections_organisation_side", ["organisation_id", "side"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("reflections") as batch_op:
        batch_op.drop_index("ix_reflections_organisation_side")
    op.drop_table("reflections")
