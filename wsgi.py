"""The WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi``."""

from matcher.entrypoint import build_app_or_exit

app = build_app_or_exit()
