"""`reelforge mcp`: the MCP server for desktop assistants and workflow tools (stdio, or streamable HTTP)."""

from __future__ import annotations

from typing import Annotated

import typer

from graph.cli_common import EXIT_BAD_INPUT, app, errors, fail, services

DEFAULT_PORT = 8421


@app.command("mcp")
def mcp_server(
    http: Annotated[
        bool, typer.Option("--http", help="Serve streamable HTTP at http://HOST:PORT/mcp instead of stdio.")
    ] = False,
    host: Annotated[
        str | None,
        typer.Option(
            help="With --http: the address to bind (default 127.0.0.1); anything but loopback needs "
            "REELFORGE_API_TOKEN."
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help=f"With --http: the port to listen on (default {DEFAULT_PORT}).", min=1, max=65535),
    ] = None,
) -> None:
    """Serve reelforge's operations as MCP tools for assistants, on stdin and stdout (or HTTP with --http)."""
    if not http and (host is not None or port is not None):
        raise fail(
            "--host and --port set where --http listens; add --http, or drop them for stdio", EXIT_BAD_INPUT
        )
    from graph.api.security import is_loopback

    bind = host or "127.0.0.1"
    with errors():
        found = services()
    if http and not is_loopback(bind) and not found.settings.api_token:
        raise fail(
            f"refusing to bind {bind} without a token: set REELFORGE_API_TOKEN (MCP clients then send "
            "'Authorization: Bearer <token>'), or bind 127.0.0.1",
            EXIT_BAD_INPUT,
        )
    from graph.mcp_server import build_server, http_app, operations_for, serve_stdio

    with errors():
        ops = operations_for(found, local=not http)
        found.start_logging()
        server = build_server(ops)
    try:
        if not http:
            import anyio

            with errors():
                anyio.run(serve_stdio, server)
            return
        import uvicorn

        listen = port or DEFAULT_PORT
        where = f"http://{bind if ':' not in bind else f'[{bind}]'}:{listen}/mcp"
        typer.echo(f"reelforge MCP server on {where}; Ctrl-C stops it", err=True)
        with errors():
            application = http_app(server, host=bind, token=found.settings.api_token)
            uvicorn.run(application, host=bind, port=listen, log_level="warning", access_log=False)
    finally:
        ops.launcher.close()
