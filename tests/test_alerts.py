"""Alerts within minutes, against real endpoints on loopback: a webhook server (JSON, Slack
and Teams formats), a failing one and a real SMTP server. Each case is announced once per
channel, failures are retried with doubling waits and recorded, and never stop a run."""

from __future__ import annotations

import http.server
import json
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from conftest import DEMO_BRAND, run_cli
from monitor.alerts import Alerter, alert_payload, alerts_for
from monitor.registry import AlertSettings, MailSettings, Registry, load_registry
from review_seed import HOSTILE_TITLE, Seeded, free_port, seed, smtp_inbox


class _Hooks:
    """A loopback HTTP server: POSTs to /ok are kept, /fail answers 500."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, object]]] = []
        self.failures = 0
        hooks = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path.startswith("/fail"):
                    hooks.failures += 1
                    self.send_response(500)
                else:
                    hooks.received.append((self.path, json.loads(body)))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _Hooks:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def hooks() -> Iterator[_Hooks]:
    with _Hooks() as server:
        yield server


def _with_alerts(registry: Registry, **alerts: object) -> Registry:
    settings = registry.settings.model_copy(update={"alerts": AlertSettings.model_validate(alerts)})
    return registry.model_copy(update={"settings": settings})


def test_payload_formats_carry_the_case_and_escape_listing_text() -> None:
    data = {"event": "high_risk_listing", "brand": "Norvik", "case_id": 7, "risk": 96, "level": "high",
            "reasons": ["uses the mark"], "listing": {"platform": "bazaar", "listing_id": "BZ-1",
                                                      "url": "http://m.example/item/BZ-1", "title": HOSTILE_TITLE,
                                                      "seller": "x", "price": "49", "currency": "EUR"}}
    plain = alert_payload(data, "json", "http://127.0.0.1:8000")
    assert plain["case_id"] == 7 and plain["review_url"] == "http://127.0.0.1:8000/cases/7"
    slack = alert_payload(data, "slack")
    text = slack["blocks"][0]["text"]["text"]
    assert "<script>" not in text and "&lt;script&gt;" in text and "<b>" not in slack["text"]
    teams = alert_payload(data, "teams", "http://127.0.0.1:8000")
    card = teams["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["type"] == "AdaptiveCard"
    assert card["content"]["actions"][0]["url"] == "http://127.0.0.1:8000/cases/7"
    assert HOSTILE_TITLE[:40] in card["content"]["body"][0]["text"]  # TextBlocks render no markup


def test_each_case_is_announced_once_and_a_failing_endpoint_is_retried_and_recorded(
        tmp_path: Path, hooks: _Hooks) -> None:
    seeded: Seeded = seed(tmp_path)
    dead = f"http://127.0.0.1:{free_port()}/nobody"
    waits: list[float] = []
    with smtp_inbox() as (inbox, port):
        mail = MailSettings.model_validate({"host": "127.0.0.1", "port": port, "starttls": False,
                                            "from": "alerts@norvik.example", "to": ["team@norvik.example"]})
        registry = seeded.registry.model_copy(update={"settings": seeded.registry.settings.model_copy(
            update={"mail": mail})})
        registry = _with_alerts(registry, threshold=70, email=True, retries=2, backoff_seconds=1.5, webhooks=[
            {"url": f"{hooks.url}/ok-json"}, {"url": f"{hooks.url}/ok-slack", "format": "slack"},
            {"url": f"{hooks.url}/fail"}, {"url": dead, "format": "teams"}])
        cases = seeded.db.cases(seeded.brand_id, flagged_only=False)
        high = [c for c in cases if c.risk >= 70 and c.state not in ("dismissed", "allowlisted")]
        low = [c for c in cases if c.risk < 70]
        assert high and low
        alerter = Alerter(registry, seeded.db, seeded.brand_id, sleep=waits.append)
        queued = [alerter.consider(c, c.listing_pk) for c in cases]
        assert queued.count(True) == len(high)
        outcomes = alerter.close()
        # Once more, as the next run would: nothing is sent twice.
        again = Alerter(registry, seeded.db, seeded.brand_id, sleep=waits.append)
        for c in cases:
            again.consider(c, c.listing_pk)
        assert again.close() == []
    assert len(inbox.envelopes) == len(high)
    got = {path for path, _ in hooks.received}
    assert got == {"/ok-json", "/ok-slack"} and len(hooks.received) == 2 * len(high)
    assert {body["case_id"] for path, body in hooks.received if path == "/ok-json"} == {c.id for c in high}
    assert hooks.failures == 3 * len(high)  # the first try and two retries
    assert waits == [1.5, 3.0] * (2 * len(high))  # doubling, for each of the two failing endpoints
    failed = [o for o in outcomes if o.status == "failed"]
    assert len(failed) == 2 * len(high) and all(o.attempts == 3 for o in failed)
    assert any("answered 500" in (o.error or "") for o in failed)
    assert any("cannot reach" in (o.error or "") for o in failed)
    rows = alerts_for(seeded.db, high[0].id)
    assert sorted(r.status for r in rows) == ["failed", "failed", "sent", "sent", "sent"]
    assert all(r.sent_at is not None for r in rows if r.status == "sent")


def test_alerts_need_mail_settings_when_mailing() -> None:
    with pytest.raises(ValueError, match="alerts.email needs a settings.mail"):
        load_registry(DEMO_BRAND).settings.model_validate({"alerts": {"email": True}})


@pytest.mark.slow
def test_a_crawl_announces_high_risk_finds_while_it_runs(tmp_path: Path, demo_market, hooks: _Hooks,  # type: ignore[no-untyped-def]
                                                         browser_path: str) -> None:
    brand_dir = tmp_path / "brand"
    shutil.copytree(DEMO_BRAND.parent, brand_dir)
    data = yaml.safe_load((brand_dir / "brand.yaml").read_text(encoding="utf-8"))
    dead = f"http://127.0.0.1:{free_port()}/gone"
    data["settings"]["alerts"] = {"threshold": 80, "retries": 1, "backoff_seconds": 0,
                                  "webhooks": [{"url": f"{hooks.url}/ok"}, {"url": dead, "format": "slack"}]}
    (brand_dir / "brand.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    db = tmp_path / "mw.db"
    result = run_cli("crawl", "--brand", str(brand_dir / "brand.yaml"), "--db", str(db), "--base-url",
                     demo_market.base_url, "--platform", "bazaar", "--limit", "40", "--delay", "0",
                     "--images-dir", str(tmp_path / "images"), cwd=tmp_path,
                     env={"MARKWATCH_CHROMIUM": browser_path})
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as conn:
        high = {r[0] for r in conn.execute("select id from \"case\" where risk >= 80 and state = 'new'")}
        sent = conn.execute("select case_id, status, attempts from alert where channel like 'webhook:%/ok'").fetchall()
        failed = conn.execute("select status, attempts from alert where channel like '%/gone'").fetchall()
    assert high, "the demo market's first 40 bazaar listings hold high-risk ones"
    assert {c for c, status, _ in sent if status == "sent"} == high
    assert {body["case_id"] for _, body in hooks.received} == high and len(hooks.received) == len(high)
    assert failed and all(row == ("failed", 2) for row in failed)


def test_the_case_page_lists_its_alerts_without_the_webhooks_secret(tmp_path: Path, hooks: _Hooks) -> None:
    from starlette.testclient import TestClient

    from monitor.web import create_app

    seeded = seed(tmp_path)
    secret = f"{hooks.url}/ok/T000/B000/s3cr3tT0ken"
    registry = _with_alerts(seeded.registry, threshold=1, retries=0, webhooks=[{"url": secret}])
    case = seeded.db.cases(seeded.brand_id, flagged_only=True)[0]
    alerter = Alerter(registry, seeded.db, seeded.brand_id)
    alerter.consider(case, case.listing_pk)
    assert [o.status for o in alerter.close()] == ["sent"]
    page = TestClient(create_app(seeded.db, registry, takedown_dir=tmp_path / "td"),
                      base_url="http://127.0.0.1").get(f"/cases/{case.id}")
    assert page.status_code == 200
    assert "Alerts" in page.text and "sent after 1 try" in page.text and hooks.url in page.text
    assert "s3cr3tT0ken" not in page.text
