"""E-mail over SMTP (IOC_SMTP_URL): each transition to the recipients of its district and
severity (the rule file's ``[[email]]``), in each recipient's language.

``smtp://user:password@host:587?starttls=1`` (STARTTLS), ``smtps://…:465`` (TLS from
the start) or ``smtp://host:25`` (a relay on a closed network, no sign-in).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from ioc.alarms.notify import DeliveryError
from ioc.i18n import t
from ioc.i18n.format import local_stamp
from ioc.model.alarm import Alarm, Recipient, Transition

TIMEOUT_S = 10.0


def compose(
    transition: Transition, alarm: Alarm, lang: str, *, sender: str, to: str, link: str
) -> EmailMessage:
    """One message in one language."""
    message = EmailMessage()
    severity = t(f"alarm_sev_{alarm.severity}", lang)
    action = t(f"alarm_action_{transition.action}", lang)
    message["Subject"] = f"[IOC] {severity} · {action}: {alarm.message(lang)}"[:200]
    message["From"] = sender
    message["To"] = to
    lines = [
        alarm.message(lang),
        "",
        f"{t('alarm_field_state', lang)}: {t(f'alarm_state_{alarm.state}', lang)}",
        f"{t('alarm_field_severity', lang)}: {severity}",
        f"{t('alarm_field_raised', lang)}: {local_stamp(alarm.raised_at, seconds=True)}",
        f"{t('alarm_field_event', lang)}: {action} · {local_stamp(transition.at, seconds=True)}"
        f" · {transition.actor}",
    ]
    if transition.note:
        lines.append(f"{t('alarm_field_note', lang)}: {transition.note}")
    lines += ["", link]
    message.set_content("\n".join(lines))
    return message


class Mail:
    """Sends each transition to the addresses whose district and severity match."""

    name = "email"

    def __init__(self, url: str, sender: str, recipients: Sequence[Recipient], base_url: str):
        parts = urlsplit(url)
        self.secure = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.secure else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.starttls = parse_qs(parts.query).get("starttls", ["0"])[0] in ("1", "true", "yes")
        self.sender = sender
        self.recipients = tuple(recipients)
        self.base_url = base_url.rstrip("/")

    def targets(self, alarm: Alarm) -> Sequence[str]:
        """Each matching address, once, tagged with its language ("vi:a@b")."""
        found: dict[str, str] = {}
        for recipient in self.recipients:
            if recipient.wants(alarm.district, alarm.severity):
                for address in recipient.to:
                    found.setdefault(address, recipient.lang)
        return [f"{lang}:{address}" for address, lang in found.items()]

    def send(self, target: str, transition: Transition, alarm: Alarm) -> None:
        """One message to one address, in its language."""
        lang, _, address = target.partition(":")
        message = compose(transition, alarm, lang, sender=self.sender, to=address,
                          link=f"{self.base_url}/alarms/{alarm.id}?lang={lang}")  # fmt: skip
        try:
            if self.secure:
                server: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=TIMEOUT_S, context=ssl.create_default_context()
                )
            else:
                server = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_S)
            with server:
                if self.starttls:
                    server.starttls(context=ssl.create_default_context())
                if self.user:
                    server.login(self.user, self.password or "")
                server.send_message(message)
        except (OSError, smtplib.SMTPException) as err:
            raise DeliveryError(f"SMTP: {err}"[:200]) from None
