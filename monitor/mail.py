"""Mail the digest over SMTP with the registry's `settings.mail`: an HTML part with its
thumbnails and chart as inline (cid:) images, a plain-text part, and the CSV and JSON
attached. The password comes from the environment variable the settings name."""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from monitor.digest import DigestData, render_html
from monitor.errors import MailError
from monitor.registry import MailSettings

__all__ = ["MailError", "SentMail", "build_message", "send_digest", "send_message"]


@dataclass(frozen=True, slots=True)
class SentMail:
    message_id: str
    recipients: tuple[str, ...]
    size: int


def _plain_text(data: DigestData, *, limit: int = 50) -> str:
    counts = data.counts()
    lines = [
        f"markwatch digest for {data.brand}, {data.created_at:%Y-%m-%d %H:%M} UTC",
        f"{counts['total']} listings to review: {counts['high']} high, {counts['medium']} medium, "
        f"{counts['low']} low risk ({counts['new']} new, {counts['changed']} changed); "
        f"{counts['open']} open in the queue.",
        "",
    ]
    if data.attention:
        lines += ["Portfolio: needs attention", *(f"- {line}" for line in data.attention), ""]
    for e in data.entries[:limit]:
        price = f" - {e.price} {e.currency}" if e.price else ""
        lines.append(f"[{e.risk}] {e.platform} / {e.seller}: {e.title}{price}")
        lines.append(f"      {e.url}")
    if len(data.entries) > limit:
        lines.append(f"... and {len(data.entries) - limit} more in the attached CSV.")
    return "\n".join(lines) + "\n"


def build_message(data: DigestData, settings: MailSettings, *,
                  attachments: Mapping[str, Path] | None = None,
                  review_url: str | None = None) -> EmailMessage:
    """The digest as a mail: text and HTML alternatives, inline images, attachments."""
    rendered = render_html(data, images="cid", review_url=review_url)
    msg = EmailMessage()
    counts = data.counts()
    msg["Subject"] = (f"markwatch: {data.brand}: {counts['total']} listings to review "
                      f"({counts['high']} high risk)")
    msg["From"] = settings.from_address
    msg["To"] = ", ".join(settings.to)
    msg["Date"] = formatdate(localtime=False)
    domain = settings.from_address.rpartition("@")[2] or "markwatch.invalid"
    msg["Message-ID"] = make_msgid("digest", domain=domain)
    msg.set_content(_plain_text(data))
    msg.add_alternative(rendered.html, subtype="html")
    html_part = msg.get_payload()[1]
    for image in rendered.images:
        html_part.add_related(image.data, maintype="image", subtype=image.subtype,
                              cid=f"<{image.cid}>", disposition="inline")
    for kind, path in (attachments or {}).items():
        if kind == "html":
            continue  # the HTML is the body
        subtype = {"csv": "csv", "json": "json"}.get(kind, "octet-stream")
        maintype = "text" if subtype == "csv" else "application"
        msg.add_attachment(Path(path).read_bytes(), maintype=maintype, subtype=subtype,
                           filename=Path(path).name)
    return msg


def send_digest(data: DigestData, settings: MailSettings | None, *,
                attachments: Mapping[str, Path] | None = None, review_url: str | None = None,
                timeout: float = 30.0) -> SentMail:
    """Send the digest to `settings.to`; raise `MailError` with one sentence on failure."""
    if settings is None:
        raise MailError("brand.yaml has no settings.mail section; add host, from and to "
                        "(see the README's 'Mailing the digest')")
    msg = build_message(data, settings, attachments=attachments, review_url=review_url)
    return send_message(msg, settings, timeout=timeout, what="the digest")


def send_message(msg: EmailMessage, settings: MailSettings, *, timeout: float = 30.0,
                 what: str = "the message") -> SentMail:
    """Send a built message through the registry's mail server; `MailError` on failure."""
    password = None
    if settings.password_env:
        password = os.environ.get(settings.password_env)
        if password is None:
            raise MailError(f"settings.mail.password_env names {settings.password_env}, which is "
                            "not set in the environment; export it before sending")
    body = msg.as_bytes()
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=timeout) as smtp:
            smtp.ehlo()
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.username:
                smtp.login(settings.username, password or "")
            refused = smtp.send_message(msg, from_addr=settings.from_address,
                                        to_addrs=list(settings.to))
    except smtplib.SMTPNotSupportedError:
        raise MailError(f"{settings.host}:{settings.port} does not offer STARTTLS; "
                        "set settings.mail.starttls to false only if the link is private") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"{settings.host}:{settings.port} refused the login of "
                        f"{settings.username}: {exc.smtp_code}") from None
    except smtplib.SMTPException as exc:
        raise MailError(f"{settings.host}:{settings.port} refused {what}: {exc}") from None
    except (OSError, ssl.SSLError) as exc:
        raise MailError(f"cannot reach the mail server {settings.host}:{settings.port}: "
                        f"{exc.strerror or exc}") from None
    if refused:
        raise MailError("the mail server refused " + ", ".join(sorted(refused)))
    return SentMail(message_id=str(msg["Message-ID"]), recipients=tuple(settings.to), size=len(body))
