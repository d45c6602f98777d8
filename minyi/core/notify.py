"""Notifications behind a small interface; the backend is chosen by settings.

``console`` (default) logs each notice, ``locmem`` keeps them in ``OUTBOX`` for tests,
``email`` sends through Django's e-mail backend to recipients that have an address,
``sms`` posts to an HTTP SMS gateway (templated, with retries; ``settings.MINYI_SMS``).
``MINYI_NOTIFY_BACKEND`` may name several, comma-separated (``console,sms``).

Besides the backend, every notice goes to the registered ``SINKS`` — the in-app
notification centre of ``minyi.accountability`` stores one row per recipient there.
``null`` drops everything, sinks included (bulk seeding, imports of old appeals); ``inapp`` sends
nothing out but still feeds the sinks: the notification centre only (``minyi demo``'s default).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import translation

logger = logging.getLogger("minyi.notify")


@dataclass(frozen=True)
class Notice:
    kind: str
    subject: str
    body: str
    user_ids: tuple[int, ...] = ()
    appeal_number: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def notice_language() -> translation.override:
    """Write a notice's text in the site's language (``LANGUAGE_CODE``, zh-hans), whatever the request's.

    Notices are stored (站内通知) and sent (SMS, e-mail) as plain text, to people whose
    language the sender does not know: build their strings with ``gettext`` inside this.
    """
    return translation.override(settings.LANGUAGE_CODE)


class Notifier(Protocol):
    def send(self, notice: Notice) -> None: ...


class ConsoleNotifier:
    def send(self, notice: Notice) -> None:
        logger.info("[%s] %s → users %s: %s", notice.kind, notice.subject, list(notice.user_ids), notice.body)


class NullNotifier:
    """Drops notices: for bulk seeding and imports of historical appeals."""

    def send(self, notice: Notice) -> None:
        return None


class InAppOnlyNotifier(NullNotifier):
    """Sends nothing out: the notices reach only the in-app sinks (the notification centre)."""


OUTBOX: list[Notice] = []


class LocmemNotifier:
    def send(self, notice: Notice) -> None:
        OUTBOX.append(notice)


class EmailNotifier:
    def send(self, notice: Notice) -> None:
        users = get_user_model().objects.filter(pk__in=notice.user_ids).exclude(email="")
        addresses = [u.email for u in users]
        if addresses:
            send_mail(notice.subject, notice.body, None, addresses, fail_silently=False)


DEFAULT_SMS: dict[str, Any] = {
    "url": "",  # the gateway endpoint, e.g. http://sms-gw.internal/send
    "token": "",  # sent as "Authorization: Bearer <token>" when set
    "sign": "明湖区12345",
    "template": "【{sign}】{subject}。{body}",
    "templates": {"rating_link": "【{sign}】您反映的诉求 {appeal_number} 已办理答复，请评价：{url}"},
    "retries": 3,
    "backoff_s": 0.5,
    "timeout_s": 5,
}


class SmsError(Exception):
    pass


class SmsGatewayNotifier:
    """POSTs ``{"phone": ..., "text": ...}`` as JSON per recipient; retries 5xx and network errors.

    Recipients: ``notice.extra["phone"]`` (the citizen) and the StaffProfile phones of
    ``notice.user_ids``. The text comes from ``templates[kind]`` (kind before the colon)
    or ``template``, formatted with the notice's fields and ``extra``.
    """

    def __init__(self, config: dict[str, Any] | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = {**DEFAULT_SMS, **(config if config is not None else getattr(settings, "MINYI_SMS", {}))}
        self.sleep = sleep

    def text(self, notice: Notice) -> str:
        templates: dict[str, str] = self.config["templates"]
        template = templates.get(notice.kind) or templates.get(notice.kind.split(":")[0]) or self.config["template"]
        values = {"sign": self.config["sign"], "subject": notice.subject, "body": notice.body,
                  "appeal_number": notice.appeal_number, "url": "", **notice.extra}
        return str(template).format(**values)

    def phones(self, notice: Notice) -> list[str]:
        from minyi.directory.models import StaffProfile

        phones = [notice.extra["phone"]] if notice.extra.get("phone") else []
        if notice.user_ids:
            phones += [p for p in StaffProfile.objects.filter(user_id__in=notice.user_ids).values_list("phone", flat=True) if p]
        return phones

    def post(self, phone: str, text: str) -> None:
        url = self.config["url"]
        if not url:
            raise SmsError("MINYI_SMS['url'] is not set")
        body = json.dumps({"phone": phone, "text": text}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.config["token"]:
            headers["Authorization"] = f"Bearer {self.config['token']}"
        attempts = int(self.config["retries"]) + 1
        for attempt in range(attempts):
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - configured URL
            try:
                with urllib.request.urlopen(request, timeout=float(self.config["timeout_s"])) as response:  # noqa: S310
                    if 200 <= response.status < 300:
                        return
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    raise SmsError(f"SMS gateway refused the message: HTTP {exc.code}") from exc
                error: Exception = exc
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                error = exc
            else:
                error = SmsError("unexpected gateway status")
            if attempt + 1 < attempts:
                self.sleep(float(self.config["backoff_s"]) * (2**attempt))
        raise SmsError(f"SMS gateway failed after {attempts} attempts: {error}")

    def send(self, notice: Notice) -> None:
        text = self.text(notice)
        for phone in self.phones(notice):
            self.post(phone, text)


BACKENDS: dict[str, Callable[[], Notifier]] = {
    "null": NullNotifier,
    "inapp": InAppOnlyNotifier,
    "console": ConsoleNotifier,
    "locmem": LocmemNotifier,
    "email": EmailNotifier,
    "sms": SmsGatewayNotifier,
}

# Always-on receivers besides the backend (the in-app notification centre registers here).
SINKS: list[Callable[[Notice], None]] = []


def backend_names() -> list[str]:
    return [n.strip() for n in str(settings.MINYI_NOTIFY_BACKEND).split(",") if n.strip()]


def get_notifier() -> Notifier:
    names = backend_names()
    for name in names:
        if name not in BACKENDS:
            raise ValueError(f"unknown MINYI_NOTIFY_BACKEND {name!r}; choose one of {sorted(BACKENDS)}")
    if len(names) == 1:
        return BACKENDS[names[0]]()
    return _Fanout([BACKENDS[n]() for n in names])


class _Fanout:
    def __init__(self, notifiers: list[Notifier]) -> None:
        self.notifiers = notifiers

    def send(self, notice: Notice) -> None:
        for notifier in self.notifiers:
            try:
                notifier.send(notice)
            except Exception:
                logger.exception("notification %s via %s failed", notice.kind, type(notifier).__name__)


def deliver(notice: Notice) -> None:
    """Send a notice; a failing backend is logged, never allowed to undo the action."""
    if backend_names() == ["null"]:
        return
    for sink in SINKS:
        try:
            sink(notice)
        except Exception:
            logger.exception("notification sink %s failed for %s", getattr(sink, "__name__", sink), notice.kind)
    try:
        get_notifier().send(notice)
    except Exception:
        logger.exception("notification %s for %s failed", notice.kind, notice.appeal_number)
