"""The FastAPI application: routers, problem JSON, the editor's static files, health."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from nurtura import __version__
from nurtura.api import (
    bulk,
    catalog,
    contacts,
    ingest,
    problems,
    processes,
    session,
    templates,
    tracking,
)
from nurtura.api.auth import require
from nurtura.api.group_commit import GroupCommit
from nurtura.clock import Clock
from nurtura.runtime import metrics
from nurtura.store.sql import Store
from nurtura.store.tokens import Verifier

STATIC = Path(__file__).parent / "static"


def create_app(store: Store, clock: Clock, wake: Callable[[], None] | None = None,
               static_dir: Path | None = STATIC) -> FastAPI:
    """The API over `store`; `clock` is injectable (tests run it on simulated time);
    `wake` is called when new work arrives, to wake an idle worker."""
    app = FastAPI(
        title="Nurtura", version=__version__,
        description="Self-hosted marketing automation: Segment-compatible ingestion, "
                    "processes, contacts and runs.",
    )
    app.state.store = store
    app.state.clock = clock
    app.state.verifier = Verifier(store.engine)
    app.state.wake = wake or (lambda: None)
    app.state.jobs = bulk.Jobs()
    app.state.ingest = GroupCommit(store.ingest)
    problems.install(app)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness: no token needed."""
        return {"status": "ok", "version": __version__}

    @app.get("/health/ready", tags=["health"], responses={503: {"description": "No database"}})
    def ready() -> Response:
        """Readiness: the database answers (no token needed)."""
        try:
            with store.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            return JSONResponse({"status": "unavailable", "error": type(exc).__name__}, 503)
        return JSONResponse({"status": "ok", "version": __version__})

    @app.get("/metrics", tags=["health"], response_class=PlainTextResponse,
             dependencies=[Depends(require("metrics"))])
    def metrics_text() -> Response:
        """Prometheus metrics of the whole installation, read from the database: due
        backlog, lag of the oldest due input, outbox depth, steps, runs, failures
        (docs/operations.md). Needs a token with the `metrics` (or admin) scope."""
        body = metrics.database_metrics(store, clock)
        return Response(body, media_type=metrics.CONTENT_TYPE)

    for module in (ingest, session, processes, bulk, contacts, catalog, templates, tracking):
        app.include_router(module.router)
    if static_dir is not None and (static_dir / "index.html").exists():
        app.mount("/", StaticFiles(directory=static_dir, html=True), name="editor")
    return app
