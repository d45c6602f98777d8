"""Time from ``make demo`` on a fresh clone to the first 200 on the login page.

    python bench/demo_start.py --repo . --port 8600 [--ref HEAD] [--workdir /tmp/demo-start]

Clones ``--ref`` of ``--repo`` into a new directory, runs ``make setup`` there (timed on its own: the
pip and npm install, from the local caches), then ``make demo PORT=…`` and polls
``http://127.0.0.1:PORT/login`` until it answers 200. Prints the phases and a final ``key=value`` line.
The demo (and its background model training) is stopped at the end; the clone is left for inspection.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path


def _first_200(url: str, proc: subprocess.Popen[bytes], limit_s: float) -> float | None:
    start = time.monotonic()
    while time.monotonic() - start < limit_s:
        if proc.poll() is not None:
            return None
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own loopback server
                if response.status == 200:
                    return time.monotonic() - start
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.5)
    return None


def _cpu_seconds(root: int) -> float:
    """CPU seconds (user + system, children that ended included) of ``root`` and its descendants, not counting
    the background model trainer: the work a machine with a free core does before the site answers."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "--model-only" in cmdline:
            continue
        parents[int(entry.name)] = int(fields[1])
        stats[int(entry.name)] = fields
    total = 0.0
    for pid, fields in stats.items():
        walk = pid
        while walk not in (root, 0, 1) and walk in parents:
            walk = parents[walk]
        if walk == root:
            total += sum(int(fields[i]) for i in (11, 12, 13, 14)) / tick  # utime stime cutime cstime
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", default=".", help="repository to clone (default: this one)")
    parser.add_argument("--ref", default="HEAD")
    parser.add_argument("--port", type=int, default=8600)
    parser.add_argument("--workdir", help="where to clone (default: a new temporary directory)")
    parser.add_argument("--limit", type=float, default=1200.0, help="give up after this many seconds")
    parser.add_argument("--wait-model", action="store_true", help="after the first 200, also wait for the background model")
    parser.add_argument("--direct", action="store_true", help="run `.venv/bin/minyi demo --port P` (for revisions whose Makefile takes no PORT)")
    parser.add_argument("--reuse", action="store_true", help="keep the clone and its .venv from an earlier run; start from an empty var/")
    args = parser.parse_args()

    work = Path(args.workdir or tempfile.mkdtemp(prefix="minyi-demo-start-"))
    if args.reuse and (work / ".venv" / ".installed").is_file():
        subprocess.run(["git", "-C", str(work), "fetch", "--quiet", str(Path(args.repo).resolve()), args.ref], check=True)
        subprocess.run(["git", "-C", str(work), "checkout", "--quiet", "FETCH_HEAD"], check=True)
        shutil.rmtree(work / "var", ignore_errors=True)  # as after a fresh clone: no database, no model, no logs
    else:
        if work.exists():
            shutil.rmtree(work)
        subprocess.run(["git", "clone", "--quiet", str(Path(args.repo).resolve()), str(work)], check=True)
        subprocess.run(["git", "-C", str(work), "checkout", "--quiet", args.ref], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MINYI_", "DATABASE_URL", "DJANGO_"))}

    started = time.monotonic()
    subprocess.run(["make", "setup"], cwd=work, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    setup_s = time.monotonic() - started
    print(f"make setup (pip + npm from local caches; a no-op with --reuse): {setup_s:.0f} s")

    log = (work / "demo.log").open("wb")
    started = time.monotonic()
    command = [str(work / ".venv" / "bin" / "minyi"), "demo", "--port", str(args.port)] if args.direct else ["make", "demo", f"PORT={args.port}"]
    if args.direct:
        env["MINYI_DEBUG"] = "1"  # what `make demo` exports
    proc = subprocess.Popen(command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        waited = _first_200(f"http://127.0.0.1:{args.port}/login", proc, args.limit)
        cpu = _cpu_seconds(proc.pid)
        model_s = None
        if waited is not None and args.wait_model:
            model = work / "var" / "models" / "triage.npz"
            while time.monotonic() - started < args.limit and not model.is_file():
                time.sleep(2)
            model_s = time.monotonic() - started if model.is_file() else None
            if model_s is not None:
                print(f"dispatch model written {model_s:.0f} s after `make demo` (site up all along)")
                # The site still answers once the model is in.
                print(f"login page after the model: HTTP {urllib.request.urlopen(f'http://127.0.0.1:{args.port}/login', timeout=30).status}")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
        # The background trainer runs in its own session: stop it too, by the pid the demo wrote down.
        pidfile = work / "var" / "logs" / "demo-model.pid"
        if pidfile.is_file():
            with contextlib.suppress(ProcessLookupError, ValueError):  # already finished
                os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
    load = os.getloadavg()[0]
    if waited is None:
        print(f"no 200 from the login page within {args.limit:.0f} s; see {work / 'demo.log'}")
        print(f"demo_first_200_s=nan demo_cpu_s=nan setup_s={setup_s:.0f} load1={load:.1f}")
        return 1
    print(f"make demo → first 200 on /login: {waited:.0f} s wall, {cpu:.0f} s CPU (since `make demo`, .venv already installed)")
    model_part = f" model_ready_s={model_s:.0f}" if model_s is not None else ""
    print(f"demo_first_200_s={waited:.0f} demo_cpu_s={cpu:.0f}{model_part} setup_s={setup_s:.0f} load1={load:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
