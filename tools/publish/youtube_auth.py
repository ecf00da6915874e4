"""`reelforge auth youtube`: Google's installed-app OAuth flow, and the token file it leaves (mode 0600)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from google_auth_oauthlib.flow import InstalledAppFlow

from tools.errors import BadInput, ServiceUnavailable, first_line
from tools.secrets import redact

__all__ = ["SCOPES", "authorize", "write_token_file"]

# Least privilege that still covers everything the publisher does. The YouTube Data API's discovery
# document lists youtube.upload among the scopes of both videos.insert and thumbnails.set, so neither the
# full `youtube` scope nor `youtube.force-ssl` is needed; find() lists the channel's uploads
# (channels.list, playlistItems.list, videos.list), which youtube.readonly covers.
SCOPES = [
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube.readonly",
]

_WHERE_TO_GET_SECRETS = (
    "create one in the Google Cloud console (APIs & Services → Credentials → Create credentials → "
    "OAuth client ID → Desktop app), download its JSON and point YOUTUBE_CLIENT_SECRETS at it"
)


def authorize(
    client_secrets: Path,
    token_file: Path,
    *,
    port: int = 0,
    open_browser: bool = True,
    timeout_s: float | None = None,
) -> Path:
    """Run the browser sign-in for the YouTube scopes and save the token to `token_file` (mode 0600)."""
    client_secrets = Path(client_secrets)
    if not client_secrets.is_file():
        raise BadInput(f"no OAuth client secrets at {client_secrets}; {_WHERE_TO_GET_SECRETS}")
    try:
        flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets), SCOPES)
    except (ValueError, KeyError, OSError) as exc:
        # ValueError is also what json raises on a file that is not JSON at all.
        raise BadInput(
            f"{client_secrets} is not a Desktop-app OAuth client ({type(exc).__name__}); "
            f"{_WHERE_TO_GET_SECRETS}"
        ) from None
    try:
        # prompt=consent: Google hands out a refresh token only on a consent screen, and a token file
        # without one stops working within the hour.
        credentials = flow.run_local_server(
            port=port, open_browser=open_browser, timeout_seconds=timeout_s, prompt="consent"
        )
    except OSError as exc:
        # requests' errors are OSErrors too: Google's token endpoint could not be reached.
        raise ServiceUnavailable(
            f"the YouTube sign-in could not reach Google ({_detail(exc)}); check the network and run "
            f"'reelforge auth youtube' again"
        ) from None
    except Exception as exc:
        # Whatever else the flow raises (a timeout, a denied consent, a refused code) ends the sign-in
        # the same way; its text comes from Google's answer, so only a redacted first line is shown.
        raise BadInput(
            f"the YouTube sign-in did not complete ({_detail(exc)}); run 'reelforge auth youtube' again"
        ) from None
    return write_token_file(token_file, credentials.to_json())


def write_token_file(token_file: Path, token_json: str) -> Path:
    """Write a token's JSON atomically to `token_file`, readable by its owner only (0600) from the start."""
    json.loads(token_json)  # a token that is not JSON would only fail later, at upload time
    token_file = Path(token_file)
    token_file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{token_file.name}.", suffix=".partial", dir=token_file.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            # mkstemp creates the file 0600 already; fchmod makes sure of it before a byte of the secret
            # is written, whatever the filesystem.
            os.fchmod(handle.fileno(), 0o600)
            handle.write(token_json)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, token_file)
    finally:
        tmp.unlink(missing_ok=True)
    return token_file


def _detail(exc: BaseException) -> str:
    return redact(first_line(exc))
