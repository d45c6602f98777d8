"""Exit 0 if the PostgreSQL server in DATABASE_URL form answers, else 1. Used by `make test`."""

from __future__ import annotations

import sys
from urllib.parse import urlparse

import psycopg


def main(url: str) -> int:
    parsed = urlparse(url)
    try:
        with psycopg.connect(host=parsed.hostname, port=parsed.port or 5432, user=parsed.username, dbname="postgres", connect_timeout=3):
            return 0
    except psycopg.Error:
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
