"""Field-level encryption of personal data with the national algorithms (密评): SM4-GCM and HMAC-SM3.

``EncryptedCharField`` keeps a citizen's phone (or ID) number encrypted at rest: the column holds
``v<key id>:<base64 of nonce ‖ ciphertext ‖ tag>``, SM4 in GCM mode with a random 96-bit nonce and the
field's name as associated data (a ciphertext copied into another column does not decrypt). The ORM
is transparent: instances and ``values()`` carry plaintext, the database never sees it.

Equality look-ups go through a **blind index** (``BlindIndexField``): ``<key id>:<hex>``, a keyed
HMAC-SM3 of the normalised value (digits only for phones), truncated to 128 bits and indexed. The
index key is derived from each encryption key, so a look-up asks for the index under every key it
holds (:meth:`Keyring.blind_indexes`) and keeps working while ``minyi keys rotate`` moves rows from
the old key to the new one. Plaintext look-ups on the encrypted column raise instead of silently
finding nothing.

A ciphertext under an unknown key id, or one that fails authentication (wrong key, altered
row), raises :class:`PiiCryptoError`: never an empty phone number that looks like an anonymous
caller.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django import forms
from django.conf import settings
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact, IsNull

NONCE_BYTES = 12  # 96 bits, the GCM nonce size that needs no extra hashing
TAG_BYTES = 16
INDEX_BYTES = 16  # 128 bits of HMAC-SM3: collisions are out of reach at any table size
_TOKEN = re.compile(r"^v(\d+):([A-Za-z0-9+/]+={0,2})$")
_INDEX_LABEL = b"minyi blind index v1"


class PiiCryptoError(Exception):
    """Encrypted personal data that cannot be read: unknown key id, wrong key or an altered value."""


def _sm3_hmac(key: bytes, data: bytes) -> bytes:
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


class Keyring:
    """The SM4 keys by id (from ``settings.MINYI_PII_KEYS``); the highest id is the current one."""

    def __init__(self, keys: Mapping[int, bytes]) -> None:
        if not keys:
            raise PiiCryptoError("没有可用的个人信息加密密钥（MINYI_PII_KEYS）")
        self.keys = keys
        self.current_id = max(keys)
        self._index_keys = {kid: _sm3_hmac(key, _INDEX_LABEL) for kid, key in keys.items()}

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        encryptor = Cipher(algorithms.SM4(self.keys[self.current_id]), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(context.encode())
        body = encryptor.update(plaintext.encode()) + encryptor.finalize()
        blob = base64.b64encode(nonce + body + encryptor.tag).decode()
        return f"v{self.current_id}:{blob}"

    def decrypt(self, token: str, *, context: str) -> str:
        match = _TOKEN.match(token)
        if match is None:
            raise PiiCryptoError(f"{context} 的值不是密文（可能是未加密的明文或被改动）")
        kid = int(match.group(1))
        if kid not in self.keys:
            raise PiiCryptoError(f"{context} 的密文使用密钥 {kid}，当前未配置该密钥（MINYI_PII_KEYS）")
        try:
            blob = base64.b64decode(match.group(2), validate=True)
        except (binascii.Error, ValueError):
            raise PiiCryptoError(f"{context} 的密文已损坏") from None
        nonce, body, tag = blob[:NONCE_BYTES], blob[NONCE_BYTES:-TAG_BYTES], blob[-TAG_BYTES:]
        if len(tag) != TAG_BYTES or len(nonce) != NONCE_BYTES:
            raise PiiCryptoError(f"{context} 的密文已损坏")
        decryptor = Cipher(algorithms.SM4(self.keys[kid]), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(context.encode())
        try:
            return (decryptor.update(body) + decryptor.finalize()).decode()
        except InvalidTag:
            raise PiiCryptoError(f"{context} 无法用密钥 {kid} 解密：密钥不符或数据被改动") from None

    def blind_index(self, normalised: str, key_id: int | None = None) -> str:
        kid = self.current_id if key_id is None else key_id
        return f"{kid}:{_sm3_hmac(self._index_keys[kid], normalised.encode())[:INDEX_BYTES].hex()}"

    def blind_indexes(self, normalised: str) -> list[str]:
        """The value's index under every key held: what a look-up asks for, during a rotation too."""
        return [self.blind_index(normalised, kid) for kid in sorted(self.keys, reverse=True)]


def key_id_of(token: str) -> int | None:
    match = _TOKEN.match(token or "")
    return int(match.group(1)) if match else None


_ring: Keyring | None = None


def keyring() -> Keyring:
    """The keyring for the current settings (rebuilt when tests override ``MINYI_PII_KEYS``)."""
    global _ring
    keys = settings.MINYI_PII_KEYS
    if _ring is None or _ring.keys is not keys:
        _ring = Keyring(keys)
    return _ring


# ----- normalisation before the blind index ---------------------------------------------------------


def digits_only(value: str) -> str:
    """``+86 138-1234 5678`` and ``13812345678`` index alike."""
    digits = re.sub(r"\D", "", value)
    if value.strip().startswith("+86") and digits.startswith("86"):
        digits = digits[2:]
    return digits


def upper_stripped(value: str) -> str:
    """ID numbers: the check character ``x`` and ``X`` are the same."""
    return re.sub(r"\s", "", value).upper()


NORMALISERS: dict[str, Callable[[str], str]] = {"digits": digits_only, "upper": upper_stripped}


# ----- model fields ----------------------------------------------------------------------------------


class _EmptyOnlyExact(Exact):  # type: ignore[type-arg]
    """``phone=""`` (no phone given) still works; any other value must use the blind index."""

    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None):
            raise FieldError(
                f"{self.lhs.target.model.__name__}.{self.lhs.target.name} is encrypted: look it up through its blind "
                "index (e.g. Appeal.objects.with_phone(...)), a plaintext comparison never matches"
            )
        return super().get_prep_lookup()


class EncryptedCharField(models.TextField):  # type: ignore[type-arg]
    """A short text (phone, ID number) stored encrypted with SM4-GCM; ``max_length`` bounds the plaintext.

    ``context`` (the associated data) defaults to ``<app>.<model>.<field>``; pass it explicitly
    when renaming a model or field so that existing ciphertexts keep decrypting.
    """

    description = "SM4-GCM encrypted text"

    def __init__(self, *args: Any, context: str = "", **kwargs: Any) -> None:
        self.explicit_context = context
        self.context = context
        super().__init__(*args, **kwargs)

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only)
        if not self.explicit_context:
            self.context = f"{cls._meta.app_label}.{cls._meta.object_name}.{name}".lower()

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.explicit_context:
            kwargs["context"] = self.explicit_context
        return name, path, args, kwargs

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return _EmptyOnlyExact
        if lookup_name == "isnull":
            return IsNull
        return None  # icontains, in, startswith… cannot work on ciphertext: Django raises FieldError

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        return keyring().decrypt(value, context=self.context)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value  # "" stays "": no phone given is not a secret, and exclude(phone="") keeps working
        return keyring().encrypt(str(value), context=self.context)

    def formfield(self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any) -> Any:
        # A one-line input, not the TextField's textarea: the plaintext is a phone or ID number.
        return super().formfield(form_class=form_class, choices_form_class=choices_form_class, **{"widget": forms.TextInput, **kwargs})


class BlindIndexField(models.CharField):  # type: ignore[type-arg]
    """``<key id>:<HMAC-SM3 hex>`` of another field's normalised plaintext, set on every save and bulk_create."""

    description = "Blind index (HMAC-SM3) of an encrypted field"

    def __init__(self, *args: Any, source: str = "", normalise: str = "digits", **kwargs: Any) -> None:
        if normalise not in NORMALISERS:
            raise ValueError(f"unknown normaliser {normalise!r}; one of {sorted(NORMALISERS)}")
        self.source = source
        self.normalise = normalise
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["normalise"] = self.normalise
        for key, default in (("max_length", 40), ("blank", True), ("editable", False), ("db_index", True)):
            if kwargs.get(key) == default:
                kwargs.pop(key)
        return name, path, args, kwargs

    def normalised(self, plaintext: str) -> str:
        return NORMALISERS[self.normalise](plaintext or "")

    def index_for(self, plaintext: str, key_id: int | None = None) -> str:
        normalised = self.normalised(plaintext)
        return keyring().blind_index(normalised, key_id) if normalised else ""

    def lookup_values(self, plaintext: str) -> list[str]:
        normalised = self.normalised(plaintext)
        return keyring().blind_indexes(normalised) if normalised else []

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = self.index_for(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


def blind_lookup(model: type[models.Model], index_field: str, plaintext: str) -> models.Q:
    """``Q`` matching rows whose encrypted source equals ``plaintext`` (normalised); matches nothing for ""."""
    field = model._meta.get_field(index_field)
    assert isinstance(field, BlindIndexField)
    values = field.lookup_values(plaintext)
    return models.Q(**{f"{index_field}__in": values}) if values else models.Q(pk__in=[])


def encrypted_fields() -> Iterator[tuple[type[models.Model], EncryptedCharField, BlindIndexField | None]]:
    """Every encrypted column of the project with its blind index, for ``minyi keys``."""
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedCharField):
                index = next(
                    (f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField) and f.source == field.name), None
                )
                yield model, field, index
