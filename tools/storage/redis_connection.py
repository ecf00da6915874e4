"""Reaching Redis: a one-line error for a URL that cannot be used, a warning when it keeps nothing on disk."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio as aredis
from redis.backoff import NoBackoff
from redis.exceptions import AuthenticationError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from tools.errors import BadInput


def _connection_kwargs(client: redis.Redis | aredis.Redis) -> dict[str, Any]:
    return cast(dict[str, Any], client.get_connection_kwargs())


def redact_url(url: str) -> str:
    """`url` with its password replaced by "***", safe to print."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "<unparseable REDIS_URL>"
    if not password:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username or ''}:***@{host}"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _client_url(client: redis.Redis) -> str:
    kwargs = _connection_kwargs(client)
    if kwargs.get("path"):
        return f"unix://{kwargs['path']}"
    return f"redis://{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"


def _explain(exc: BaseException, url: str) -> BadInput:
    """Turn a redis-py failure into one line naming the problem and the fix, without the password."""
    shown = redact_url(url)
    text = str(exc)
    password = None
    try:
        password = urlsplit(url).password
    except ValueError:
        pass
    if password:
        text = text.replace(password, "***")
    lowered = text.lower()
    if isinstance(exc, ValueError):
        return BadInput(f"REDIS_URL {shown} is not a Redis URL ({text}); use redis://[:PASSWORD@]host:6379/0")
    if isinstance(exc, AuthenticationError):
        if "without any password" in lowered or "no password is set" in lowered:
            return BadInput(
                f"Redis at {shown} has no password set but REDIS_URL gives one; remove it from REDIS_URL"
            )
        # redis-py 8 opens with HELLO, which a password-protected server refuses with "HELLO must be called
        # with the client already authenticated"; older clients see "NOAUTH Authentication required".
        if any(s in lowered for s in ("authentication required", "noauth", "already authenticated")):
            return BadInput(
                f"Redis at {shown} needs a password; put it in REDIS_URL as redis://:PASSWORD@host:port/0"
            )
        return BadInput(
            f"Redis at {shown} rejected the user or password in REDIS_URL (WRONGPASS); fix it in REDIS_URL"
        )
    if isinstance(exc, RedisTimeoutError | TimeoutError):
        return BadInput(f"Redis at {shown} did not answer in time; check REDIS_URL and that the server is up")
    if isinstance(exc, RedisConnectionError | OSError):
        if "refused" in lowered:
            reason = "connection refused"
        elif any(
            s in lowered
            for s in ("name or service not known", "nodename nor servname", "name resolution", "getaddrinfo")
        ):
            reason = "unknown host"
        else:
            reason = text.rstrip(".") or type(exc).__name__
        return BadInput(f"cannot reach Redis at {shown} ({reason}); check REDIS_URL or start redis-server")
    if isinstance(exc, ResponseError) and "db index is out of range" in lowered:
        return BadInput(
            f"Redis at {shown} has no such database number; use a smaller /N at the end of REDIS_URL"
        )
    return BadInput(f"Redis at {shown} cannot be used ({text}); check REDIS_URL")


def check_redis(url: str, *, timeout_s: float = 3.0) -> None:
    """Ping Redis at `url` once; raise BadInput with one line naming the problem and the fix."""
    try:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=timeout_s,
            socket_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),
        )
    except ValueError as exc:
        raise _explain(exc, url) from None
    try:
        client.ping()
    except Exception as exc:
        raise _explain(exc, url) from None
    finally:
        client.close()


def persistence_warning(client: redis.Redis) -> str | None:
    """One line of warning when the server keeps nothing on disk; None if it does or CONFIG is refused."""
    try:
        appendonly = client.config_get("appendonly").get("appendonly")
        save = client.config_get("save").get("save")
    except ResponseError:
        return None
    if appendonly == "no" and not save:
        return (
            f"Redis at {_client_url(client)} keeps nothing on disk (appendonly no, save ''): "
            "a Redis restart loses every run; start it with --appendonly yes"
        )
    return None
