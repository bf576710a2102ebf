"""Reading request bodies within their size limit, and URL-encoded forms (all of ours are).
What a run request says is `run_request.py`'s."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from webapp.web.errors import ApiError
from webapp.web.numbers import whole_number

MAX_BODY_BYTES = 64 * 1024


async def read_body(request: Request) -> bytes:
    declared = whole_number(request.headers.get("content-length", ""))  # unreadable: counted below
    if declared is not None and declared > MAX_BODY_BYTES:
        raise ApiError(413, "too_large", f"The request body is over {MAX_BODY_BYTES:,} bytes.")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(413, "too_large", f"The request body is over {MAX_BODY_BYTES:,} bytes.")
    return bytes(body)


async def read_form(request: Request) -> FormData:
    """A URL-encoded form (all of ours are), read within the body limit."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("", "application/x-www-form-urlencoded"):
        raise ApiError(415, "unsupported", "Send the form as application/x-www-form-urlencoded.")
    body = await read_body(request)
    try:
        pairs: list[tuple[str, str | UploadFile]] = list(
            parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        )
    except UnicodeDecodeError as error:
        raise ApiError(400, "bad_form", "The form is not valid UTF-8.") from error
    return FormData(pairs)
