"""Plan, render and deliver digests to a local SMTP sink; print rates, queries and memory.

    .venv/bin/python -m bench.digests [--people 100000] [--batch 100]

Needs PostgreSQL (TEST_POSTGRES_ADMIN_URL, as the tests). Rendering is timed alone on one core
(load a batch's content, then build every message); end to end runs two worker processes that
claim, render and send batches over SMTP to an aiosmtpd sink that accepts and discards.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import event

from matcher import create_app
from matcher.clock import london_today
from matcher.digests.content import load_contents
from matcher.digests.rendering import render_digest
from matcher.digests.sending import Pacer, chunks, pending_ids, plan_period, send_batch
from matcher.extensions import db
from matcher.mail import mail_backend_for
from matcher.models import DigestKind, utcnow
from tests import digest_world
from tests.conftest import make_settings
from tests.services import fresh_postgres_database
from tests.smtp import running_smtp_sink

PERIOD = "2026-W48"


def _app(instance: Path, url: str, smtp_port: int):
    settings = make_settings(
        instance,
        DATABASE_URL=url,
        MAIL_BACKEND="smtp",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        DIGEST_RATE_PER_SECOND="0",
    )
    return create_app(settings)


def _worker(
    instance: str, url: str, port: int, batches: list[list[int]], profile: str | None = None
) -> None:
    if profile:
        import cProfile

        cProfile.runctx(
            "_worker(instance, url, port, batches)", globals(), locals(), filename=profile
        )
        return
    app = _app(Path(instance), url, port)
    with app.app_context():
        db.engine.dispose(close=False)
        settings = app.config["MATCHER_SETTINGS"]
        for batch in batches:
            send_batch(
                db.session,
                settings,
                app.config["SECRET_KEY"],
                batch,
                lambda: mail_backend_for(settings),
                Pacer(0),
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--profile", help="write each worker's cProfile stats to PROFILE.N")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="bench-digests-"))
    with fresh_postgres_database() as url, running_smtp_sink() as sink:
        # The sink only counts: parsing every message would make the sink the bottleneck.
        async def count_only(server, session, envelope) -> str:
            sink.received.append(None)  # type: ignore[arg-type]
            return "250 OK"

        sink.handle_DATA = count_only  # type: ignore[method-assign]
        app = _app(instance, url, sink.port)
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            world = digest_world.build(db.session, args.people, today=london_today())
            print(f"world: {args.people} people in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            planned = plan_period(db.session, DigestKind.WEEKLY, PERIOD, utcnow())
            db.session.commit()
            print(f"planning: {planned} deliveries in {time.perf_counter() - started:.2f} s")

            settings = app.config["MATCHER_SETTINGS"]
            queries: list[int] = []
            count = [0]

            def on_query(*_: object) -> None:
                count[0] += 1

            event.listen(db.engine, "before_cursor_execute", on_query)
            now = utcnow()
            rendered = size = 0
            load_cpu = render_cpu = 0.0
            cpu = time.process_time()
            wall = time.perf_counter()
            for batch in chunks([*world.people, world.member_id], args.batch):
                count[0] = 0
                tick = time.process_time()
                contents = load_contents(db.session, batch, DigestKind.WEEKLY, now)
                tock = time.process_time()
                load_cpu += tock - tick
                queries.append(count[0])
                for content in contents.values():
                    message = render_digest(
                        settings, app.config["SECRET_KEY"], content, PERIOD, "<b@x>"
                    )
                    size += len(message.data)
                    rendered += 1
                render_cpu += time.process_time() - tock
                db.session.rollback()
            wall = time.perf_counter() - wall
            cpu = time.process_time() - cpu
            print(
                f"rendering alone (load content + build wire-ready messages): {rendered} in "
                f"{wall:.1f} s = {rendered / wall:.0f}/s wall, {rendered / cpu:.0f}/s per CPU "
                f"second (budget 500/s on one core); of which templates + MIME only: "
                f"{rendered / render_cpu:.0f}/s per CPU second, content loading: "
                f"{rendered / load_cpu:.0f}/s; mean message {size / rendered / 1024:.1f} KiB"
            )
            print(f"queries per batch of {args.batch} to load content: {sorted(set(queries))}")
            everyone = [*world.people, world.member_id]
            by_size = {}
            for batch_size in (10, 100, 1000):
                count[0] = 0
                load_contents(db.session, everyone[:batch_size], DigestKind.WEEKLY, now)
                by_size[batch_size] = count[0]
                db.session.rollback()
            event.remove(db.engine, "before_cursor_execute", on_query)
            print(
                f"queries to load a batch's content, by batch size: {by_size}; sending adds "
                "1 claim + 1 skip update per batch and 1 commit-point UPDATE per message"
            )

            ids = pending_ids(db.session, PERIOD)
            db.session.rollback()
            db.engine.dispose()
        batches = chunks(ids, args.batch)
        started = time.perf_counter()
        workers = [
            multiprocessing.get_context("fork").Process(
                target=_worker,
                args=(
                    str(instance),
                    url,
                    sink.port,
                    batches[i::2],
                    f"{args.profile}.{i}" if args.profile else None,
                ),
            )
            for i in range(2)
        ]
        for process in workers:
            process.start()
        for process in workers:
            process.join()
        elapsed = time.perf_counter() - started
        delivered = len(sink.received)
        print(
            f"end to end, 2 worker processes: {delivered} delivered in {elapsed:.1f} s = "
            f"{delivered / elapsed:.0f}/s (claim, load, render, commit point, SMTP)"
        )
        with app.app_context():
            db.engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB (bench process), {children:.0f} MB (largest worker)")


if __name__ == "__main__":
    main()
