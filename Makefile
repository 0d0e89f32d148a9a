# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step of them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
UV_VERSION := 0.13.9
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test install lint format screenshots update-govuk-frontend

run: install
	$(VENV)/bin/python -m matcher.devserver

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -n auto --dist worksteal

# Full-page PNGs in test-artifacts/screenshots/: every page for every role at 1024 and 390 px
# wide, each step of the journeys, and every email. `make test` keeps only a failing test's.
screenshots: install
	rm -rf test-artifacts/screenshots
	MATCHER_SCREENSHOTS=1 $(VENV)/bin/pytest -p no:cacheprovider -n auto tests/browser

install: $(VENV)/.synced

lint: install
	$(VENV)/bin/ruff check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

$(VENV)/bin/uv:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Compiled once here: every process the tests start (workers, beat, make run) would otherwise
# compile its libraries again when PYTHONDONTWRITEBYTECODE is set.
$(VENV)/.synced: pyproject.toml uv.lock $(VENV)/bin/uv
	$(VENV)/bin/uv sync --frozen --inexact --no-install-project --compile-bytecode --quiet
	touch $@

GOVUK_FRONTEND_VERSION := 6.3.0

# Refresh the vendored GOV.UK Frontend build (needs npm; `make run` and `make test` do not).
update-govuk-frontend:
	rm -rf .govuk-frontend && mkdir .govuk-frontend
	cd .govuk-frontend && npm pack --silent govuk-frontend@$(GOVUK_FRONTEND_VERSION) && tar xzf govuk-frontend-$(GOVUK_FRONTEND_VERSION).tgz
	rm -rf matcher/static/govuk-frontend/assets
	cp -r .govuk-frontend/package/dist/govuk/assets matcher/static/govuk-frontend/
	cp .govuk-frontend/package/dist/govuk/govuk-frontend.min.css .govuk-frontend/package/dist/govuk/govuk-frontend.min.js matcher/static/govuk-frontend/
	rm -rf .govuk-frontend
