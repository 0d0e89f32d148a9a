"""Celery entry point: ``celery -A workers worker`` and ``celery -A workers beat``."""

from matcher.entrypoint import build_app_or_exit

flask_app = build_app_or_exit()
celery = flask_app.extensions["celery"]
