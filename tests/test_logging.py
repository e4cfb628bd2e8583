"""`--log-format json`: one JSON object per line, with a check's fields as keys of their own."""

from __future__ import annotations

import json
import logging

from monitor.cli_service import JsonFormatter


def test_json_lines_carry_a_checks_fields_and_plain_lines_carry_none() -> None:
    log = logging.getLogger("policy_monitor.test")
    check = log.makeRecord(
        log.name,
        logging.INFO,
        __file__,
        1,
        "check %s %s in %d ms",
        ("asf", "error", 12),
        None,
        extra={"source": "asf", "outcome": "error", "duration_ms": 12, "error": "HTTP 503"},
    )
    line = json.loads(JsonFormatter().format(check))
    assert line["message"] == "check asf error in 12 ms"
    assert (line["source"], line["outcome"], line["duration_ms"], line["error"]) == (
        "asf",
        "error",
        12,
        "HTTP 503",
    )
    assert line["level"] == "info" and line["logger"] == "policy_monitor.test"
    plain = log.makeRecord(log.name, logging.WARNING, __file__, 1, "hello", (), None)
    assert set(json.loads(JsonFormatter().format(plain))) == {"time", "level", "logger", "message"}
