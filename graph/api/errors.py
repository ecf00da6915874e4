"""Every error the API answers is JSON: {"error": "<one line: what went wrong and what to do>"}."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from tools.errors import BadInput, CheckpointStoreDamaged, InvalidField, ReelforgeError, first_line
from tools.home import RunBusy
from tools.secrets import redact


def error_response(status: int, message: str, **extra: Any) -> JSONResponse:
    """A JSON error with one redacted line."""
    return JSONResponse({"error": redact(message), **extra}, status_code=status)


def _field(loc: Any) -> str:
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = exc.errors()
    first = problems[0] if problems else {"loc": ("body",), "msg": "is not valid"}
    message = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
    return error_response(
        422,
        f"{_field(first.get('loc', ()))}: {message}",
        fields=[{"field": _field(p.get("loc", ())), "problem": str(p.get("msg", ""))} for p in problems],
    )


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    messages = {404: "not found; see GET /docs for what this server offers", 405: "method not allowed here"}
    detail = exc.detail if isinstance(exc.detail, str) and exc.status_code not in messages else None
    response = error_response(exc.status_code, detail or messages.get(exc.status_code, "request refused"))
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


def _reelforge(request: Request, exc: Exception) -> JSONResponse:
    from graph.operations import UnknownRun

    message = first_line(exc)
    if isinstance(exc, UnknownRun):
        return error_response(404, message)
    if isinstance(exc, InvalidField):
        return error_response(400, message, field=exc.field)
    if isinstance(exc, RunBusy | CheckpointStoreDamaged):
        return error_response(409, message)
    if isinstance(exc, BadInput):
        return error_response(400, message)
    return error_response(503, message)


def install_error_handlers(app: FastAPI) -> None:
    """Answer validation errors, HTTP errors and our own errors as one-line JSON."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(ReelforgeError, _reelforge)
