"""A fresh, empty database per benchmark run, handed to a child process as DATABASE_URL."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def environment(backend: str, name: str) -> dict[str, str]:
    """Environment for a child process on a new ``name`` database of ``backend`` (sqlite or postgresql)."""
    env = {**os.environ, "MINYI_NOTIFY_BACKEND": "null", "MINYI_LOG_LEVEL": "WARNING"}
    if backend == "sqlite":
        db = REPO / "var" / f"{name}.sqlite3"
        db.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{db}"
    elif backend == "postgresql":
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{name}"
    else:
        raise ValueError(f"unknown backend {backend!r}: use sqlite or postgresql")
    return env
