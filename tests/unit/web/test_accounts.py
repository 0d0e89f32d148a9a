"""Account pages: registration, confirmation, sign-in limits, sessions, passwords and data."""

from __future__ import annotations

import json
import time

import pytest
from flask import Flask
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select, update

from matcher.extensions import db
from matcher.http.ratelimit import SIGN_IN_PER_ACCOUNT, SIGN_IN_PER_IP
from matcher.models import (
    AuditEntry,
    CivilServantProfile,
    InterestStatus,
    Membership,
    MembershipRole,
    Organisation,
    OutboxEvent,
    Role,
    User,
    VerificationStatus,
)
from matcher.security.passwords import hash_password
from matcher.security.tokens import CONFIRM_EMAIL, fingerprint
from matcher.services import accounts as accounts_service
from matcher.services import api_tokens, memberships
from tests import builders
from tests.unit.services.world import build_world, interest_in, open_placement
from tests.web import (
    PASSWORD,
    confirmed_user,
    deliver_outbox,
    delivered,
    error_summary,
    inline_errors,
    link_in,
    sign_in,
    submit,
)

NEW_RECRUIT = {
    "role": "civil_servant",
    "display_name": "Sam Recruit",
    "email": "Sam.Recruit@CabinetOffice.gov.uk",
    "password": PASSWORD,
}


def _users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def _settings(app: Flask):
    return app.config["MATCHER_SETTINGS"]


def test_a_recruit_registers_confirms_by_email_and_signs_in(site: Flask):
    client = site.test_client()

    response = submit(client, "/register", NEW_RECRUIT)

    assert response.status_code == 302
    assert response.headers["Location"] == "/register/check-your-email"
    user = db.session.scalar(select(User))
    assert user.email == "sam.recruit@cabinetoffice.gov.uk"
    assert user.role == Role.CIVIL_SERVANT
    assert user.email_confirmed_at is None
    assert user.password_hash.startswith("$argon2id$")

    unconfirmed = sign_in(client, "sam.recruit@cabinetoffice.gov.uk")
    assert unconfirmed.headers["Location"] == "/sign-in/confirm-your-email"
    assert "Send a new link" in client.get("/sign-in/confirm-your-email").get_data(as_text=True)
    assert client.get("/account").status_code == 302

    deliver_outbox()
    [message] = delivered(_settings(site), "sam.recruit@cabinetoffice.gov.uk")
    assert message["Subject"] == "Confirm your email address"
    confirm = client.get(link_in(message, _settings(site).base_url))
    assert confirm.status_code == 200
    assert "Email address confirmed" in confirm.get_data(as_text=True)

    signed_in = sign_in(client, "sam.recruit@cabinetoffice.gov.uk")
    assert signed_in.headers["Location"] == "/profile"
    assert client.get("/account").status_code == 200


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"role": ""}, "Select where you work"),
        ({"role": "administrator"}, "Select where you work"),
        ({"display_name": "  "}, "Enter your full name"),
        ({"display_name": "x" * 121}, "Full name must be 120 characters or fewer"),
        ({"email": ""}, "Enter your email address"),
        (
            {"email": "not-an-address"},
            "Enter an email address in the correct format, like name@example.gov.uk",
        ),
        (
            {"email": "sam@gmail.com"},
            "Enter a government email address, like name@department.gov.uk",
        ),
        (
            {"email": "sam@notgov.uk"},
            "Enter a government email address, like name@department.gov.uk",
        ),
        ({"password": ""}, "Enter a password"),
        ({"password": "short one"}, "Password must be 12 characters or more"),
        ({"password": "password1234"}, "Password is too easy to guess."),
        (
            {"password": "sam.recruit-is-my-password"},
            "Password must not contain your email address",
        ),
        (
            {"role": "organisation_member", "email": "someone@nowhere.example.org"},
            "Enter the email address you use at work.",
        ),
    ],
)
def test_registration_refuses_each_bad_answer(site: Flask, changes: dict, message: str):
    response = submit(site.test_client(), "/register", {**NEW_RECRUIT, **changes})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<title>Error: Create an account" in html
    assert error_summary(html)[0].startswith(message)
    assert inline_errors(html)[0].startswith(message)
    assert _users() == 0


def test_the_government_domain_allow_list_is_a_setting(tmp_path, reference_template):
    from tests.web import web_app

    app = web_app(tmp_path, reference_template, GOVERNMENT_EMAIL_DOMAINS="example.org")
    with app.app_context():
        client = app.test_client()
        refused = submit(client, "/register", NEW_RECRUIT)
        accepted = submit(client, "/register", {**NEW_RECRUIT, "email": "sam@team.example.org"})

        assert refused.status_code == 422
        assert accepted.status_code == 302
        assert db.session.scalar(select(User.email)) == "sam@team.example.org"
        db.engine.dispose()


def _register_and_confirm(site: Flask, email: str) -> tuple[User, str]:
    """Register an organisation member through the pages and follow the emailed link."""
    client = site.test_client()
    fields = {**NEW_RECRUIT, "role": "organisation_member", "email": email}
    assert submit(client, "/register", fields).status_code == 302
    user = db.session.scalar(select(User).where(User.email == email))
    assert db.session.scalars(select(Membership).where(Membership.user_id == user.id)).all() == []
    deliver_outbox()
    [message] = delivered(_settings(site), email)
    page = client.get(link_in(message, _settings(site).base_url)).get_data(as_text=True)
    db.session.expire_all()
    return user, page


def test_an_organisation_member_joins_the_organisation_of_their_domain_once_confirmed(
    site: Flask,
):
    leeds = db.session.scalar(
        select(Organisation).where(Organisation.email_domain == "leeds.gov.uk")
    )
    assert leeds.status == VerificationStatus.VERIFIED

    first, page = _register_and_confirm(site, "officer@leeds.gov.uk")
    [membership] = db.session.scalars(select(Membership)).all()
    assert (membership.user_id, membership.organisation_id) == (first.id, leeds.id)
    assert membership.role == MembershipRole.ADMIN
    assert "so you are its administrator" in page

    second, page = _register_and_confirm(site, "analyst@leeds.gov.uk")
    assert db.session.scalars(select(Membership).where(Membership.user_id == second.id)).all() == []
    assert "We\u2019ve asked the administrators of Leeds Council to let you join" in page
    deliver_outbox()
    subjects = [m["Subject"] for m in delivered(_settings(site), "officer@leeds.gov.uk")]
    assert subjects[-1] == "Sam Recruit has asked to join Leeds Council"


def test_a_form_without_its_csrf_token_is_refused(site: Flask):
    client = site.test_client()

    response = client.post("/register", data=NEW_RECRUIT)

    assert response.status_code == 400
    assert "Sorry, we could not send your answers" in response.get_data(as_text=True)
    assert _users() == 0
    user = confirmed_user()
    sign_in(client, user.email)
    assert client.post("/sign-out").status_code == 400
    assert client.get("/account").status_code == 200


def test_a_double_submitted_registration_creates_one_account_and_one_email(site: Flask):
    client = site.test_client()
    html = client.get("/register").get_data(as_text=True)
    from tests.web import csrf_token

    token = csrf_token(html)
    submission = html.split('name="submission" value="')[1].split('"')[0]
    data = {**NEW_RECRUIT, "csrf_token": token, "submission": submission}

    first = client.post("/register", data=data)
    second = client.post("/register", data=data)

    assert first.headers["Location"] == second.headers["Location"] == "/register/check-your-email"
    assert _users() == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxEvent)) == 1


def test_registering_a_taken_address_looks_the_same_and_emails_its_owner(site: Flask):
    owner = confirmed_user(email="sam.recruit@cabinetoffice.gov.uk")

    response = submit(site.test_client(), "/register", NEW_RECRUIT)

    assert response.headers["Location"] == "/register/check-your-email"
    assert _users() == 1
    deliver_outbox()
    [message] = delivered(_settings(site), owner.email)
    assert message["Subject"] == "You already have an account"


def _old_token(app: Flask, payload: dict, age_seconds: int) -> str:
    class OldSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age_seconds

    return URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt=CONFIRM_EMAIL, signer=OldSigner
    ).dumps(payload)


def test_confirmation_links_refuse_tampering_and_expire(site: Flask):
    submit(site.test_client(), "/register", NEW_RECRUIT)
    user = db.session.scalar(select(User))
    payload = {"u": user.id, "e": fingerprint(site.config["SECRET_KEY"], user.email)}
    client = site.test_client()

    fresh = _old_token(site, payload, 60)
    tampered = fresh[:-3] + ("aaa" if not fresh.endswith("aaa") else "bbb")
    forged = _old_token(site, {**payload, "u": user.id + 1}, 60)[:-5] + fresh[-5:]
    expired = _old_token(site, payload, 4 * 24 * 3600)

    for token in (tampered, forged):
        response = client.get(f"/confirm-email/{token}")
        assert response.status_code == 400
        assert "This link does not work" in response.get_data(as_text=True)
    response = client.get(f"/confirm-email/{expired}")
    assert response.status_code == 400
    assert "This link has expired" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).email_confirmed_at is None

    assert client.get(f"/confirm-email/{fresh}").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).email_confirmed_at is not None


def test_password_reset_answers_the_same_and_its_link_works_once(site: Flask):
    user = confirmed_user()
    client = site.test_client()

    unknown = submit(client, "/reset-password", {"email": "nobody@cabinetoffice.gov.uk"})
    known = submit(client, "/reset-password", {"email": user.email})

    assert unknown.status_code == known.status_code == 302
    assert unknown.headers["Location"] == known.headers["Location"]
    deliver_outbox()
    [message] = delivered(_settings(site), user.email)
    link = link_in(message, _settings(site).base_url)
    assert client.get(link).status_code == 200

    mismatch = submit(client, link, {"password": "a new long passphrase", "confirm": "different"})
    assert mismatch.status_code == 422
    assert error_summary(mismatch.get_data(as_text=True)) == [
        "Enter the same password in both boxes"
    ]
    done = submit(
        client, link, {"password": "a new long passphrase", "confirm": "a new long passphrase"}
    )
    assert done.headers["Location"] == "/sign-in"
    assert sign_in(client, user.email, "a new long passphrase").status_code == 302
    assert client.get(link).status_code == 400


def test_sign_in_is_rate_limited_per_account_even_for_the_right_password(site: Flask):
    user = confirmed_user()
    client = site.test_client()

    for _ in range(5):
        failed = sign_in(client, user.email, "wrong password!!")
        assert failed.status_code == 422
        assert error_summary(failed.get_data(as_text=True)) == [
            "Enter the email address and password you used when you registered"
        ]
    blocked = sign_in(client, user.email)

    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "You have tried too many times" in blocked.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_sign_in_is_rate_limited_per_ip_address(site: Flask):
    site.config[SIGN_IN_PER_IP] = "3 per 15 minutes"
    client = site.test_client()

    statuses = [
        sign_in(client, f"person{n}@cabinetoffice.gov.uk", "wrong password!!").status_code
        for n in range(4)
    ]

    assert statuses == [422, 422, 422, 429]


def test_signing_in_starts_a_new_session(site: Flask):
    user = confirmed_user()
    client = site.test_client()
    before = client.get("/sign-in").get_data(as_text=True)
    from tests.web import csrf_token

    old_token = csrf_token(before)
    old_cookie = client.get_cookie("session").value

    sign_in(client, user.email)

    assert client.get_cookie("session").value != old_cookie
    # Anything tied to the session from before signing in (here its CSRF token) is void.
    assert client.post("/sign-out", data={"csrf_token": old_token}).status_code == 400
    set_cookie = sign_in(site.test_client(), user.email).headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie
    assert "SameSite=Lax" in set_cookie


def test_changing_the_password_signs_out_other_sessions(site: Flask):
    user = confirmed_user()
    here, elsewhere = site.test_client(), site.test_client()
    sign_in(here, user.email)
    sign_in(elsewhere, user.email)

    changed = submit(
        here,
        "/account/password",
        {"current_password": PASSWORD, "new_password": "another long passphrase"},
    )

    assert changed.headers["Location"] == "/account"
    assert here.get("/account").status_code == 200
    assert elsewhere.get("/account").headers["Location"].startswith("/sign-in")


def test_changing_the_password_needs_the_current_one(site: Flask):
    user = confirmed_user()
    client = site.test_client()
    sign_in(client, user.email)

    response = submit(
        client,
        "/account/password",
        {"current_password": "not my password", "new_password": "another long passphrase"},
    )

    assert response.status_code == 422
    assert error_summary(response.get_data(as_text=True)) == ["Your current password is not right"]


def test_sign_out_ends_the_session(site: Flask):
    user = confirmed_user()
    client = site.test_client()
    sign_in(client, user.email)

    response = submit(client, "/sign-out", {}, page="/account")

    assert response.headers["Location"] == "/"
    assert client.get("/account").status_code == 302


def test_changing_the_email_address_is_confirmed_by_a_link(site: Flask):
    user = confirmed_user()
    client = site.test_client()
    sign_in(client, user.email)

    refused = submit(client, "/account/email", {"email": "me@gmail.com", "password": PASSWORD})
    asked = submit(
        client, "/account/email", {"email": "new.me@homeoffice.gov.uk", "password": PASSWORD}
    )

    assert refused.status_code == 422
    assert asked.headers["Location"] == "/account"
    waiting = json.loads(client.get("/account/data").get_data(as_text=True))["account"]
    assert waiting["new_email_waiting_for_confirmation"] == "new.me@homeoffice.gov.uk"
    deliver_outbox()
    [message] = delivered(_settings(site), "new.me@homeoffice.gov.uk")
    link = link_in(message, _settings(site).base_url)
    assert client.get(link).headers["Location"] == "/account"
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "new.me@homeoffice.gov.uk"
    assert client.get(link).status_code == 400


def test_deleting_the_account_removes_everything_and_audits_without_personal_data(site: Flask):
    user = confirmed_user()
    db.session.add(CivilServantProfile(user_id=user.id))
    db.session.commit()
    user_id = user.id
    client = site.test_client()
    sign_in(client, user.email)
    assert "Are you sure" in client.get("/account/delete").get_data(as_text=True)

    response = submit(client, "/account/delete", {})

    assert response.headers["Location"] == "/account/deleted"
    assert db.session.get(User, user_id) is None
    assert db.session.get(CivilServantProfile, user_id) is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.deleted"))
    assert (entry.object_type, entry.object_id, entry.actor_id) == ("user", str(user_id), None)
    assert "@" not in json.dumps(entry.details)
    assert client.get("/account").status_code == 302


def test_download_my_data_is_a_json_attachment_of_only_my_data(site: Flask):
    me = confirmed_user(display_name="Me Myself")
    someone_else = confirmed_user(display_name="Somebody Else")
    client = site.test_client()
    sign_in(client, me.email)

    response = client.get("/account/data")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == me.email
    assert data["profile"] is None
    assert set(data) >= {"account", "profile", "memberships", "interests", "matches"}
    assert someone_else.email not in response.get_data(as_text=True)


def test_pages_behind_sign_in_send_visitors_to_sign_in_and_back(site: Flask):
    client = site.test_client()

    for path in ("/account", "/account/data", "/account/delete", "/profile", "/profile/grade"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in?next=")

    user = confirmed_user()
    response = submit(client, "/sign-in?next=/account", {"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/account"


def test_sign_in_never_redirects_off_site(site: Flask):
    user = confirmed_user()

    response = submit(
        site.test_client(),
        "/sign-in?next=//evil.example/",
        {"email": user.email, "password": PASSWORD},
    )

    assert response.headers["Location"] == "/profile"


def _from(site: Flask, address: str):
    """A browser at another IP address (from the documentation range, RFC 5737)."""
    client = site.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_failures_from_one_source_do_not_lock_the_owner_out_from_another(site: Flask):
    user = confirmed_user()
    attacker, owner = _from(site, "192.0.2.66"), _from(site, "198.51.100.7")
    for _ in range(5):
        assert sign_in(attacker, user.email, "wrong password!!").status_code == 422

    assert sign_in(attacker, user.email).status_code == 429
    assert sign_in(owner, user.email).status_code == 302


def test_guesses_from_many_sources_leave_each_source_one_try_and_the_owner_theirs(site: Flask):
    site.config[SIGN_IN_PER_ACCOUNT] = "6 per hour"
    user = confirmed_user()
    for host in range(1, 4):
        guesser = _from(site, f"203.0.113.{host}")
        for _ in range(2):
            assert sign_in(guesser, user.email, "wrong password!!").status_code == 422

    returning = _from(site, "203.0.113.1")
    fresh = _from(site, "203.0.113.99")
    owner = _from(site, "198.51.100.7")

    assert sign_in(returning, user.email, "wrong password!!").status_code == 429
    assert sign_in(fresh, user.email, "wrong password!!").status_code == 422
    assert sign_in(fresh, user.email, "wrong password!!").status_code == 429
    assert sign_in(owner, user.email).status_code == 302


def _signed_in_as(site: Flask, user_id: int):
    db.session.execute(
        update(User)
        .where(User.id == user_id)
        .values(password_hash=hash_password(PASSWORD), email_confirmed_at=func.now())
    )
    db.session.commit()
    client = site.test_client()
    sign_in(client, db.session.get(User, user_id).email)
    return client


def test_download_my_data_has_interest_history_tokens_and_sign_ins(site: Flask):
    world = build_world(db.session)
    placement = open_placement(db.session, world)
    interest = interest_in(db.session, world, placement, InterestStatus.OFFERED)
    _, secret = api_tokens.create_token(db.session, world.person.id, "My HR sync")
    client = _signed_in_as(site, world.person.id)

    text = client.get("/account/data").get_data(as_text=True)
    data = json.loads(text)

    assert [t["name"] for t in data["api_tokens"]] == ["My HR sync"]
    assert data["account"]["new_email_waiting_for_confirmation"] is None
    assert secret not in text
    [followed] = [i for i in data["interests"] if i["placement_id"] == interest.placement_id]
    assert [step["status"] for step in followed["history"]] == [
        "interested",
        "shortlisted",
        "offered",
    ]
    assert {step["by"] for step in followed["history"]} == {"you", "the organisation"}
    assert len(data["sign_ins"]) == 1
    assert world.member_a.email not in text and world.member_a.display_name not in text


def test_download_my_data_has_join_requests_and_membership_invitations(site: Flask):
    world = build_world(db.session)
    newcomer = builders.user(
        db.session, role=Role.ORGANISATION_MEMBER, email="new@b-police.example.gov.uk"
    )
    memberships.request_to_join(db.session, newcomer.id, world.org_b.id, "I lead a team.")
    memberships.invite_member(db.session, world.admin_a.id, world.org_a.id, newcomer.email)
    client = _signed_in_as(site, newcomer.id)

    data = json.loads(client.get("/account/data").get_data(as_text=True))

    assert [(r["message"], r["status"]) for r in data["join_requests"]] == [
        ("I lead a team.", "pending")
    ]
    assert [i["role"] for i in data["membership_invitations"]] == ["member"]


def test_registering_the_same_address_again_and_again_is_rate_limited(site: Flask):
    user = confirmed_user(email="taken@cabinetoffice.gov.uk")
    client = site.test_client()
    again = {**NEW_RECRUIT, "email": user.email}

    statuses = [submit(client, "/register", again).status_code for _ in range(6)]
    deliver_outbox()

    assert statuses == [302] * 5 + [429]
    assert len(delivered(_settings(site), user.email)) == 5


def test_registering_does_the_same_work_for_a_taken_address(site: Flask, monkeypatch):
    """Without a hash for a taken address, its faster answer tells that it has an account."""
    hashed: list[str] = []
    real = accounts_service.hash_password
    monkeypatch.setattr(
        accounts_service,
        "hash_password",
        lambda password: hashed.append(password) or real(password),
    )
    taken = confirmed_user(email="taken@cabinetoffice.gov.uk")

    submit(site.test_client(), "/register", {**NEW_RECRUIT, "email": "fresh@cabinetoffice.gov.uk"})
    submit(site.test_client(), "/register", {**NEW_RECRUIT, "email": taken.email})

    assert hashed == [PASSWORD, PASSWORD]


def test_an_address_in_another_unicode_form_is_the_same_account(site: Flask):
    composed, decomposed = "jos\u00e9@cabinetoffice.gov.uk", "jose\u0301@cabinetoffice.gov.uk"

    submit(site.test_client(), "/register", {**NEW_RECRUIT, "email": composed})
    submit(site.test_client(), "/register", {**NEW_RECRUIT, "email": decomposed})

    assert db.session.scalars(select(User.email)).all() == [composed]
    db.session.execute(update(User).values(email_confirmed_at=func.now()))
    db.session.commit()
    assert sign_in(site.test_client(), decomposed).status_code == 302
