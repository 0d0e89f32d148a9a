"""The app served over real HTTP on loopback, for browser and contract tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from flask import Flask
from werkzeug.serving import make_server

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def read_whole(app: WSGIApp) -> WSGIApp:
    """``app`` with each response read whole and closed before the server sends it.

    Werkzeug's development server leaves a response's file open when the client drops the
    connection mid-response, as a browser does when a test closes it; the open file would then
    fail whichever test the garbage collector finds it in.
    """

    def whole(environ: dict, start_response: Callable) -> Iterable[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return whole


class LiveServer:
    """The app served by a real HTTP server in a background thread."""

    def __init__(self, app: Flask, port: int = 0) -> None:
        self.app = app
        # The browser keeps stylesheets, scripts, fonts and images between the pages of a test,
        # as it would a site's versioned assets, instead of asking for all eight again on every
        # page: each answer costs the test process and Chromium more than the page itself.
        app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600
        # A fixed ``port`` lets the app's BASE_URL name this server before it starts.
        self._server = make_server("127.0.0.1", port, read_whole(app), threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()
