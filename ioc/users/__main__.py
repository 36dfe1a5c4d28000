"""``python -m ioc.users``: accounts, wall screens' and API tokens, and the audit trail.

Acts on the store that IOC_DATABASE_URL names, as the web app's admin page does, and
writes every change to the audit trail with the shell's user as who did it. A token
is printed once, on the last line of the output, so a script can take it with
``tail -n 1``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import datetime
from typing import Any

from ioc.bootstrap import boot, exit_on_startup_error
from ioc.clock import utc_text
from ioc.config import Settings
from ioc.services.accounts import AccountError, AccountService, wall_url

ROLES = ("leader", "district", "operator", "admin")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ioc.users",
        description="Accounts (IOC_AUTH=local), wall screens' and API tokens, and the audit "
        "trail, in the store IOC_DATABASE_URL names.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add an account")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument(
        "--districts", default="", help="comma-separated slugs (a district role's own)"
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (else asked twice)",
    )
    commands.add_parser("list", help="list the accounts")
    for verb, text in (("disable", "disable an account (its sessions end)"),
                       ("enable", "enable a disabled account")):  # fmt: skip
        commands.add_parser(verb, help=text).add_argument("name")
    passwd = commands.add_parser("passwd", help="set an account's password (its sessions end)")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    wall = commands.add_parser("wall-token", help="make a wall screen's token; prints its URL")
    wall.add_argument("name", help="the screen's name, e.g. wall-ninh-kieu-1")
    wall.add_argument("--district", default="", help="a district slug: the screen shows it only")
    wall.add_argument("--scenes", default="", help="comma-separated scenes to rotate")
    api = commands.add_parser("api-token", help="make another system's API token; prints it")
    api.add_argument("name")
    api.add_argument("--role", required=True, choices=ROLES)
    api.add_argument("--districts", default="")
    revoke = commands.add_parser("revoke-token", help="revoke a wall or API token by name")
    revoke.add_argument("name")
    commands.add_parser("tokens", help="list the tokens, and when each was last seen")
    audit = commands.add_parser("audit", help="print the audit trail, newest first")
    audit.add_argument("--limit", type=int, default=50, help="rows (1-1000, default 50)")
    audit.add_argument("--action", default=None, help="only this action (e.g. login_failed)")
    return parser


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise AccountError("no terminal to ask the password on: use --password-stdin")
    try:
        first = getpass.getpass("password: ")
        again = getpass.getpass("again: ")
    except EOFError:
        raise AccountError("no password given") from None
    if again != first:
        raise AccountError("the two passwords differ")
    return first


def _listed(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _rows(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    def shown(value: Any) -> str:
        if value is None:
            return "-"
        return (utc_text(value) or "-") if isinstance(value, datetime) else str(value)

    table = [[shown(row[c]) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in table]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for line in table:
        print("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())


def _base(settings: Settings) -> str:
    host = settings.host if settings.host not in ("0.0.0.0", "::") else "127.0.0.1"
    return settings.public_url or f"http://{host}:{settings.port}"


def run(args: argparse.Namespace, accounts: AccountService, settings: Settings) -> int:
    """Carry out one command; AccountError says what could not be done."""
    by = f"cli:{getpass.getuser()}"
    name = getattr(args, "name", "")
    if args.command == "add":
        accounts.check_account(name, args.role, _listed(args.districts))  # before the password
        accounts.add_account(name, args.role, _listed(args.districts),
                             _password(args.password_stdin), by=by)  # fmt: skip
        print(f"account {name} added ({args.role})")
    elif args.command == "list":
        _rows(accounts.accounts(), ("name", "role", "districts", "disabled", "has_password",
                                    "created_at", "last_login_at"))  # fmt: skip
    elif args.command in ("disable", "enable"):
        accounts.set_disabled(name, args.command == "disable", by=by)
        print(f"account {name} {args.command}d")
    elif args.command == "passwd":
        accounts.set_password(name, _password(args.password_stdin), by=by)
        print(f"password of {name} set; its open sessions have ended")
    elif args.command == "wall-token":
        districts = [args.district] if args.district else []
        scenes = _listed(args.scenes)
        token = accounts.add_token("wall", name, by=by, districts=districts, scenes=scenes)
        print(f"wall token {name} made; open this URL on the screen (shown only now):")
        print(wall_url(_base(settings), token, args.district, scenes))
    elif args.command == "api-token":
        token = accounts.add_token("api", name, by=by, role=args.role,
                                   districts=_listed(args.districts))  # fmt: skip
        print(f"API token {name} made ({args.role}); send it as 'Authorization: Bearer …' "
              "(shown only now):")  # fmt: skip
        print(token)
    elif args.command == "revoke-token":
        accounts.revoke(name, by=by)
        print(f"token {name} revoked")
    elif args.command == "tokens":
        _rows(accounts.tokens(), ("name", "kind", "role", "districts", "scenes", "created_at",
                                  "revoked_at", "last_seen_at", "last_seen_from"))  # fmt: skip
    elif args.command == "audit":
        rows = accounts.audit_trail(max(1, min(args.limit, 1000)), action=args.action)
        _rows(rows, ("at", "actor", "action", "target", "detail", "address"))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, open the store, run the command."""
    args = _parser().parse_args(argv)
    with exit_on_startup_error():
        started = boot()
    settings = started.settings
    accounts = AccountService(started.engine, started.areas,
                              audit_days=settings.audit_retention_days)  # fmt: skip
    try:
        return run(args, accounts, settings)
    except AccountError as err:
        print(f"{args.command}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        started.engine.dispose()


if __name__ == "__main__":
    os.environ.setdefault("IOC_LOG_LEVEL", "WARNING")
    sys.exit(main())
