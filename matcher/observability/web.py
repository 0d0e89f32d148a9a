"""The web app's side: a request id on every request and response, latency by route, /metrics."""

from __future__ import annotations

import hmac
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, request

from matcher.extensions import db
from matcher.observability.context import (
    REQUEST_ID_HEADER,
    LogContext,
    accepted_request_id,
    bind,
    current_request_id,
    unbind,
)
from matcher.observability.metrics import exposition, observe_request

metrics_endpoint = Blueprint("observability", __name__)


@metrics_endpoint.get("/metrics")
def metrics():
    """Prometheus's scrape: only with ``Authorization: Bearer <METRICS_TOKEN>``.

    Without METRICS_TOKEN the endpoint does not exist (404), in every environment.
    """
    token = current_app.config["MATCHER_SETTINGS"].metrics_token
    if not token:
        abort(404)
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        offered.strip().encode(), token.encode()
    ):
        return Response(
            "A bearer token is required.\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"'},
            mimetype="text/plain",
        )
    body, content_type = exposition(db.engine)
    return Response(body, content_type=content_type)


def install_request_observability(app: Flask) -> None:
    """Give every request an id (its caller's when well-formed) and measure it by route.

    Registered before every other hook, so the id is set for all of them and the measurement
    covers them too.
    """

    @app.before_request
    def start_request() -> None:
        offered = request.headers.get(REQUEST_ID_HEADER)
        context = LogContext(request_id=accepted_request_id(offered))
        g.observability = (bind(context), time.perf_counter())

    @app.after_request
    def finish_request(response: Response) -> Response:
        started = g.get("observability")
        if started is not None:
            rule = request.url_rule.rule if request.url_rule is not None else None
            observe_request(
                rule, request.method, response.status_code, time.perf_counter() - started[1]
            )
            response.headers[REQUEST_ID_HEADER] = current_request_id() or ""
        return response

    @app.teardown_request
    def end_request(_: BaseException | None) -> None:
        started = g.pop("observability", None)
        if started is not None:
            unbind(started[0])
