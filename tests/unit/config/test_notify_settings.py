"""MAIL_BACKEND=notify needs a well-formed API key and a template for every kind of email."""

from __future__ import annotations

import uuid

import pytest

from config import MAIL_KINDS, NOTIFY_DEFAULT_BASE_URL, ConfigError, load_settings
from tests.notify import API_KEY, SECRET
from tests.unit.config.test_settings import PRODUCTION

TEMPLATES = {
    f"NOTIFY_TEMPLATE_{kind.upper()}": str(uuid.uuid5(uuid.NAMESPACE_URL, kind))
    for kind in MAIL_KINDS
}
NOTIFY = {"MAIL_BACKEND": "notify", "NOTIFY_API_KEY": API_KEY, **TEMPLATES}


def test_a_complete_notify_configuration_names_a_template_for_every_kind():
    settings = load_settings({**PRODUCTION, **NOTIFY})

    assert settings.mail_backend == "notify"
    assert settings.notify_base_url == NOTIFY_DEFAULT_BASE_URL
    assert dict(settings.notify_template_ids) == {
        kind: TEMPLATES[f"NOTIFY_TEMPLATE_{kind.upper()}"] for kind in MAIL_KINDS
    }
    assert SECRET not in repr(settings)


@pytest.mark.parametrize("missing", ["NOTIFY_API_KEY", "NOTIFY_TEMPLATE_DIGEST"])
def test_notify_refuses_to_start_without_its_key_or_a_template(missing: str):
    environ = {key: value for key, value in {**PRODUCTION, **NOTIFY}.items() if key != missing}

    with pytest.raises(ConfigError, match=f"^{missing} must be set when MAIL_BACKEND=notify"):
        load_settings(environ)


@pytest.mark.parametrize(
    "key",
    [
        SECRET,
        f"matcher_test-{'x' * 36}-{SECRET}",
        API_KEY[:-1],
        API_KEY.replace("-", "_"),
    ],
)
def test_a_malformed_key_is_refused_without_quoting_it(key: str):
    with pytest.raises(ConfigError) as raised:
        load_settings({**PRODUCTION, **NOTIFY, "NOTIFY_API_KEY": key})

    assert str(raised.value).startswith("NOTIFY_API_KEY must be a key copied from GOV.UK Notify")
    assert SECRET[:8] not in str(raised.value)


def test_a_template_id_that_is_no_uuid_names_its_variable():
    with pytest.raises(ConfigError, match=r"^NOTIFY_TEMPLATE_PASSWORD_RESET must be a Notify"):
        load_settings({**PRODUCTION, **NOTIFY, "NOTIFY_TEMPLATE_PASSWORD_RESET": "reset-email"})


def test_smtp_needs_no_notify_settings():
    settings = load_settings(PRODUCTION)

    assert settings.mail_backend == "smtp"
    assert settings.notify_api_key == ""
    assert settings.notify_template_ids == ()
