"""`python -m webapp users add|list|remove` and `tokens create`: accounts from the shell, for
whoever runs the server. A password left out is asked for (twice, not echoed)."""

from __future__ import annotations

import getpass
import sys

from rich.markup import escape

from webapp.cli.console import make_console
from webapp.cli.exits import EXIT_OK, EXIT_RUN_NOT_OK, EXIT_USAGE
from webapp.cli.session import open_store
from webapp.runtime.accounts import AccountError, Accounts, check_password
from webapp.settings import Settings
from webapp.store import StoreError


def ask_password() -> str:
    """The password typed twice at the terminal; AccountError when the two differ."""
    first = getpass.getpass("Password: ")
    check_password(first)
    if getpass.getpass("Password again: ") != first:
        raise AccountError("The two passwords are not the same.", "password")
    return first


async def add_user(settings: Settings, username: str, password: str | None, admin: bool) -> int:
    errors = make_console(stderr=True)
    try:
        secret = password if password is not None else ask_password()
        async with open_store(settings) as store:
            accounts = Accounts(store)
            first = not await accounts.any_user()
            user = await accounts.add_user(username, secret, admin=admin or first)
    except AccountError as error:
        errors.print(f"[red]error:[/red] {error.message}", highlight=False)
        return EXIT_USAGE
    except StoreError as error:
        errors.print(f"[red]error:[/red] {escape(str(error))}", highlight=False, soft_wrap=True)
        return EXIT_RUN_NOT_OK
    assert user is not None
    role = " (admin, as the first account)" if first and not admin else ""
    role = role or (" (admin)" if user.is_admin else "")
    make_console().print(f"Added {user.username}{role}.", highlight=False)
    return EXIT_OK


async def list_users(settings: Settings) -> int:
    try:
        async with open_store(settings) as store:
            users = await Accounts(store).users()
    except StoreError as error:
        make_console(stderr=True).print(
            f"[red]error:[/red] {escape(str(error))}", highlight=False, soft_wrap=True
        )
        return EXIT_RUN_NOT_OK
    if not users:
        make_console().print("No accounts yet: `python -m webapp users add NAME` makes the first.")
    for user in users:  # one tab-separated line each, for scripts too
        role = "admin" if user.is_admin else "user"
        sys.stdout.write(f"{user.username}\t{role}\t{user.created_at}\n")
    return EXIT_OK


async def remove_user(settings: Settings, username: str) -> int:
    try:
        async with open_store(settings) as store:
            removed = await Accounts(store).remove_user(username)
    except StoreError as error:
        make_console(stderr=True).print(
            f"[red]error:[/red] {escape(str(error))}", highlight=False, soft_wrap=True
        )
        return EXIT_RUN_NOT_OK
    if not removed:
        make_console(stderr=True).print(
            f"[red]error:[/red] there is no account called {username}.", highlight=False
        )
        return EXIT_RUN_NOT_OK
    make_console().print(
        f"Removed {username}: their sessions and tokens no longer work.", highlight=False
    )
    return EXIT_OK


async def create_token(settings: Settings, username: str, name: str) -> int:
    """Prints the new token alone on stdout, so that a script can capture it."""
    try:
        async with open_store(settings) as store:
            accounts = Accounts(store)
            user = await accounts.user_named(username)
            if user is None:
                make_console(stderr=True).print(
                    f"[red]error:[/red] there is no account called {username}.", highlight=False
                )
                return EXIT_RUN_NOT_OK
            token, _ = await accounts.create_token(user, name)
    except StoreError as error:
        make_console(stderr=True).print(
            f"[red]error:[/red] {escape(str(error))}", highlight=False, soft_wrap=True
        )
        return EXIT_RUN_NOT_OK
    sys.stdout.write(token + "\n")
    return EXIT_OK
