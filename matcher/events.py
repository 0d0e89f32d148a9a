"""Names of the outbox events, each also the name of the Celery task that handles it."""

ORGANISATION_VERIFIED = "notifications.organisation_verified"

# Matching: the engine re-scores what changed (the tasks belong to the matching work).
PLACEMENT_CHANGED = "matching.placement_changed"
PERSON_CHANGED = "matching.person_changed"

# Interest workflow and membership emails (workers.interest_notifications).
INTEREST_CHANGED = "notifications.interest_changed"
INTEREST_INVITATION_SENT = "notifications.interest_invitation_sent"
MEMBERSHIP_INVITATION_SENT = "notifications.membership_invitation_sent"
