"""Alerts within minutes: a case whose risk reaches the registry's threshold is announced as
soon as it is assessed, by mail and to webhooks (plain JSON, Slack or Microsoft Teams),
once per case and channel, retried with doubling waits, and recorded in the `alert` table.

Sending happens on a background thread, so a slow or failing endpoint never holds up or
stops the run; `Alerter.close()` waits for what is queued and reports the outcomes.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from monitor.db import Database
from monitor.errors import MailError
from monitor.mail import send_message
from monitor.models import Alert, Case, Listing, utcnow
from monitor.registry import AlertSettings, Registry, Webhook

__all__ = ["AlertOutcome", "Alerter", "alert_payload", "alerts_for"]

log = logging.getLogger(__name__)

_DECIDED = ("dismissed", "allowlisted")
_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class AlertOutcome:
    case_id: int
    channel: str
    status: str  # sent | failed
    attempts: int
    error: str | None = None


def _summary(brand: str, case: Case, listing: Listing) -> dict[str, Any]:
    return {
        "event": "high_risk_listing",
        "brand": brand,
        "case_id": case.id,
        "risk": case.risk,
        "level": case.level,
        "reasons": list(case.reasons),
        "listing": {
            "platform": listing.platform,
            "listing_id": listing.listing_id,
            "url": listing.url,
            "title": listing.title,
            "seller": listing.seller_name,
            "price": str(listing.price) if listing.price is not None else None,
            "currency": listing.currency,
        },
    }


def _headline(data: dict[str, Any]) -> str:
    item = data["listing"]
    return (f"{data['brand']}: risk {data['risk']} on {item['platform']}: "
            f"{(item['title'] or item['listing_id'])[:150]}")


def alert_payload(data: dict[str, Any], fmt: str, review_url: str | None = None) -> dict[str, Any]:
    """The JSON body for one webhook format. Listing text goes in as plain text: Slack's
    mrkdwn specials (<, >, &) are escaped, and Teams' TextBlocks render no markup."""
    case_link = f"{review_url.rstrip('/')}/cases/{data['case_id']}" if review_url else None
    if fmt == "json":
        return {**data, "review_url": case_link}
    headline = _headline(data)
    reasons = "; ".join(data["reasons"][:5])
    url = data["listing"]["url"]
    if fmt == "slack":
        def esc(text: str) -> str:
            return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

        lines = [f"*{esc(headline)}*", esc(reasons), esc(url)]
        if case_link:
            lines.append(f"review: {esc(case_link)}")
        return {"text": esc(headline),
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}]}
    # Microsoft Teams: an Adaptive Card, which both Workflows and the classic incoming
    # webhooks accept.
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": headline, "weight": "Bolder", "wrap": True},
        {"type": "TextBlock", "text": reasons, "wrap": True},
        {"type": "TextBlock", "text": url, "wrap": True, "isSubtle": True},
    ]
    actions = [{"type": "Action.OpenUrl", "title": "Open the case", "url": case_link}] if case_link else []
    return {"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive",
        "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                    "version": "1.4", "body": body, "actions": actions},
    }]}


def _post(webhook: Webhook, payload: dict[str, Any]) -> None:
    request = urllib.request.Request(webhook.url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": "markwatch-alerts"})
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:  # noqa: S310 - the team's own URL
            response.read(1024)
    except urllib.error.HTTPError as exc:
        raise OSError(f"{webhook.url} answered {exc.code}") from None
    except urllib.error.URLError as exc:
        raise OSError(f"cannot reach {webhook.url}: {exc.reason}") from None


class Alerter:
    """Announces high-risk cases of one brand; `consider()` from the assessing thread,
    `close()` at the end of the run."""

    def __init__(self, registry: Registry, db: Database, brand_id: int, *, review_url: str | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        settings = registry.settings.alerts
        if settings is None:
            raise ValueError("the registry has no settings.alerts")
        self.settings: AlertSettings = settings
        self.registry, self.db, self.brand_id = registry, db, brand_id
        self.review_url = review_url
        self._sleep = sleep
        self._queue: queue.Queue[tuple[int, int] | None] = queue.Queue()
        self.outcomes: list[AlertOutcome] = []
        self._worker = threading.Thread(target=self._work, name="markwatch-alerts", daemon=True)
        self._worker.start()

    @property
    def channels(self) -> list[str]:
        channels = ["mail"] if self.settings.email else []
        return channels + [f"webhook:{w.url}" for w in self.settings.webhooks]

    def consider(self, case: Case | None, listing_pk: int) -> bool:
        """Queue the case for announcement when its risk reaches the threshold; True if queued."""
        if case is None or case.id is None or case.state in _DECIDED or case.risk < self.settings.threshold:
            return False
        self._queue.put((case.id, listing_pk))
        return True

    def close(self) -> list[AlertOutcome]:
        self._queue.put(None)
        self._worker.join()
        return self.outcomes

    # -- the worker ------------------------------------------------------------------

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            case_id, listing_pk = job
            try:
                self._announce(case_id, listing_pk)
            except Exception:  # noqa: BLE001 - an alert's failure is logged; the run goes on
                log.exception("announcing case %s failed", case_id)

    def _claim(self, case_id: int, channel: str) -> int | None:
        """The alert row to send on, or None when this case was already announced there."""
        with self.db.session() as s:
            existing = s.exec(select(Alert).where(Alert.case_id == case_id, Alert.channel == channel)).first()
            if existing is not None:
                return None
            row = Alert(case_id=case_id, channel=channel[:500])
            s.add(row)
            try:
                s.commit()
            except IntegrityError:  # another process claimed it first
                s.rollback()
                return None
            return row.id

    def _record(self, alert_id: int, outcome: AlertOutcome) -> None:
        with self.db.session() as s:
            row = s.get(Alert, alert_id)
            row.status, row.attempts, row.error = outcome.status, outcome.attempts, outcome.error
            row.sent_at = utcnow() if outcome.status == "sent" else None
            s.add(row)
            s.commit()

    def _announce(self, case_id: int, listing_pk: int) -> None:
        with self.db.session() as s:
            case, listing = s.get(Case, case_id), s.get(Listing, listing_pk)
        if case is None or listing is None:
            return
        data = _summary(self.registry.brand, case, listing)
        for channel in self.channels:
            alert_id = self._claim(case_id, channel)
            if alert_id is None:
                continue
            outcome = self._send_with_retries(case_id, channel, data)
            self._record(alert_id, outcome)
            self.outcomes.append(outcome)

    def _send_with_retries(self, case_id: int, channel: str, data: dict[str, Any]) -> AlertOutcome:
        wait, error = self.settings.backoff_seconds, None
        for attempt in range(1, self.settings.retries + 2):
            try:
                self._send(channel, data)
                return AlertOutcome(case_id, channel, "sent", attempt)
            except (OSError, MailError) as exc:
                error = str(exc)
                log.warning("alert for case %s to %s failed (try %d): %s", case_id, channel, attempt, error)
            if attempt <= self.settings.retries:
                self._sleep(wait)
                wait *= 2
        return AlertOutcome(case_id, channel, "failed", self.settings.retries + 1, error)

    def _send(self, channel: str, data: dict[str, Any]) -> None:
        if channel == "mail":
            mail = self.registry.settings.mail
            assert mail is not None  # the registry refuses alerts.email without it
            msg = EmailMessage()
            msg["Subject"] = f"[markwatch] {_headline(data)}"
            msg["From"], msg["To"] = mail.from_address, ", ".join(mail.to)
            msg["Date"] = formatdate(localtime=True)
            msg["Message-ID"] = make_msgid("alert", domain=mail.from_address.rpartition("@")[2] or "markwatch.invalid")
            lines = [_headline(data), "", *data["reasons"], "", data["listing"]["url"]]
            if self.review_url:
                lines.append(f"review: {self.review_url.rstrip('/')}/cases/{data['case_id']}")
            msg.set_content("\n".join(lines))
            send_message(msg, mail, timeout=_TIMEOUT, what="the alert")
            return
        url = channel.removeprefix("webhook:")
        webhook = next(w for w in self.settings.webhooks if w.url == url)
        _post(webhook, alert_payload(data, webhook.format, self.review_url))


def alerts_for(db: Database, case_id: int) -> list[Alert]:
    """What was announced for a case, on which channel, with what outcome."""
    with db.session() as s:
        return list(s.exec(select(Alert).where(Alert.case_id == case_id).order_by(Alert.id)))
