"""One JSON error shape for every failure: ``{"error": {"field": …, "reason": …}}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from tributary.serving import SnapshotMissing, SnapshotUnreadable

log = logging.getLogger("tributary.api")


class ErrorDetail(BaseModel):
    field: str | None = None
    reason: str


class ErrorBody(BaseModel):
    error: ErrorDetail
    errors: list[ErrorDetail] | None = None


# Every operation documents these with the one shape (an operation's own description wins).
RESPONSES: dict[int | str, dict] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        400: "a parameter or the body is invalid (the field is named)",
        404: "unknown route or resource",
        405: "method not allowed on this route",
        422: "a parameter fails its declared type or bounds (the field is named)",
        503: "the domain's serving snapshot is not available (see /health)",
    }.items()
}


class ApiError(Exception):
    def __init__(self, status: int, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.field = status, reason, field


def _body(errors: list[ErrorDetail]) -> dict:
    body = ErrorBody(error=errors[0], errors=errors if len(errors) > 1 else None)
    return body.model_dump(exclude_none=True)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status, content=_body([ErrorDetail(field=exc.field, reason=exc.reason)])
        )

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        # Starlette's own answers (unknown route 404, wrong method 405 with its Allow header)
        reason = exc.detail if isinstance(exc.detail, str) else "request failed"
        return JSONResponse(
            status_code=exc.status_code,
            content=_body([ErrorDetail(reason=reason.lower())]),
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            ErrorDetail(
                field=".".join(str(p) for p in err.get("loc", ())[1:]) or None,
                reason=err.get("msg", "invalid"),
            )
            for err in exc.errors()
        ] or [ErrorDetail(reason="invalid request")]
        return JSONResponse(status_code=422, content=_body(details))

    @app.exception_handler(SnapshotMissing)
    async def not_published(_: Request, exc: SnapshotMissing) -> JSONResponse:
        reason = f"no {exc.args[0]} data has been published yet in this data dir"
        if isinstance(exc, SnapshotUnreadable):
            reason = f"the {exc.args[0]} data is unavailable: {exc.reason}"
        return JSONResponse(status_code=503, content=_body([ErrorDetail(reason=reason)]))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(status_code=500, content=_body([ErrorDetail(reason="internal error")]))
