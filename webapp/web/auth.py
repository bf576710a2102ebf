"""Who a request is from, and whether it may do what it asks: every request passes through
`AuthMiddleware`, whose docstring gives the rules."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import secrets
from collections.abc import Awaitable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import parse_qs, quote

from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import pass_context
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webapp.runtime.accounts import LOCAL_USER, Accounts, User, token_hash
from webapp.settings import Settings
from webapp.web.errors import error_response
from webapp.web.forms import MAX_BODY_BYTES
from webapp.web.json_response import JSONResponse
from webapp.web.limits import LoginLimiter, RunStartLimiter
from webapp.web.stream_access import Credential

logger = logging.getLogger(__name__)

SESSION_COOKIE = "leadgen_session"
NEW_TOKEN_COOKIE = "leadgen_new_token"  # carries a token just made to the page showing it once
NEW_TOKEN_S = 60
CSRF_COOKIE = "leadgen_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
USER_KEY = "leadgen.user"
CSRF_KEY = "leadgen.csrf"
CREDENTIAL_KEY = "leadgen.credential"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SAFE_METHODS = frozenset({"GET", "HEAD"})
OPEN_PATHS = ("/login", "/setup", "/healthz")


@dataclass
class Auth:
    """What the middleware and the account pages share; built in the app's lifespan."""

    accounts: Accounts
    enabled: bool
    session_s: float
    serializer: URLSafeTimedSerializer
    csrf_key: bytes
    logins: LoginLimiter
    run_starts: RunStartLimiter

    @classmethod
    async def build(cls, accounts: Accounts, settings: Settings) -> Auth:
        secret = (
            settings.secret_key.get_secret_value()
            if settings.secret_key
            else await accounts.secret_key()
        )
        return cls(
            accounts=accounts,
            enabled=settings.auth == "on",
            session_s=settings.session_hours * 3600,
            serializer=URLSafeTimedSerializer(secret, salt="leadgen.session"),
            csrf_key=hashlib.sha256(b"leadgen.csrf:" + secret.encode()).digest(),
            logins=LoginLimiter(workers=settings.workers),
            run_starts=RunStartLimiter(settings.runs_per_minute, workers=settings.workers),
        )

    def csrf_token(self, binding: str) -> str:
        return hmac.new(self.csrf_key, binding.encode(), hashlib.sha256).hexdigest()

    def session_cookie(self, token: str) -> str:
        return self.serializer.dumps(token)

    def session_token(self, cookie: str | None) -> str | None:
        if not cookie or len(cookie) > 512:
            return None
        try:
            token = self.serializer.loads(cookie, max_age=int(self.session_s))
        except BadSignature:
            return None
        return token if isinstance(token, str) else None

    def set_session(self, request: Request, response: Response, token: str) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            self.session_cookie(token),
            max_age=int(self.session_s),
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )

    def show_new_token(self, request: Request, response: Response, token: str, name: str) -> None:
        """Carry a token just made to the page that shows it once, in a signed cookie that
        lives a minute, for /settings only, out of scripts' reach."""
        response.set_cookie(
            NEW_TOKEN_COOKIE,
            self.serializer.dumps([token, name], salt="leadgen.new-token"),
            max_age=NEW_TOKEN_S,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/settings",
        )

    def new_token(self, cookie: str | None) -> tuple[str, str] | None:
        """The token (and its name) a redirect carried here, if the cookie is ours and fresh."""
        if not cookie or len(cookie) > 2048:
            return None
        try:
            value = self.serializer.loads(cookie, max_age=NEW_TOKEN_S, salt="leadgen.new-token")
        except BadSignature:
            return None
        if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
            return value[0], value[1]
        return None

    def clear_session(self, request: Request, response: Response) -> None:
        response.delete_cookie(
            SESSION_COOKIE,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )


def auth_of(request: Request) -> Auth:
    auth: Auth = request.app.state.auth
    return auth


def user_of(request: Request) -> User:
    """The request's user; the middleware has refused the request if there is none."""
    user = request.scope.get(USER_KEY)
    if not isinstance(user, User):
        raise RuntimeError("no user on a request that needs one")
    return user


def credential_of(request: Request) -> Credential | None:
    """What the request's user signed in with (None with LEADGEN_AUTH=off)."""
    credential: Credential | None = request.scope.get(CREDENTIAL_KEY)
    return credential


def maybe_user(request: Request) -> User | None:
    user = request.scope.get(USER_KEY)
    return user if isinstance(user, User) else None


def is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(host: str | None) -> str | None:
    """The name or address in a `Host` header, without its port or an IPv6 address's brackets."""
    if not host:
        return None
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.partition(":")[0].lower()


def local_path(target: str | None) -> str:
    """`target` when it is a path on this site, else "/": no open redirect through ?next=."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _is_open(path: str) -> bool:
    return path.startswith("/static/") or path in OPEN_PATHS or path == "/favicon.ico"


class AuthMiddleware:
    """Every request passes through here:

    - A browser is known by its session cookie (a random token, signed, HttpOnly, SameSite=Lax,
      Secure behind HTTPS; the database keeps the token's hash and its expiry, so logging out
      ends it at once). A script sends `Authorization: Bearer lg_...` to `/api/*`.
    - Nobody logged in: pages go to /login (or /setup while there is no account at all), the
      API and the event streams answer 401.
    - Every state-changing request (POST, PUT, PATCH, DELETE) not made with a bearer token must
      come from our own origin (`Origin` and `Sec-Fetch-Site` when the browser sends them) and
      carry the form token: a `csrf_token` field or an `X-CSRF-Token` header (htmx sends it
      from the page's `hx-headers`). The token is an HMAC of a random cookie, so a page of
      another site can neither read nor forge it. A JSON body to `/api/*` needs no token:
      another site's page cannot send one without a CORS preflight, which this app never
      grants. Bodies are read here within the size limit, then passed on.
    - `LEADGEN_AUTH=off`: everyone is the one local user, and only loopback addresses are
      served, under a loopback name in `Host`: a page of another site whose name resolves to
      127.0.0.1 (DNS rebinding) still sends its own name, and is refused (421).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        auth: Auth = scope["app"].state.auth
        path: str = scope["path"]

        new_binding = None
        if path.endswith("/events") and scope["method"] in SAFE_METHODS:
            # An event stream has no form to post: no form token, nor a cookie to bind one
            # (its every message would pass through the wrapper that sets it).
            expected = ""
        else:
            binding = request.cookies.get(CSRF_COOKIE, "")
            if not 20 <= len(binding) <= 64:
                binding = new_binding = secrets.token_urlsafe(24)
            scope[CSRF_KEY] = expected = auth.csrf_token(binding)

        refusal: Response | None = None
        via_token = False
        if not auth.enabled:
            server = scope.get("server") or (None, None)
            client = scope.get("client") or (None, None)
            if not (is_loopback(server[0]) and is_loopback(client[0])):
                refusal = error_response(
                    request,
                    403,
                    "local_only",
                    "This server runs with LEADGEN_AUTH=off, which serves only this machine. "
                    "Set LEADGEN_AUTH=on and create accounts to serve others.",
                )
            elif not is_loopback(host_name(request.headers.get("host"))):
                # 421, not 400: the request is well formed, but this server is not the one
                # for the name it was sent to (RFC 9110, 15.5.20).
                refusal = error_response(
                    request,
                    421,
                    "wrong_host",
                    "This server runs with LEADGEN_AUTH=off and answers only to this machine's "
                    "own name: open it as localhost, 127.0.0.1 or [::1].",
                )
            scope[USER_KEY] = LOCAL_USER
        else:
            user, via_token = await self._identify(request, auth)
            if user is not None:
                scope[USER_KEY] = user
            elif not _is_open(path):
                refusal = await self._unauthenticated(request, auth)

        if refusal is None and scope["method"] in UNSAFE_METHODS and not via_token:
            body, too_large = await _read_body(receive)
            if too_large:
                refusal = error_response(
                    request, 413, "too_large", f"The request body is over {MAX_BODY_BYTES:,} bytes."
                )
            else:
                refusal = _csrf_refusal(request, body, expected)
                receive = _replay(body, receive)

        def send_with_cookie(message: Message) -> Awaitable[None]:
            if message["type"] == "http.response.start" and new_binding is not None:
                cookie = f"{CSRF_COOKIE}={new_binding}; Path=/; HttpOnly; SameSite=Lax" + (
                    "; Secure" if scope.get("scheme") == "https" else ""
                )
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie.encode())]
            return send(message)

        # A stream's every message passes here: wrap `send` only when a cookie must be set.
        reply = send if new_binding is None else send_with_cookie
        if refusal is not None:
            await refusal(scope, receive, reply)
            return
        await self.app(scope, receive, reply)

    async def _identify(self, request: Request, auth: Auth) -> tuple[User | None, bool]:
        """The user and whether a bearer token (not a browser session) says so; the
        credential is kept in the scope (a stream ends with it: webapp/web/stream_access.py)."""
        accounts = auth.accounts
        if request.url.path.startswith("/api/"):
            scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() == "bearer" and credentials:
                api_token = credentials.strip()
                user = await accounts.token_user(api_token)
                if user is not None:
                    request.scope[CREDENTIAL_KEY] = Credential(
                        user.user_id,
                        f"token:{token_hash(api_token)}",
                        partial(accounts.token_holds, api_token),
                    )
                return user, True
        token = auth.session_token(request.cookies.get(SESSION_COOKIE))
        if token is None:
            return None, False
        user = await accounts.session_user(token)
        if user is not None:
            request.scope[CREDENTIAL_KEY] = Credential(
                user.user_id, f"session:{token_hash(token)}", partial(accounts.session_holds, token)
            )
        return user, False

    async def _unauthenticated(self, request: Request, auth: Auth) -> Response:
        path = request.url.path
        if path.startswith("/api/"):
            return JSONResponse(
                {
                    "error": {
                        "code": "unauthorized",
                        "message": "Log in, or send an API token as "
                        "'Authorization: Bearer <token>' (create one on the settings page).",
                    }
                },
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="leadgen"'},
            )
        if "text/event-stream" in request.headers.get("accept", ""):
            return PlainTextResponse("Log in to follow this run.", status_code=401)
        target = "/login"
        if not await auth.accounts.any_user():
            target = "/setup"
        elif request.method == "GET" and path != "/":
            query = f"?{request.url.query}" if request.url.query else ""
            target = f"/login?next={quote(path + query, safe='')}"
        response: Response = RedirectResponse(target, status_code=303)
        if request.headers.get("hx-request") == "true":
            response = Response(status_code=401, headers={"HX-Redirect": target})
        return response


def _csrf_refusal(request: Request, body: bytes, expected: str) -> Response | None:
    origin = request.headers.get("origin")
    # Host only: behind a proxy that ends TLS the app may see http while the page is https.
    origin_host = origin.partition("://")[2] if origin else ""
    fetch_site = request.headers.get("sec-fetch-site")
    foreign = bool(origin) and origin != "null" and origin_host != request.url.netloc
    if foreign or fetch_site in ("cross-site", "same-site"):
        logger.warning("refused a cross-origin %s to %s", request.method, request.url.path)
        return error_response(
            request, 403, "cross_origin", "Requests from other sites are refused."
        )
    if request.url.path.startswith("/api/") and _is_json(request):
        # A page of another site cannot send JSON here: a browser asks first (CORS
        # preflight), and this app never says yes. So scripts need no form token.
        return None
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and _is_form(request):
        try:
            sent = parse_qs(body.decode("utf-8")).get(CSRF_FIELD, [None])[0]
        except UnicodeDecodeError:
            sent = None
    if sent is None or not hmac.compare_digest(sent.encode(), expected.encode()):
        return error_response(
            request,
            403,
            "csrf",
            "This form has expired or did not come from this site. Reload the page and try again.",
        )
    return None


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _is_json(request: Request) -> bool:
    return _content_type(request) == "application/json"


def _is_form(request: Request) -> bool:
    return _content_type(request) in ("", "application/x-www-form-urlencoded")


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole body, or (what was read, True) once it passes the limit."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return bytes(body), False
        body.extend(message.get("body", b""))
        if len(body) > MAX_BODY_BYTES:
            return bytes(body), True
        if not message.get("more_body", False):
            return bytes(body), False


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def template_globals() -> dict[str, Any]:
    """`csrf_input()` for forms, `csrf_token()` for htmx's headers, `current_user()`."""

    @pass_context
    def csrf_token(context: Any) -> str:
        request = context.get("request")
        return str(request.scope.get(CSRF_KEY, "")) if request is not None else ""

    @pass_context
    def csrf_input(context: Any) -> Markup:
        token = csrf_token(context)
        if not token:
            return Markup("")
        return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">')

    @pass_context
    def current_user(context: Any) -> User | None:
        request = context.get("request")
        return maybe_user(request) if request is not None else None

    return {"csrf_token": csrf_token, "csrf_input": csrf_input, "current_user": current_user}
