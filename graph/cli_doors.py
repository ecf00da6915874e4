"""`reelforge` commands that open doors for people and programs: serve (HTTP API and dashboard)."""

from __future__ import annotations

from typing import Annotated

import typer

from graph.cli_common import EXIT_BAD_INPUT, app, errors, fail, services, third_party_notice

DEFAULT_PORT = 8420


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind; anything but loopback needs REELFORGE_API_TOKEN.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = DEFAULT_PORT,
) -> None:
    """Serve the HTTP API (/docs), live run events (SSE) and the web dashboard."""
    from graph.api.security import is_loopback

    with errors():
        found = services()
    if not is_loopback(host) and not found.settings.api_token:
        raise fail(
            f"refusing to bind {host} without a token: set REELFORGE_API_TOKEN (clients then send "
            "'Authorization: Bearer <token>'), or bind 127.0.0.1",
            EXIT_BAD_INPUT,
        )
    import uvicorn

    from graph.api import create_app

    with errors():
        application = create_app(found)
    third_party_notice()
    where = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    typer.echo(f"reelforge serving on {where} (API docs at {where}/docs); Ctrl-C stops it", err=True)
    # Browsers and pollers reuse a connection for a few seconds; uvicorn's 5 s default closes some of them
    # just as a request is sent on them.
    uvicorn.run(
        application, host=host, port=port, log_level="warning", access_log=False, timeout_keep_alive=30
    )
