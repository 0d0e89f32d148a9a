"""Practice notes organisations publish, and the themes civil servants follow for them.

Revision ID: 7d4c9a08adf0
Revises: 3f7a9c2e5b1d
Create Date: 2026-11-30 01:40:12.351046

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "7d4c9a08adf0"
down_revision = "3f7a9c2e5b1d"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "theme_follows",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["themes.id"],
            name=op.f("fk_theme_follows_theme_id_themes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_theme_follows_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "theme_id", name=op.f("pk_theme_follows")),
    )
    with op.batch_alter_table("theme_follows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_theme_follows_theme_id"), ["theme_id"], unique=False)

    op.create_table(
        "practice_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("what_changed", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column(
            "evidence_links",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("region_code", sa.String(length=9), nullable=True),
        sa.Column("contact_user_id", sa.Integer(), nullable=True),
        sa.Column("contact_name", sa.String(length=120), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                "withdrawn",
                "unpublished",
                name="status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("unpublished_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version_id", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "status = 'draft' OR published_at IS NOT NULL",
            name=op.f("ck_practice_notes_published_has_timestamp"),
        ),
        sa.ForeignKeyConstraint(
            ["contact_user_id"],
            ["users.id"],
            name=op.f("fk_practice_notes_contact_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_practice_notes_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_practice_notes_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_practice_notes_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_notes")),
    )
    with op.batch_alter_table("practice_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_notes_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_practice_notes_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(
            "ix_practice_notes_status_published_at", ["status", "published_at"], unique=False
        )

    op.create_table(
        "practice_note_placements",
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["practice_notes.id"],
            name=op.f("fk_practice_note_placements_note_id_practice_notes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placements.id"],
            name=op.f("fk_practice_note_placements_placement_id_placements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "note_id", "placement_id", name=op.f("pk_practice_note_placements")
        ),
    )
    with op.batch_alter_table("practice_note_placements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_note_placements_placement_id"), ["placement_id"], unique=False
        )

    op.create_table(
        "practice_note_themes",
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["practice_notes.id"],
            name=op.f("fk_practice_note_themes_note_id_practice_notes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["themes.id"],
            name=op.f("fk_practice_note_themes_theme_id_themes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("note_id", "theme_id", name=op.f("pk_practice_note_themes")),
    )
    with op.batch_alter_table("practice_note_themes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_note_themes_theme_id"), ["theme_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("practice_note_themes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_note_themes_theme_id"))

    op.drop_table("practice_note_themes")
    with op.batch_alter_table("practice_note_placements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_note_placements_placement_id"))

    op.drop_table("practice_note_placements")
    with op.batch_alter_table("practice_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_practice_notes_status_published_at")
        batch_op.drop_index(batch_op.f("ix_practice_notes_region_code"))
        batch_op.drop_index(batch_op.f("ix_practice_notes_organisation_id"))

    op.drop_table("practice_notes")
    with op.batch_alter_table("theme_follows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_theme_follows_theme_id"))

    op.drop_table("theme_follows")
