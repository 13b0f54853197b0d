"""Mailing the digest to a real SMTP server on loopback (aiosmtpd): the HTML digest
arrives with its inline images resolvable, a text part and the CSV/JSON attached; login
uses the password from the named environment variable; failures are one clear error."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from monitor.digest import collect_digest, write_digest
from monitor.mail import MailError, send_digest
from monitor.registry import MailSettings
from review_seed import Inbox, Seeded, free_port, seed, smtp_inbox


class _Auth:
    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server: object, session: object, envelope: object, mechanism: str,
                 data: object) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login == self.user and data.password == self.password
        return AuthResult(success=ok, handled=False)


@pytest.fixture()
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    with smtp_inbox(_Auth("digest", "s3cret pass")) as server:
        yield server


@pytest.fixture()
def seeded(tmp_path: Path) -> Seeded:
    return seed(tmp_path)


def _settings(port: int, **changes: object) -> MailSettings:
    values: dict[str, object] = {"host": "127.0.0.1", "port": port, "starttls": False,
                                 "from": "digest@norvik.example",
                                 "to": ["team@norvik.example", "counsel@norvik.example"]}
    values.update(changes)
    return MailSettings.model_validate(values)


def test_html_digest_arrives_with_images_and_attachments(smtp_server: tuple[Inbox, int], seeded: Seeded,
                                                         tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, port = smtp_server
    monkeypatch.setenv("MW_TEST_SMTP_PASSWORD", "s3cret pass")
    data = collect_digest(seeded.db, seeded.brand_id, "Norvik", registry=seeded.registry)
    files = write_digest(seeded.db, seeded.brand_id, data, tmp_path / "out")
    sent = send_digest(data, _settings(port, username="digest", password_env="MW_TEST_SMTP_PASSWORD"),
                       attachments=files, review_url="http://127.0.0.1:8000")
    assert len(inbox.envelopes) == 1
    envelope = inbox.envelopes[0]
    assert sorted(envelope.rcpt_tos) == ["counsel@norvik.example", "team@norvik.example"]
    assert envelope.mail_from == "digest@norvik.example"
    msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert msg["Message-ID"] == sent.message_id
    assert f"{len(data.entries)} listings to review" in msg["Subject"]
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert "N0rv1k Fjell Parka replica" in text
    assert re.search(r'<span style="background:#ffe58a;[^"]*">N0rv1k</span> Fjell Parka replica', html)
    assert "<script" not in html.lower() and "&lt;script&gt;" in html
    assert 'href="http://127.0.0.1:8000/cases/' in html
    # Every cid: the HTML refers to is a part of the mail, and nothing is a data: URI.
    cids = set(re.findall(r'src="cid:([^"]+)"', html))
    parts = {part["Content-ID"].strip("<>"): part for part in msg.walk() if part["Content-ID"]}
    assert cids and cids <= set(parts)
    assert all(parts[c].get_content_type() in ("image/jpeg", "image/png") for c in cids)
    assert "data:image" not in html
    attached = {part.get_filename(): part for part in msg.iter_attachments() if part.get_filename()}
    assert set(attached) == {files["csv"].name, files["json"].name}
    assert attached[files["csv"].name].get_payload(decode=True) == files["csv"].read_bytes()


def test_wrong_password_is_one_clear_error(smtp_server: tuple[Inbox, int], seeded: Seeded,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, port = smtp_server
    monkeypatch.setenv("MW_TEST_SMTP_PASSWORD", "wrong")
    data = collect_digest(seeded.db, seeded.brand_id, "Norvik")
    with pytest.raises(MailError, match="refused the login of digest"):
        send_digest(data, _settings(port, username="digest", password_env="MW_TEST_SMTP_PASSWORD"))
    assert inbox.envelopes == []


def test_missing_password_variable_is_named(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MW_TEST_ABSENT", raising=False)
    data = collect_digest(seeded.db, seeded.brand_id, "Norvik")
    with pytest.raises(MailError, match="MW_TEST_ABSENT"):
        send_digest(data, _settings(free_port(), username="digest", password_env="MW_TEST_ABSENT"))


def test_server_without_starttls_is_refused_not_sent_in_clear(smtp_server: tuple[Inbox, int],
                                                               seeded: Seeded) -> None:
    inbox, port = smtp_server
    data = collect_digest(seeded.db, seeded.brand_id, "Norvik")
    with pytest.raises(MailError, match="STARTTLS"):
        send_digest(data, _settings(port, starttls=True))
    assert inbox.envelopes == []


def test_unreachable_server_and_missing_settings(seeded: Seeded) -> None:
    data = collect_digest(seeded.db, seeded.brand_id, "Norvik")
    with pytest.raises(MailError, match="cannot reach the mail server"):
        send_digest(data, _settings(free_port()), timeout=5)
    with pytest.raises(MailError, match="settings.mail"):
        send_digest(data, None)


def test_mail_settings_validation() -> None:
    from pydantic import ValidationError

    assert _settings(25, to="one@norvik.example").to == ("one@norvik.example",)
    with pytest.raises(ValidationError, match="password_env"):
        _settings(25, username="digest")
    with pytest.raises(ValidationError):
        _settings(25, to=["not an address"])
