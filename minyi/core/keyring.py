"""Keys for the field encryption of personal data (SM4), read from the environment — never from the database.

``settings.py`` calls :func:`load_pii_keys` while it loads, so this module imports nothing from
Django that touches settings or the apps registry.

* ``MINYI_PII_KEYS="1:<32 hex digits>,2:<base64 of 16 bytes>"`` — key id → 16-byte SM4 key;
* ``MINYI_PII_KEY_FILE=/etc/minyi/pii.keys`` — the same, one ``id:key`` a line, ``#`` starts a comment
  (mode 0400, owned by the service account: the key stays out of the process list and the unit file).

The highest id encrypts, every id decrypts (so a new key can be added before ``minyi keys rotate``
re-encrypts the old rows). In debug mode without keys, key id 0 is derived from ``SECRET_KEY`` so
that ``make demo`` needs no setup; outside debug mode a missing key stops the process.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from django.core.exceptions import ImproperlyConfigured

KEY_BYTES = 16  # SM4 is a 128-bit block cipher with a 128-bit key
DEV_KEY_ID = 0
_HEX_KEY = re.compile(r"^[0-9a-fA-F]{32}$")

GENERATE_HINT = "python -c \"import secrets; print('1:' + secrets.token_hex(16))\""


def _decode_key(text: str, *, source: str, key_id: int) -> bytes:
    if _HEX_KEY.match(text):
        return bytes.fromhex(text)
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        # Never echo the key material itself into an error message or a log.
        raise ImproperlyConfigured(f"{source}: key {key_id} is not 16 bytes in hex (32 digits) or base64")
    return key


def parse_keys(text: str, *, source: str) -> dict[int, bytes]:
    """``"1:<key>,2:<key>"`` or one ``id:key`` a line → ``{1: b"...", 2: b"..."}``."""
    keys: dict[int, bytes] = {}
    for raw in re.split(r"[,\n]", text):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key_id, sep, material = line.partition(":")
        if not sep or not key_id.strip().isdigit() or int(key_id) < 1:
            raise ImproperlyConfigured(f"{source}: each entry must read '<id>:<key>' with a key id of 1 or more")
        number = int(key_id)
        if number in keys:
            raise ImproperlyConfigured(f"{source}: key id {number} appears twice")
        keys[number] = _decode_key(material.strip(), source=source, key_id=number)
    return keys


def dev_key(secret_key: str) -> bytes:
    """Debug mode only: a stable key derived from SECRET_KEY, so a demo database stays readable."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(b"minyi pii development key\x00" + secret_key.encode())
    return digest.finalize()[:KEY_BYTES]


def load_pii_keys(environ: Mapping[str, str], *, debug: bool, secret_key: str) -> dict[int, bytes]:
    keys: dict[int, bytes] = {}
    if text := environ.get("MINYI_PII_KEYS", "").strip():
        keys.update(parse_keys(text, source="MINYI_PII_KEYS"))
    if path := environ.get("MINYI_PII_KEY_FILE", "").strip():
        try:
            content = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ImproperlyConfigured(f"MINYI_PII_KEY_FILE {path} cannot be read: {exc.strerror}") from None
        for number, key in parse_keys(content, source=path).items():
            if keys.get(number, key) != key:
                raise ImproperlyConfigured(f"key id {number} differs between MINYI_PII_KEYS and {path}")
            keys[number] = key
    if debug:
        # Key 0 keeps decrypting a demo database written before a real key was set; never in production.
        keys.setdefault(DEV_KEY_ID, dev_key(secret_key))
    if not keys:
        raise ImproperlyConfigured(
            "MINYI_PII_KEYS or MINYI_PII_KEY_FILE is unset: phone numbers are stored encrypted with SM4 and "
            f"production needs a key kept outside the database. Generate one with {GENERATE_HINT}, "
            "keep it in a key file or the service's secret store, or run with MINYI_DEBUG=1."
        )
    return keys
