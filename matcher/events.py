"""Names of the outbox events, each also the name of the Celery task that handles it."""

ORGANISATION_VERIFIED = "notifications.organisation_verified"

# Matching: the engine re-scores what changed (the tasks belong to the matching work).
PLACEMENT_CHANGED = "matching.placement_changed"
PERSON_CHANGED = "matching.person_changed"

# Interest workflow and membership emails (matcher.notifications.messages).
INTEREST_CHANGED = "notifications.interest_changed"
INTEREST_INVITATION_SENT = "notifications.interest_invitation_sent"
MEMBERSHIP_INVITATION_SENT = "notifications.membership_invitation_sent"

# Account emails (matcher.notifications.messages): links are signed when the message is planned.
CONFIRMATION_EMAIL_REQUESTED = "accounts.confirmation_email"
ACCOUNT_EXISTS_EMAIL_REQUESTED = "accounts.account_exists_email"
PASSWORD_RESET_EMAIL_REQUESTED = "accounts.password_reset_email"
EMAIL_CHANGE_EMAIL_REQUESTED = "accounts.email_change_email"

# Join requests (matcher.notifications.messages, with the other membership emails): the
# organisation's administrators hear of a new request, the requester of the decision.
JOIN_REQUEST_RECEIVED = "notifications.join_request_received"
JOIN_REQUEST_DECIDED = "notifications.join_request_decided"

# Allocation rounds: the job that allocates a round, and the emails when its results are
# published (one event per recipient group: every participant, every organisation's members).
ROUND_ALLOCATION_REQUESTED = "allocation.allocate_round"
ROUND_RESULTS_TO_PARTICIPANTS = "notifications.round_results_to_participants"
ROUND_RESULTS_TO_ORGANISATIONS = "notifications.round_results_to_organisations"
# Each address a round's manager invites is sent the link that lets it join the round.
ROUND_INVITATION_SENT = "notifications.round_invitation_sent"

# Reflections on completed placements: each side is asked once when the placement ends, and
# reminded once (matcher.services.reflections).
REFLECTION_REQUESTED = "notifications.reflection_requested"
REFLECTION_REMINDER = "notifications.reflection_reminder"
