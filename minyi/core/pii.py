"""What a user is shown of an appeal's personal data: masked by default, in full only after an audited reveal.

Every page, list, export and API response goes through :func:`present` (one appeal) or
:func:`mask_text` / :func:`mask_phone` (one value). The contact phone is shown as ``138****5678``;
ID, phone and bank-card numbers and e-mail addresses typed into the title, content, reply, rating
comment or a timeline reason are masked (``110***********1234``). Plates stay visible: the
traffic police act on them, and they identify a car, not its owner.

Even roles that may see personal data (:func:`minyi.core.roles.may_reveal_pii`) see it masked
until they press 查看完整信息 (``appeals.services.reveal_personal_data``), which writes a REVEAL_PII
row to the security log. Exports and the API pass ``reveal=True`` only on the same terms (the
caller records the security event: EXPORT_PII for an export).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from minyi.core.roles import may_reveal_pii
from minyi.triage.pii import PiiKind, find_pii, mask_pii

if TYPE_CHECKING:
    from minyi.appeals.models import Appeal

# Kinds masked in free text; plates are left alone (see the module docstring).
MASKED_KINDS: set[PiiKind] = {"id_number", "phone", "bank_card", "email"}
TEXT_FIELDS = ("title", "content", "reply_text", "rating_comment")


def mask_text(text: str) -> str:
    """The text with ID, phone and bank-card numbers and e-mail addresses masked."""
    return mask_pii(text, kinds=MASKED_KINDS) if text else text


def mask_phone(phone: str) -> str:
    """``138****5678``: the carrier prefix and last four digits are what staff use on the phone."""
    from minyi.appeals.validators import mask_phone as mask

    return mask(phone) if phone else phone


_HOUSE = re.compile(r"[0-9０-９一二三四五六七八九十百零甲乙丙丁A-Za-z-]+(?=[号幢栋座单元室楼层户])")


def mask_name(name: str) -> str:
    """陈国华 → 陈**: enough for a leader to read a case, not to identify the caller."""
    name = (name or "").strip()
    return name[:1] + "*" * min(len(name) - 1, 3) if len(name) > 1 else name


def mask_address(address: str) -> str:
    """明湖路188号3幢402室 → 明湖路*号*幢*室: the street stays, the door does not."""
    return _HOUSE.sub("*", address or "")


# "陈国华先生", "王阿姨": a name before a form of address. Not every name, but the usual way a reply names a caller.
_ADDRESSED = re.compile(r"[\u4e00-\u9fff]{1,3}(?=(先生|女士|小姐|同志|阿姨|师傅|大爷|大妈|老师))")
_DIGITS = re.compile(r"\d{4,}")


def mask_people_and_doors(text: str) -> str:
    """For overseeing roles: 陈国华先生 → 某先生, 明湖路188号3幢402室 → 明湖路*号*幢*室."""
    return mask_address(_ADDRESSED.sub("某", text or ""))


def searchable(query: str, user_may_reveal: bool) -> bool:
    """Whether a free-text search may run over titles for this user: not with a long run of digits for a
    user who sees numbers masked, or searching would confirm the masked digits one guess at a time."""
    return user_may_reveal or not _DIGITS.search(query)


def has_pii(text: str) -> bool:
    return any(m.kind in MASKED_KINDS for m in find_pii(text or ""))


@dataclass(frozen=True, slots=True)
class AppealView:
    """An appeal's personal fields as this user may see them now."""

    phone: str
    submitter_name: str
    address: str
    title: str
    content: str
    reply_text: str
    rating_comment: str
    revealed: bool  # shown in full (after an audited reveal)
    can_reveal: bool  # the user may ask for the full data (show the 查看完整信息 button)
    has_personal_data: bool  # a phone, or personal data in the text: something to reveal at all

    def reason(self, text: str) -> str:
        """A timeline reason (退单理由, 督办事由 …), masked unless revealed."""
        return text if self.revealed else mask_text(text)

    def as_dict(self) -> dict[str, str]:
        return {"phone": self.phone, **{name: getattr(self, name) for name in TEXT_FIELDS}}


def personal_fields(appeal: Appeal) -> list[str]:
    """The fields of this appeal that hold personal data (what a reveal shows, for the security log)."""
    fields = ["phone"] if appeal.phone else []
    return fields + [name for name in TEXT_FIELDS if has_pii(getattr(appeal, name))]


def present(appeal: Appeal, user: Any, *, reveal: bool = False) -> AppealView:
    """The appeal's personal fields for ``user``: in full only if ``reveal`` and the user may reveal.

    ``reveal=True`` is for the caller that has just recorded the reveal (or the export) in the
    security log; a user without the permission gets the masked view whatever the caller asks.
    """
    allowed = may_reveal_pii(user)
    if reveal and allowed:
        return AppealView(
            phone=appeal.phone,
            submitter_name=appeal.submitter_name,
            address=appeal.address,
            title=appeal.title,
            content=appeal.content,
            reply_text=appeal.reply_text,
            rating_comment=appeal.rating_comment,
            revealed=True,
            can_reveal=True,
            has_personal_data=True,
        )
    masked = {name: mask_text(getattr(appeal, name)) for name in TEXT_FIELDS}
    if not allowed:  # leaders, supervisors: no caller's name or door in free text either
        masked = {name: mask_people_and_doors(value) for name, value in masked.items()}
    changed = bool(appeal.phone) or any(masked[name] != getattr(appeal, name) for name in TEXT_FIELDS)
    # Names and house numbers: in full for the roles that act on the appeal (a handler goes to the door),
    # masked for those who only oversee it (leaders, supervisors) and for anyone else.
    enterprise = appeal.submitter_type == "enterprise"
    return AppealView(
        phone=mask_phone(appeal.phone),
        submitter_name=appeal.submitter_name if allowed or enterprise else mask_name(appeal.submitter_name),
        address=appeal.address if allowed else mask_address(appeal.address),
        **masked,
        revealed=False,
        can_reveal=allowed and changed,
        has_personal_data=changed,
    )
