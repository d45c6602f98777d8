"""好差评 by the citizen: a signed, expiring link (no login) that records the rating as a callback.

The token names the appeal and its reopen round, so a link stops working once it has
been used (the appeal leaves 待回访) or the appeal was reopened (a new round, a new link).
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError

from minyi.accountability import config
from minyi.appeals.models import Appeal, CallbackMethod
from minyi.workflow.machine import State

SALT = "minyi.accountability.rating"


class LinkInvalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def make_token(appeal: Appeal) -> str:
    return signing.dumps({"a": appeal.pk, "r": appeal.reopen_count}, salt=SALT, compress=True)


def rating_url(appeal: Appeal) -> str:
    base = str(config.get("public_url")).rstrip("/")
    return f"{base}/accountability/rate/{make_token(appeal)}"


def appeal_for(token: str) -> Appeal:
    """The appeal a valid, unused, unexpired link rates; LinkInvalid (Chinese message) otherwise."""
    max_age = int(config.get("rating_link_days")) * 86400
    try:
        data: dict[str, Any] = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkInvalid("评价链接已过期，请拨打 12345 进行评价") from None
    except signing.BadSignature:
        raise LinkInvalid("评价链接无效") from None
    appeal_id = data.get("a")
    appeal = Appeal.objects.filter(pk=appeal_id).first() if isinstance(appeal_id, int) else None
    if appeal is None:
        raise LinkInvalid("评价链接无效")
    if appeal.state is not State.PENDING_CALLBACK or appeal.reopen_count != data.get("r"):
        raise LinkInvalid("该诉求已评价，感谢您的参与")
    return appeal


def rate(token: str, *, satisfaction: int, resolved: bool, comment: str = "") -> Appeal:
    """Record the citizen's own rating through the same callback action an operator uses."""
    from minyi.appeals.services import record_callback
    from minyi.workflow.services import CITIZEN

    appeal = appeal_for(token)
    if satisfaction not in range(1, 6):
        raise ValidationError({"satisfaction": ["请选择满意度"]})
    return record_callback(appeal, satisfaction=satisfaction, resolved=resolved, comment=comment.strip()[:2000], method=CallbackMethod.ONLINE, by=CITIZEN)
