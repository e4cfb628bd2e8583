"""/healthz (public) and /metrics (logged in, or an API token) inside the review app."""

from __future__ import annotations

import json

from flask import Blueprint
from prometheus_client import generate_latest
from werkzeug.wrappers import Response

from monitor.scheduler import Health

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz() -> Response:
    """200 when the database answers (and the scheduler ticks, under 'run'), else 503."""
    from monitor.web.app import web
    from monitor.web.health import health_report

    context = web()
    if context.health is None:  # 'serve': a web process with no scheduler of its own
        ok, report = health_report(context.store, Health())
        report = {"role": "web", "database": report["database"]}
    else:
        ok, report = health_report(context.store, context.health)
    return Response(json.dumps(report), status=200 if ok else 503, content_type="application/json")


@bp.route("/metrics")
def metrics() -> Response:
    """Prometheus text (checks, durations, drafts pending, emails, last success age)."""
    from monitor.web.app import web
    from monitor.web.health import Metrics

    context = web()
    if context.metrics is None:
        context.metrics = Metrics(context.store, context.health or Health())
    body = generate_latest(context.metrics.registry)
    return Response(body, content_type="text/plain; version=0.0.4")
