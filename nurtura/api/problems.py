"""RFC 9457 problem JSON for every error, with the field or JSON path at fault."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from nurtura.errors import (
    BadInput,
    Conflict,
    NurturaError,
    ProcessInvalid,
    UnknownContact,
    UnknownProcess,
    UnknownTemplate,
)

log = logging.getLogger("nurtura.api")


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "path": {"type": ["string", "null"]},
            "index": {"type": "integer"},
            "field": {"type": ["string", "null"]},
            "message": {"type": "string"},
        }}},
    },
}


def _doc(what: str) -> dict[str, Any]:
    return {"description": what, "content": {"application/problem+json": {
        "schema": PROBLEM_SCHEMA}}}


RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _doc("Bad input; `errors` names the field"),
    401: _doc("No or unknown API token"),
    403: _doc("The token lacks the scope"),
    404: _doc("Not found"),
    409: _doc("Clashes with what is stored"),
    413: _doc("Payload too large"),
    422: _doc("Invalid; `errors` lists every problem with its JSON path"),
}
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 409: "Conflict", 413: "Payload too large",
          415: "Unsupported media type", 422: "Unprocessable content", 500: "Server error"}


def problem(status: int, detail: str | None = None, errors: list[dict[str, Any]] | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": TITLES.get(status, "Error"),
                            "status": status}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type="application/problem+json",
                        headers=headers)


def _loc_path(loc: tuple[Any, ...]) -> str:
    out = "$"
    for part in loc[1:] if loc and loc[0] in ("body", "query", "path") else loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(ProcessInvalid)
    async def _invalid(_: Request, exc: ProcessInvalid) -> JSONResponse:
        return problem(422, "the process file has errors",
                       [{"path": p.path, "message": p.message} for p in exc.problems])

    @app.exception_handler(NurturaError)
    async def _ours(_: Request, exc: NurturaError) -> JSONResponse:
        if isinstance(exc, UnknownProcess | UnknownContact | UnknownTemplate):
            return problem(404, str(exc))
        if isinstance(exc, Conflict):
            return problem(409, str(exc))
        if isinstance(exc, BadInput):
            errors = [{"path": f"$.{exc.field}" if exc.field else "$", "message": str(exc)}]
            return problem(400, str(exc), errors)
        return problem(400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"path": _loc_path(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()]
        return problem(422, "the request does not match the schema", errors)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail) if exc.detail else None,
                       headers=dict(exc.headers) if exc.headers else None)

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return problem(500, "an unexpected error; it has been logged")
