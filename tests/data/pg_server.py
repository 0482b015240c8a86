"""A throwaway PostgreSQL server for the tests: a real cluster in a temporary folder, Unix socket only.

PostgreSQL refuses to run as root, so as root the cluster is created and run as the `postgres` user
(`runuser`). Each test gets its own database. `CONSENTDESK_TEST_PG_URL` points the tests at an existing
server instead. Under CI a server that cannot be started fails the PostgreSQL tests; elsewhere they skip
with the reason.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg


class ServerUnavailable(RuntimeError):
    pass


def _bindir() -> Path:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise ServerUnavailable("no PostgreSQL server binaries (install Debian's postgresql package)")


@dataclass
class PgServer:
    root: Path
    socket_dir: Path
    bindir: Path
    run_as: str | None
    port: int = 5432
    _counter: int = 0

    def url(self, database: str = "postgres", user: str = "postgres", password: str | None = None) -> str:
        auth = quote(user) + (f":{quote(password)}" if password else "")
        return f"postgresql://{auth}@/{database}?host={quote(str(self.socket_dir))}&port={self.port}"

    def admin(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(database), autocommit=True)

    def new_database(self, prefix: str = "cd") -> str:
        self._counter += 1
        name = f"{prefix}_{os.getpid()}_{self._counter}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        result = self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        if result.returncode != 0:
            raise ServerUnavailable(f"initdb failed: {result.stderr.strip()[-500:]}")
        # The superuser (tests' administrator) is trusted on the socket; everyone else signs in with a password.
        hba = "local all postgres trust\nlocal all all scram-sha-256\n"
        self._write_as_owner(self.data_dir / "pg_hba.conf", hba)
        self._launch("")
        deadline = time.monotonic() + 30
        while True:
            try:
                self.admin().close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _launch(self, listen: str, extra: str = "") -> None:
        options = (
            f"-c listen_addresses='{listen}' -c unix_socket_directories='{self.socket_dir}' -p {self.port} "
            f"-c fsync=off {extra}"
        )
        result = self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "start",
        )
        if result.returncode != 0:
            log_file = self.root / "server.log"
            log = log_file.read_text(errors="replace")[-800:] if log_file.exists() else ""
            raise ServerUnavailable(f"pg_ctl start failed: {result.stderr.strip()[-400:]} {log}")

    def _write_as_owner(self, path: Path, text: str) -> None:
        path.write_text(text)
        if self.run_as:
            info = pwd.getpwnam(self.run_as)
            os.chown(path, info.pw_uid, info.pw_gid)

    def database_files(self, database: str) -> bytes:
        """Every byte of one database's files under the cluster's base/ folder (after a checkpoint)."""
        with self.admin() as conn:
            conn.execute("CHECKPOINT")
            oid = conn.execute("SELECT oid FROM pg_database WHERE datname = %s", (database,)).fetchone()[0]
        folder = self.data_dir / "base" / str(oid)
        return b"".join(f.read_bytes() for f in sorted(folder.iterdir()) if f.is_file())

    def enable_tls(self) -> Path:
        """Serve TLS on 127.0.0.1 with a certificate for 'localhost' signed by a test CA; returns the CA's
        certificate (what a client must trust). Idempotent."""
        tls = self.root / "tls"
        if (tls / "ca.crt").exists():
            return tls / "ca.crt"
        tls.mkdir()
        _make_ca_and_server_cert(tls)
        for name in ("server.crt", "server.key"):
            target = self.data_dir / name
            target.write_bytes((tls / name).read_bytes())
            target.chmod(0o600)
            if self.run_as:
                info = pwd.getpwnam(self.run_as)
                os.chown(target, info.pw_uid, info.pw_gid)
        hba = (
            "local all postgres trust\nlocal all all scram-sha-256\n"
            "hostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 127.0.0.1/32 reject\n"
        )
        self._write_as_owner(self.data_dir / "pg_hba.conf", hba)
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        self._launch("127.0.0.1", "-c ssl=on")
        return tls / "ca.crt"

    def tcp_url(self, database: str, user: str, password: str, host: str = "localhost", **params: str) -> str:
        query = "&".join(f"{k}={quote(str(v))}" for k, v in params.items())
        return f"postgresql://{quote(user)}:{quote(password)}@{host}:{self.port}/{database}" + (
            f"?{query}" if query else ""
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")

    def restart(self) -> None:
        # -l again: without it the restarted server writes to our pipe and the call never returns.
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.root / "server.log"),
            "-m",
            "fast",
            "-w",
            "restart",
        )


def start_server() -> PgServer:
    bindir = _bindir()
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError as exc:
            raise ServerUnavailable(
                "running as root and there is no 'postgres' user to run the server"
            ) from exc
        run_as = "postgres"
    root = Path(tempfile.mkdtemp(prefix="cd-pg-"))
    socket_dir = root / "sock"
    socket_dir.mkdir()
    if run_as:
        info = pwd.getpwnam(run_as)
        for path in (root, socket_dir):
            os.chown(path, info.pw_uid, info.pw_gid)
    server = PgServer(root, socket_dir, bindir, run_as, port=54000 + os.getpid() % 1000)
    server.start()
    return server


@dataclass
class ExternalServer(PgServer):
    """An existing server named by a URL (its superuser's), used as it is: never started or stopped."""

    base_url: str = ""

    def __init__(self, base_url: str) -> None:
        super().__init__(Path("."), Path("."), Path("."), None)
        self.base_url = base_url

    def url(self, database: str = "postgres", user: str | None = None, password: str | None = None) -> str:
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(self.base_url)
        netloc = parts.netloc
        if user:
            host = netloc.rsplit("@", 1)[-1]
            netloc = quote(user) + (f":{quote(password)}" if password else "") + "@" + host
        return urlunsplit(parts._replace(path=f"/{database}", netloc=netloc))

    def stop(self) -> None:
        pass


def _make_ca_and_server_cert(folder: Path) -> None:
    """A throwaway certificate authority and a server certificate for localhost, made with openssl."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True, timeout=60)

    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=ConsentDesk test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
    )
    openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    )
    (folder / "san.ext").write_text("subjectAltName=DNS:localhost\n")
    openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.crt",
    )
    # A second authority that signed nothing here: trusting only it must fail verification.
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Some other CA",
        "-keyout",
        "other-ca.key",
        "-out",
        "other-ca.crt",
    )
