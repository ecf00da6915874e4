"""A private redis-server for tests: a free port on 127.0.0.1, its own temp dir, AOF on by default.

    server = RedisServer.start()          # waits until it answers PING
    server.url                            # redis://127.0.0.1:PORT/0
    server.restart()                      # same dir and port: AOF data survives
    server.kill()                         # SIGKILL, as a crash would
    server.stop()                         # SIGTERM, then remove the temp dir

If redis-server is missing, root installs it once with apt-get; anyone else gets a clear failure, never a
skip: CI must not pass without Redis.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REDIS_SERVER = "redis-server"
_INSTALL_ATTEMPTED = False


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_server_binary() -> str:
    """The path of redis-server, installing it with apt-get when running as root; fail clearly otherwise."""
    global _INSTALL_ATTEMPTED
    found = shutil.which(REDIS_SERVER) or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if found:
        return found
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get") and not _INSTALL_ATTEMPTED:
        _INSTALL_ATTEMPTED = True
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update"], check=False, capture_output=True, env=env, timeout=600)
        subprocess.run(
            ["apt-get", "install", "-y", "redis-server"],
            check=False,
            capture_output=True,
            env=env,
            timeout=600,
        )
        found = shutil.which(REDIS_SERVER)
        if found:
            return found
    raise RuntimeError(
        "redis-server is not installed and could not be installed here; "
        "install it (apt-get install redis-server) to run the Redis tests"
    )


@dataclass
class RedisServer:
    """One private redis-server process."""

    port: int
    dir: Path
    extra_args: tuple[str, ...] = ()
    password: str | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _owns_dir: bool = field(default=True, repr=False)

    @classmethod
    def start(
        cls,
        *,
        appendonly: bool = True,
        password: str | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> RedisServer:
        """Start a server on a free port in a fresh temp dir and wait until it answers PING."""
        args = ("--appendonly", "yes" if appendonly else "no", "--save", "", *extra_args)
        if password is not None:
            args += ("--requirepass", password)
        server = cls(port=free_port(), dir=Path(tempfile.mkdtemp(prefix="reelforge-redis-")), extra_args=args)
        server.password = password
        server._launch()
        return server

    @property
    def url(self) -> str:
        """redis://127.0.0.1:PORT/0, with the password when the server has one."""
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def url_for_db(self, db: int) -> str:
        """The URL of database number `db` on this server."""
        return self.url.rsplit("/", 1)[0] + f"/{db}"

    def _launch(self) -> None:
        command = [
            redis_server_binary(),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.dir),
            "--daemonize",
            "no",
            "--protected-mode",
            "no",
            "--databases",
            "64",
            *self.extra_args,
        ]
        log = (self.dir / "redis.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        log.close()
        self._wait_ready()

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                request = b"PING\r\n"
                if self.password:
                    request = f"AUTH {self.password}\r\n".encode() + request
                sock.sendall(request)
                reply = b""
                deadline = time.monotonic() + 1
                while b"PONG" not in reply and b"LOADING" not in reply and time.monotonic() < deadline:
                    chunk = sock.recv(1024)
                    if not chunk:
                        break
                    reply += chunk
                return b"PONG" in reply
        except OSError:
            return False

    def _wait_ready(self, timeout_s: float = 15) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                log = (self.dir / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"redis-server exited with {self.process.returncode}:\n{log}")
            if self._ping():
                return
            time.sleep(0.02)
        raise RuntimeError(f"redis-server on port {self.port} did not answer PING within {timeout_s} s")

    def _terminate(self, sig: int) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self, down_s: float = 0.0) -> None:
        """Stop the server (SIGTERM flushes the AOF), wait `down_s`, start it again on the same port."""
        self._terminate(signal.SIGTERM)
        time.sleep(down_s)
        self._launch()

    def kill(self) -> None:
        """SIGKILL the server, as a crash would; `restart()` brings it back with what the AOF kept."""
        self._terminate(signal.SIGKILL)

    def stop(self) -> None:
        """Stop the server and remove its temp dir."""
        self._terminate(signal.SIGTERM)
        if self._owns_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
