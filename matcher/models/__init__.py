"""The domain model; importing this package registers every table on ``Base.metadata``."""

from matcher.models.allocation import (
    AllocationResult,
    AllocationRound,
    Confirmation,
    ConfirmationDecision,
    ConfirmationSide,
    PlaceRanking,
    RankingMode,
    RoundParticipant,
    RoundPlace,
    RoundPreference,
    RoundState,
    Scheme,
    SchemeManager,
    UnacceptableMark,
)
from matcher.models.api_tokens import ApiToken
from matcher.models.audit import AuditEntry
from matcher.models.base import Base, utcnow
from matcher.models.drafts import FormDraft
from matcher.models.feedback import Feedback
from matcher.models.insights import InsightsSnapshot
from matcher.models.invitations import InterestInvitation, Invitation
from matcher.models.mail import (
    DeliveryStatus,
    DigestDelivery,
    DigestKind,
    ErrorKind,
    NotificationDelivery,
    SuppressedAddress,
    SuppressionReason,
)
from matcher.models.match_runs import MatchRun, MatchRunChunk, MatchRunStatus, StagedMatch
from matcher.models.matching import (
    ACTIVE_INTEREST_STATUSES,
    Dismissal,
    Interest,
    InterestStatus,
    InterestTransition,
    Match,
)
from matcher.models.organisations import (
    JoinRequest,
    JoinRequestStatus,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    VerificationStatus,
)
from matcher.models.outbox import OutboxEvent
from matcher.models.placements import Placement, PlacementStatus
from matcher.models.practice_notes import PracticeNote, PracticeNoteStatus
from matcher.models.reference import (
    Department,
    Grade,
    LocalAuthority,
    Profession,
    Region,
    Skill,
    Theme,
)
from matcher.models.reflections import Reflection, ReflectionSide
from matcher.models.sessions import EndedSession
from matcher.models.users import (
    CivilServantProfile,
    DigestFrequency,
    Hours,
    PlacementKind,
    Role,
    User,
    WantedKind,
)

__all__ = [
    "ACTIVE_INTEREST_STATUSES",
    "AllocationResult",
    "AllocationRound",
    "ApiToken",
    "AuditEntry",
    "Base",
    "CivilServantProfile",
    "Confirmation",
    "ConfirmationDecision",
    "ConfirmationSide",
    "DeliveryStatus",
    "Department",
    "DigestDelivery",
    "DigestFrequency",
    "DigestKind",
    "Dismissal",
    "EndedSession",
    "ErrorKind",
    "Feedback",
    "FormDraft",
    "Grade",
    "Hours",
    "InsightsSnapshot",
    "Interest",
    "InterestInvitation",
    "InterestStatus",
    "InterestTransition",
    "Invitation",
    "JoinRequest",
    "JoinRequestStatus",
    "LocalAuthority",
    "Match",
    "MatchRun",
    "MatchRunChunk",
    "MatchRunStatus",
    "Membership",
    "MembershipRole",
    "NotificationDelivery",
    "Organisation",
    "OrganisationKind",
    "OutboxEvent",
    "PlaceRanking",
    "Placement",
    "PlacementKind",
    "PlacementStatus",
    "PracticeNote",
    "PracticeNoteStatus",
    "Profession",
    "RankingMode",
    "Reflection",
    "ReflectionSide",
    "Region",
    "Role",
    "RoundParticipant",
    "RoundPlace",
    "RoundPreference",
    "RoundState",
    "Scheme",
    "SchemeManager",
    "Skill",
    "StagedMatch",
    "SuppressedAddress",
    "SuppressionReason",
    "Theme",
    "UnacceptableMark",
    "User",
    "VerificationStatus",
    "WantedKind",
    "utcnow",
]
