"""Allocation rounds: schemes and their managers, rounds, the places offered into them, their
participants, choices, organisations' rankings and unacceptable marks, results and confirmations.

Revision ID: 7a3c5e9d1b24
Revises: b5e2d8c1f3a9
Create Date: 2026-11-29 23:09:25.835413

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "7a3c5e9d1b24"
down_revision = "b5e2d8c1f3a9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schemes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_schemes_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_schemes_department_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schemes")),
        sa.UniqueConstraint("name", name=op.f("uq_schemes_name")),
    )
    with op.batch_alter_table("schemes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_schemes_department_id"), ["department_id"], unique=False
        )

    op.create_table(
        "allocation_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "collecting_places",
                "collecting_preferences",
                "allocating",
                "published",
                "closed",
                name="round_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("max_choices", sa.Integer(), nullable=False),
        sa.Column("preferences_close_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmations_close_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lottery_seed", sa.BigInteger(), nullable=False),
        sa.Column("parent_round_id", sa.Integer(), nullable=True),
        sa.Column("join_code_digest", sa.String(length=64), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version_id", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "state NOT IN ('published', 'closed') OR published_at IS NOT NULL",
            name=op.f("ck_allocation_rounds_published_has_timestamp"),
        ),
        sa.CheckConstraint(
            "confirmations_close_at IS NULL OR preferences_close_at IS NULL "
            "OR confirmations_close_at > preferences_close_at",
            name=op.f("ck_allocation_rounds_confirmations_after_preferences"),
        ),
        sa.CheckConstraint(
            "join_code_digest IS NULL OR length(join_code_digest) = 64",
            name=op.f("ck_allocation_rounds_join_code_digest_is_sha256_hex"),
        ),
        sa.CheckConstraint(
            "max_choices >= 1 AND max_choices <= 50",
            name=op.f("ck_allocation_rounds_max_choices_range"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_allocation_rounds_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_round_id"],
            ["allocation_rounds.id"],
            name=op.f("fk_allocation_rounds_parent_round_id_allocation_rounds"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"],
            ["schemes.id"],
            name=op.f("fk_allocation_rounds_scheme_id_schemes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_rounds")),
        sa.UniqueConstraint("join_code_digest", name=op.f("uq_allocation_rounds_join_code_digest")),
    )
    with op.batch_alter_table("allocation_rounds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_allocation_rounds_parent_round_id"), ["parent_round_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_allocation_rounds_scheme_id"), ["scheme_id"], unique=False
        )

    op.create_table(
        "scheme_managers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("appointed_by_id", sa.Integer(), nullable=True),
        sa.Column("appointed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointed_by_id"],
            ["users.id"],
            name=op.f("fk_scheme_managers_appointed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"],
            ["schemes.id"],
            name=op.f("fk_scheme_managers_scheme_id_schemes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_scheme_managers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheme_managers")),
        sa.UniqueConstraint(
            "scheme_id", "user_id", name=op.f("uq_scheme_managers_scheme_id_user_id")
        ),
    )
    with op.batch_alter_table("scheme_managers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scheme_managers_user_id"), ["user_id"], unique=False)

    op.create_table(
        "round_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("invited_email", sa.String(length=254), nullable=True),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version_id", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "(user_id IS NULL) = (joined_at IS NULL)",
            name=op.f("ck_round_participants_joined_has_user"),
        ),
        sa.CheckConstraint(
            "invited_email = lower(invited_email)",
            name=op.f("ck_round_participants_email_lowercase"),
        ),
        sa.CheckConstraint(
            "user_id IS NOT NULL OR invited_email IS NOT NULL",
            name=op.f("ck_round_participants_someone"),
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["users.id"],
            name=op.f("fk_round_participants_invited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["allocation_rounds.id"],
            name=op.f("fk_round_participants_round_id_allocation_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_round_participants_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_participants")),
        sa.UniqueConstraint(
            "round_id", "invited_email", name=op.f("uq_round_participants_round_id_invited_email")
        ),
        sa.UniqueConstraint(
            "round_id", "user_id", name=op.f("uq_round_participants_round_id_user_id")
        ),
    )
    with op.batch_alter_table("round_participants", schema=None) as batch_op:
        batch_op.create_index(
            "ix_round_participants_active",
            ["round_id", "id"],
            unique=False,
            sqlite_where=sa.text("withdrawn_at IS NULL AND user_id IS NOT NULL"),
            postgresql_where=sa.text("withdrawn_at IS NULL AND user_id IS NOT NULL"),
        )
        batch_op.create_index(
            batch_op.f("ix_round_participants_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "round_places",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column(
            "ranking_mode",
            sa.Enum(
                "engine_score",
                "own_order",
                name="ranking_mode",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("offered_by_id", sa.Integer(), nullable=True),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version_id", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("places >= 1", name=op.f("ck_round_places_places_positive")),
        sa.ForeignKeyConstraint(
            ["offered_by_id"],
            ["users.id"],
            name=op.f("fk_round_places_offered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placements.id"],
            name=op.f("fk_round_places_placement_id_placements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["allocation_rounds.id"],
            name=op.f("fk_round_places_round_id_allocation_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_places")),
        sa.UniqueConstraint(
            "round_id", "placement_id", name=op.f("uq_round_places_round_id_placement_id")
        ),
    )
    with op.batch_alter_table("round_places", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_round_places_placement_id"), ["placement_id"], unique=False
        )

    op.create_table(
        "allocation_results",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("round_place_id", sa.Integer(), nullable=True),
        sa.Column("choice_number", sa.Integer(), nullable=True),
        sa.Column("lottery_number", sa.BigInteger(), nullable=False),
        sa.Column(
            "explanation",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(round_place_id IS NULL) = (choice_number IS NULL)",
            name=op.f("ck_allocation_results_placed_has_choice"),
        ),
        sa.CheckConstraint(
            "choice_number IS NULL OR choice_number >= 1",
            name=op.f("ck_allocation_results_choice_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["round_participants.id"],
            name=op.f("fk_allocation_results_participant_id_round_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["allocation_rounds.id"],
            name=op.f("fk_allocation_results_round_id_allocation_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_place_id"],
            ["round_places.id"],
            name=op.f("fk_allocation_results_round_place_id_round_places"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", name=op.f("pk_allocation_results")),
    )
    with op.batch_alter_table("allocation_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_allocation_results_round_place", ["round_id", "round_place_id"], unique=False
        )

    op.create_table(
        "place_rankings",
        sa.Column("round_place_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("rank >= 1", name=op.f("ck_place_rankings_rank_positive")),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["round_participants.id"],
            name=op.f("fk_place_rankings_participant_id_round_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["allocation_rounds.id"],
            name=op.f("fk_place_rankings_round_id_allocation_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_place_id"],
            ["round_places.id"],
            name=op.f("fk_place_rankings_round_place_id_round_places"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("round_place_id", "participant_id", name=op.f("pk_place_rankings")),
    )
    with op.batch_alter_table("place_rankings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_place_rankings_participant_id"), ["participant_id"], unique=False
        )
        batch_op.create_index("ix_place_rankings_round", ["round_id"], unique=False)

    op.create_table(
        "round_preferences",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("round_place_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("rank >= 1", name=op.f("ck_round_preferences_rank_positive")),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["round_participants.id"],
            name=op.f("fk_round_preferences_participant_id_round_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["allocation_rounds.id"],
            name=op.f("fk_round_preferences_round_id_allocation_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_place_id"],
            ["round_places.id"],
            name=op.f("fk_round_preferences_round_place_id_round_places"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", "rank", name=op.f("pk_round_preferences")),
        sa.UniqueConstraint(
            "participant_id",
            "round_place_id",
            name=op.f("uq_round_preferences_participant_id_round_place_id"),
        ),
    )
    with op.batch_alter_table("round_preferences", schema=None) as batch_op:
        batch_op.create_index(
            "ix_round_preferences_round", ["round_id", "participant_id", "rank"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_round_preferences_round_place_id"), ["round_place_id"], unique=False
        )

    op.create_table(
        "unacceptable_marks",
        sa.Column("round_place_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("marked_by_id", sa.Integer(), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["marked_by_id"],
            ["users.id"],
            name=op.f("fk_unacceptable_marks_marked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["round_participants.id"],
            name=op.f("fk_unacceptable_marks_participant_id_round_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["allocation_rounds.id"],
            name=op.f("fk_unacceptable_marks_round_id_allocation_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_place_id"],
            ["round_places.id"],
            name=op.f("fk_unacceptable_marks_round_place_id_round_places"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "round_place_id", "participant_id", name=op.f("pk_unacceptable_marks")
        ),
    )
    with op.batch_alter_table("unacceptable_marks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unacceptable_marks_participant_id"), ["participant_id"], unique=False
        )
        batch_op.create_index("ix_unacceptable_marks_round", ["round_id"], unique=False)

    op.create_table(
        "allocation_confirmations",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column(
            "side",
            sa.Enum(
                "participant",
                "organisation",
                name="confirmation_side",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "decision",
            sa.Enum(
                "confirmed",
                "declined",
                name="confirmation_decision",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_allocation_confirmations_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["allocation_results.participant_id"],
            name=op.f("fk_allocation_confirmations_participant_id_allocation_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", "side", name=op.f("pk_allocation_confirmations")),
    )


def downgrade() -> None:
    op.drop_table("allocation_confirmations")
    with op.batch_alter_table("unacceptable_marks", schema=None) as batch_op:
        batch_op.drop_index("ix_unacceptable_marks_round")
        batch_op.drop_index(batch_op.f("ix_unacceptable_marks_participant_id"))

    op.drop_table("unacceptable_marks")
    with op.batch_alter_table("round_preferences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_preferences_round_place_id"))
        batch_op.drop_index("ix_round_preferences_round")

    op.drop_table("round_preferences")
    with op.batch_alter_table("place_rankings", schema=None) as batch_op:
        batch_op.drop_index("ix_place_rankings_round")
        batch_op.drop_index(batch_op.f("ix_place_rankings_participant_id"))

    op.drop_table("place_rankings")
    with op.batch_alter_table("allocation_results", schema=None) as batch_op:
        batch_op.drop_index("ix_allocation_results_round_place")

    op.drop_table("allocation_results")
    with op.batch_alter_table("round_places", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_places_placement_id"))

    op.drop_table("round_places")
    with op.batch_alter_table("round_participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_participants_user_id"))
        batch_op.drop_index(
            "ix_round_participants_active",
            sqlite_where=sa.text("withdrawn_at IS NULL AND user_id IS NOT NULL"),
            postgresql_where=sa.text("withdrawn_at IS NULL AND user_id IS NOT NULL"),
        )

    op.drop_table("round_participants")
    with op.batch_alter_table("scheme_managers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheme_managers_user_id"))

    op.drop_table("scheme_managers")
    with op.batch_alter_table("allocation_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocation_rounds_scheme_id"))
        batch_op.drop_index(batch_op.f("ix_allocation_rounds_parent_round_id"))

    op.drop_table("allocation_rounds")
    with op.batch_alter_table("schemes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schemes_department_id"))

    op.drop_table("schemes")
