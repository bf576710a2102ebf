"""One place that turns errors into answers: a full page, or JSON under /api/, with the right
status code and words a person can act on. Never a traceback."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from webapp.runtime import RunNotFound, RunStateError
from webapp.runtime.accounts import PasswordChecksBusy
from webapp.store import CursorError, DatabaseUnwritable
from webapp.store.writer import WriterStopped
from webapp.web.json_response import JSONResponse

logger = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Not allowed",
    409: "Not now",
    413: "Too large",
    415: "Unsupported",
    422: "Check the form",
    401: "Log in",
    403: "Refused",
    421: "Wrong address",
    429: "Slow down",
    503: "Unavailable",
}


CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers or {}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(
    request: Request, status: int, code: str, message: str, field: str | None = None
) -> Response:
    if wants_json(request):
        body: dict[str, object] = {"code": code, "message": message}
        if field:
            body["field"] = field
        return JSONResponse({"error": body}, status_code=status)
    templates = request.app.state.templates
    page: Response = templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "title": TITLES.get(status, "Something went wrong"), "message": message},
        status_code=status,
    )
    return page


async def on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    response = error_response(request, exc.status, exc.code, exc.message, exc.field)
    response.headers.update(exc.headers)
    return response


async def on_not_found(request: Request, exc: Exception) -> Response:
    return error_response(request, 404, "not_found", str(exc))


async def on_state_error(request: Request, exc: Exception) -> Response:
    return error_response(request, 409, "conflict", str(exc))


async def on_cursor_error(request: Request, exc: Exception) -> Response:
    return error_response(request, 400, "bad_cursor", str(exc))


async def on_writer_stopped(request: Request, exc: Exception) -> Response:
    return error_response(request, 503, "unavailable", str(exc))


async def on_password_checks_busy(request: Request, exc: Exception) -> Response:
    response = error_response(request, 503, "busy", str(exc))
    response.headers["Retry-After"] = "5"
    return response


async def on_unwritable(request: Request, exc: Exception) -> Response:
    logger.warning(
        "%s %s saved nothing: %s (%r)", request.method, request.url.path, exc, exc.__cause__
    )
    return error_response(request, 503, "unwritable", str(exc))


async def on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "That did not work."
    if exc.status_code == 404 and exc.detail == "Not Found":  # no words of its own
        message = "There is nothing at this address."
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed here."
    code = CODES.get(exc.status_code, "http_error")
    return error_response(request, exc.status_code, code, message)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(
        request,
        500,
        "internal",
        "Something went wrong on our side; it has been logged. Try again in a moment.",
    )


HANDLERS = {
    ApiError: on_api_error,
    RunNotFound: on_not_found,
    RunStateError: on_state_error,
    CursorError: on_cursor_error,
    DatabaseUnwritable: on_unwritable,
    PasswordChecksBusy: on_password_checks_busy,
    WriterStopped: on_writer_stopped,
    HTTPException: on_http,
    Exception: on_unexpected,
}
