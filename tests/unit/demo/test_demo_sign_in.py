"""Every demo account README's "Try it" section names signs in with the printed password."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from matcher.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo
from matcher.extensions import db
from matcher.models import User
from tests.web import sign_in

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_demo_accounts() -> list[str]:
    """The addresses README's "Try it" section tells people to sign in with."""
    text = README.read_text(encoding="utf-8")
    section = re.search(r"^## Try it\n(.*?)^## ", text, re.S | re.M)
    assert section, "README has no 'Try it' section"
    assert f"`{DEMO_PASSWORD}`" in section.group(1), "README prints another demo password"
    return re.findall(r"^- `([^`\s]+@[^`\s]+)`", section.group(1), re.M)


def test_readme_names_the_three_demo_roles() -> None:
    assert len(readme_demo_accounts()) == 3


def test_every_readme_demo_account_signs_in_through_the_form(site: Flask) -> None:
    seed_demo(db.session, people=3, placements=2, seed=1)
    db.session.commit()

    for email in readme_demo_accounts():
        client = site.test_client()
        response = sign_in(client, email, DEMO_PASSWORD)
        assert response.status_code == 302, f"{email} was refused"
        assert client.get("/account").status_code == 200, f"{email} is not signed in"


def test_every_demo_account_is_addressed_by_a_persons_name(site: Flask) -> None:
    # Pages and emails say "<name> at Leeds Council will get in touch": a role is not a name.
    seed_demo(db.session, people=0, placements=0, seed=1)
    db.session.commit()

    for account in DEMO_ACCOUNTS:
        name = db.session.scalar(select(User.display_name).where(User.email == account.email))
        assert re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", name or ""), name
