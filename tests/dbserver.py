"""A throwaway PostgreSQL server for the database samples: a cluster in a temporary folder, on a unix socket only.

`Server.start()` runs initdb and `pg_ctl start` (as the unprivileged user `nobody` when the tests run as root, since
PostgreSQL refuses to run as root) and `stop()` stops it and removes the folder; `start()` stops it again itself when
starting fails half-way. `unavailable()` says in one line why no server can be had here (no PostgreSQL binaries, no
asyncpg), for a skip.
"""
from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile

PORT = 5432  # only names the socket file (.s.PGSQL.5432): the folder is this server's own, and TCP is off
TIMEOUT = 60  # seconds for initdb and pg_ctl; each takes a second or two
UNPRIVILEGED = "nobody"


def binaries() -> str | None:
    """The folder holding initdb and pg_ctl: Debian's /usr/lib/postgresql/N/bin (the newest), or the PATH's."""
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    for folder in folders:
        if os.access(os.path.join(folder, "initdb"), os.X_OK) and os.access(os.path.join(folder, "pg_ctl"), os.X_OK):
            return folder
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return os.path.dirname(initdb)
    return None


def _version(folder: str) -> int:
    name = os.path.basename(os.path.dirname(folder))
    return int(name) if name.isdigit() else 0


def unavailable() -> str | None:
    """Why these tests cannot run here, in one line; None when they can."""
    if importlib.util.find_spec("asyncpg") is None:
        return "asyncpg is not installed (pip install asyncpg)"
    if binaries() is None:
        return "PostgreSQL's initdb and pg_ctl were not found (apt-get install postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(UNPRIVILEGED)
        except KeyError:
            return f"running as root and there is no user {UNPRIVILEGED!r} to run PostgreSQL as"
    return None


class Server:
    """One cluster: its folder, its socket, and the environment variables that point asyncpg (and psql) at it."""

    def __init__(self) -> None:
        self.folder = ""
        self.started = False

    @property
    def environ(self) -> dict[str, str]:
        """PGHOST and friends: asyncpg.connect() with no arguments reaches this server."""
        return {"PGHOST": self.folder, "PGPORT": str(PORT), "PGUSER": "postgres", "PGDATABASE": "postgres",
                "PGPASSWORD": ""}

    def start(self) -> None:
        """initdb and pg_ctl start; on any failure the server is stopped, the folder removed, and the error raised."""
        folder = binaries()
        if folder is None:
            raise RuntimeError(unavailable() or "no PostgreSQL binaries")
        self.folder = tempfile.mkdtemp(prefix="harness-pg-")
        try:
            self._start(folder)
        except BaseException:
            self.stop()
            raise

    def _start(self, binaries_folder: str) -> None:
        data = os.path.join(self.folder, "data")
        if os.geteuid() == 0:
            user = pwd.getpwnam(UNPRIVILEGED)
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self._run([os.path.join(binaries_folder, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
                   "--no-sync", "-E", "UTF8", "--locale=C"])
        options = f"-c listen_addresses='' -c unix_socket_directories={self.folder} -p {PORT} -c fsync=off"
        self._run([os.path.join(binaries_folder, "pg_ctl"), "-D", data, "-o", options, "-l",
                   os.path.join(self.folder, "log"), "-w", "-t", str(TIMEOUT), "start"])
        self.started = True

    def stop(self) -> None:
        """Stop the server (at once: its data is thrown away) and remove its folder; safe to call twice."""
        if not self.folder:
            return
        data = os.path.join(self.folder, "data")
        folder = binaries()
        if folder is not None and os.path.exists(os.path.join(data, "postmaster.pid")):
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self._run([os.path.join(folder, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"])
        self.started = False
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = ""

    def log(self) -> str:
        """The server's log, for a failure message."""
        try:
            with open(os.path.join(self.folder, "log"), encoding="utf-8", errors="replace") as file:
                return file.read()[-4000:]
        except OSError:
            return ""

    def _run(self, command: list[str]) -> None:
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", UNPRIVILEGED, "--", *command]
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT,
                              cwd=self.folder, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-4000:]}\n{self.log()}")
