"""Every error the API answers is JSON: {"error": "<one line: what went wrong and what to do>"}."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException

from tools.errors import BadInput, CheckpointStoreDamaged, InvalidField, ReelforgeError, first_line
from tools.home import RunBusy
from tools.secrets import redact


class ApiError(BaseModel):
    """What every error answers: one line saying what went wrong and what to do (some add fields)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"examples": [{"error": "no run called 'bees'; list runs with GET /runs"}]},
    )

    error: str


class FieldProblem(BaseModel):
    """One field of a refused request and what is wrong with it."""

    field: str
    problem: str


class ApiValidationError(ApiError):
    """A request whose fields do not fit the schema: the first problem, then each one."""

    fields: list[FieldProblem]


# The errors any route may answer, for the OpenAPI schema (the app's `responses`).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ApiError, "description": "The request cannot be used as it is; the message says why."},
    401: {"model": ApiError, "description": "The server has a token and the request did not send it."},
    404: {"model": ApiError, "description": "No such run, file or route."},
    409: {"model": ApiError, "description": "The run is busy elsewhere, or its checkpoints need attention."},
    413: {"model": ApiError, "description": "The request body is over the size limit."},
    422: {"model": ApiValidationError, "description": "A field is missing or has the wrong type."},
    503: {"model": ApiError, "description": "A store or service the request needs is not answering."},
}


def error_response(status: int, message: str, **extra: Any) -> JSONResponse:
    """A JSON error with one redacted line (line breaks, say in a field name a client sent, become spaces)."""
    line = " ".join(redact(message).splitlines())
    return JSONResponse({"error": line, **extra}, status_code=status)


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
