"""The account pages: create the first account, log in and out, and the settings page, where a
person creates and revokes API tokens and an admin adds people."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from webapp.runtime.accounts import AccountError, PasswordChecksBusy, User
from webapp.web.app_state import settings_of
from webapp.web.auth import (
    NEW_TOKEN_COOKIE,
    SESSION_COOKIE,
    auth_of,
    local_path,
    maybe_user,
    user_of,
)
from webapp.web.fanout import RunFeeds
from webapp.web.forms import read_form
from webapp.web.limits import wait_words
from webapp.web.pages import render


def _text(value: object, limit: int = 2048) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _signed_in(request: Request, user: User, target: str) -> Response:
    auth = auth_of(request)
    token = await auth.accounts.start_session(user)
    response = RedirectResponse(local_path(target), status_code=303)
    auth.set_session(request, response, token)
    return response


async def setup_page(request: Request) -> Response:
    auth = auth_of(request)
    if not auth.enabled or await auth.accounts.any_user():
        return RedirectResponse("/", status_code=303)
    return render(request, "setup.html", {"username": "", "errors": {}})


async def setup(request: Request) -> Response:
    """POST /setup: the first account, an admin. Once one exists this page is gone."""
    auth = auth_of(request)
    if not auth.enabled or await auth.accounts.any_user():
        return RedirectResponse("/login", status_code=303)
    form = await read_form(request)
    username, password = _text(form.get("username"), 200), _text(form.get("password"))
    try:
        if password != _text(form.get("confirm")):
            raise AccountError("The two passwords are not the same.", "confirm")
        user = await auth.accounts.add_user(username, password, admin=True, only_if_first=True)
    except AccountError as error:
        context = {"username": username, "errors": {error.field or "username": error.message}}
        return render(request, "setup.html", context, 422)
    if user is None:  # someone else was quicker
        return RedirectResponse("/login", status_code=303)
    return await _signed_in(request, user, "/")


async def login_page(request: Request) -> Response:
    auth = auth_of(request)
    target = local_path(request.query_params.get("next"))
    if not auth.enabled or maybe_user(request) is not None:
        return RedirectResponse(target, status_code=303)
    if not await auth.accounts.any_user():
        return RedirectResponse("/setup", status_code=303)
    return render(request, "login.html", {"username": "", "next": target, "error": None})


async def login(request: Request) -> Response:
    auth = auth_of(request)
    if not auth.enabled:
        return RedirectResponse("/", status_code=303)
    form = await read_form(request)
    username, password = _text(form.get("username"), 200), _text(form.get("password"))
    target = local_path(_text(form.get("next")))
    context: dict[str, Any] = {"username": username, "next": target}
    address = _address(request)
    # Counted before the check: logins sent at once each see the others already counted.
    wait = auth.logins.reserve(username, address)
    if wait > 0:
        context["error"] = f"Too many failed logins. Try again in {wait_words(wait)}."
        response = render(request, "login.html", context, 429)
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    try:
        user = await auth.accounts.authenticate(username, password)
    except PasswordChecksBusy:
        auth.logins.unchecked(username, address)
        raise
    if user is None:
        context["error"] = "Wrong username or password."
        return render(request, "login.html", context, 401)
    auth.logins.succeeded(username, address)
    return await _signed_in(request, user, target)


async def logout(request: Request) -> Response:
    auth = auth_of(request)
    token = auth.session_token(request.cookies.get(SESSION_COOKIE))
    if token is not None:
        await auth.accounts.end_session(token)
        user = maybe_user(request)
        if user is not None:
            await _end_streams(request, user.user_id)
    response = RedirectResponse("/login" if auth.enabled else "/", status_code=303)
    auth.clear_session(request, response)
    return response


async def _end_streams(request: Request, user_id: str) -> None:
    """The person's open event streams whose credential just ended end now (in the other
    processes, at their next check)."""
    feeds: RunFeeds = request.app.state.feeds
    await feeds.access.check(user_id)


async def _settings(
    request: Request, extra: dict[str, Any] | None = None, status: int = 200
) -> Response:
    auth = auth_of(request)
    user = user_of(request)
    context: dict[str, Any] = {
        "auth_enabled": auth.enabled,
        "user": user,
        "tokens": await auth.accounts.tokens_of(user) if auth.enabled else [],
        "users": await auth.accounts.users() if auth.enabled and user.is_admin else [],
        "new_token": None,
        "errors": {},
        "new_username": "",
        "notice": None,
        "runs_per_minute": settings_of(request).runs_per_minute,
        **(extra or {}),
    }
    return render(request, "settings.html", context, status)


async def settings_page(request: Request) -> Response:
    """GET /settings; right after a token was made, it shows it, once (the redirect's cookie
    carries it here and is cleared)."""
    made = auth_of(request).new_token(request.cookies.get(NEW_TOKEN_COOKIE))
    if made is None:
        return await _settings(request)
    response = await _settings(request, {"new_token": made[0], "new_token_name": made[1]})
    response.delete_cookie(NEW_TOKEN_COOKIE, path="/settings")
    return response


async def create_token(request: Request) -> Response:
    """POST /settings/tokens: makes the token, then redirects to the settings page, which shows
    it once: reloading that page never makes a second one."""
    auth = auth_of(request)
    if not auth.enabled:
        return await _settings(request)
    form = await read_form(request)
    token, record = await auth.accounts.create_token(user_of(request), _text(form.get("name"), 200))
    response = RedirectResponse("/settings", status_code=303)
    auth.show_new_token(request, response, token, record.name)
    return response


async def revoke_token(request: Request) -> Response:
    revoked = await auth_of(request).accounts.revoke_token(
        user_of(request), request.path_params["token_id"]
    )
    if not revoked:
        raise HTTPException(404)
    await _end_streams(request, user_of(request).user_id)
    return RedirectResponse("/settings", status_code=303)


async def add_user(request: Request) -> Response:
    """POST /settings/users: an admin adds a person (to anyone else, there is nothing here)."""
    auth = auth_of(request)
    user = user_of(request)
    if not auth.enabled or not user.is_admin:
        raise HTTPException(404)
    form = await read_form(request)
    username, password = _text(form.get("username"), 200), _text(form.get("password"))
    try:
        await auth.accounts.add_user(username, password, admin=form.get("admin") == "on")
    except AccountError as error:
        errors = {error.field or "username": error.message}
        return await _settings(request, {"errors": errors, "new_username": username}, 422)
    return await _settings(request, {"notice": f"{username.strip()} can now log in."}, 201)


async def remove_user(request: Request) -> Response:
    """POST /settings/users/{user_id}/remove: an admin removes a person, as `users remove`
    does; their sessions and tokens stop working. Not oneself (an admin would lock out)."""
    auth = auth_of(request)
    user = user_of(request)
    if not auth.enabled or not user.is_admin:
        raise HTTPException(404)
    user_id = request.path_params["user_id"]
    person = next((p for p in await auth.accounts.users() if p.user_id == user_id), None)
    if person is None:
        raise HTTPException(404)
    if person.user_id == user.user_id:
        errors = {"people": "You cannot remove yourself; another admin can."}
        return await _settings(request, {"errors": errors}, 409)
    await auth.accounts.remove_user(person.username)
    await _end_streams(request, person.user_id)
    return RedirectResponse("/settings", status_code=303)


routes = [
    Route("/setup", setup_page, methods=["GET"]),
    Route("/setup", setup, methods=["POST"]),
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/settings", settings_page, methods=["GET"]),
    Route("/settings/tokens", create_token, methods=["POST"]),
    Route("/settings/tokens/{token_id}/revoke", revoke_token, methods=["POST"]),
    Route("/settings/users", add_user, methods=["POST"]),
    Route("/settings/users/{user_id}/remove", remove_user, methods=["POST"]),
]
