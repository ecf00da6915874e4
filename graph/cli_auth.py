"""`reelforge auth youtube`: sign in to a YouTube channel once and keep the token for uploads."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graph.cli_common import EXIT_BAD_INPUT, app, echo_json, errors, fail
from graph.cli_runs import JsonOption

auth_app = typer.Typer(help="Sign in to the platforms reelforge publishes to.", no_args_is_help=True)
app.add_typer(auth_app, name="auth")


@auth_app.command("youtube")
def auth_youtube(
    client_secrets: Annotated[
        Path | None,
        typer.Option(
            "--client-secrets",
            metavar="FILE",
            help="The OAuth client JSON of a Desktop app from the Google Cloud console (or set"
            " YOUTUBE_CLIENT_SECRETS).",
        ),
    ] = None,
    port: Annotated[
        int,
        typer.Option(help="The local port Google sends you back to; 0 picks a free one.", min=0, max=65535),
    ] = 0,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the sign-in address instead of opening a browser.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Sign in to YouTube in a browser and store the token (mode 0600) that uploads use."""
    from graph.services import load_settings

    with errors():
        settings = load_settings()
    secrets = client_secrets or settings.publish.youtube.client_secrets
    if secrets is None:
        raise fail(
            "no OAuth client given; pass --client-secrets FILE or set YOUTUBE_CLIENT_SECRETS (Google Cloud"
            " console: APIs & Services, Credentials, OAuth client ID, Desktop app, Download JSON)",
            EXIT_BAD_INPUT,
        )
    from tools.publish.youtube_auth import authorize

    token = settings.youtube_token
    with errors():
        stored = authorize(secrets.expanduser(), token, port=port, open_browser=not no_browser)
    if as_json:
        echo_json({"target": "youtube", "token_file": str(stored)})
    else:
        typer.echo(f"signed in to YouTube; the token is in {stored} (readable by you only)")
