"""The sign-in throttle: failed sign-ins slow down the guesser, never the real user.

Failures are rows of `login_failure` (name, client address, time), so every server
process shares them and `canvass users unlock NAME` can clear a name. Two rules, each a
growing delay counted from the latest failure (refused attempts check no password and
count for nothing):

- per (address, name): after PAIR_FREE failures within WINDOW, the pair waits
  PAIR_BASE_SECONDS * 2^(n - PAIR_FREE), at most MAX_WAIT. Guessing one name from one
  address therefore costs minutes after a handful of tries, while the right password from
  any *other* address still works: nobody can lock the real user out from elsewhere.
- per address, over all names: after ADDRESS_FREE failures within WINDOW (a spray of
  common passwords over many names), the address waits ADDRESS_BASE_SECONDS *
  2^(n - ADDRESS_FREE), at most MAX_WAIT, whatever name it tries.

An IPv6 address counts as its /64 network (one subscriber is usually given a whole /64,
so counting single addresses would let one guesser be 2^64 addresses). A successful
sign-in clears its (address, name) failures. Rows older than WINDOW no
longer count and are deleted when the next failure is recorded.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, func, select
from sqlmodel import Session, col

from canvass.errors import RefusedError
from canvass.store.audit import append
from canvass.store.db import session_scope
from canvass.store.tables import LoginFailureRow

WINDOW = timedelta(minutes=15)
PAIR_FREE = 3
PAIR_BASE_SECONDS = 5
ADDRESS_FREE = 20
ADDRESS_BASE_SECONDS = 30
WINDOW_MINUTES = int(WINDOW.total_seconds()) // 60
MAX_WAIT = 15 * 60  # seconds; never longer, however many guesses
MAX_ADDRESS = 64  # the column's width; an IPv6 address is at most 45


class TooManyAttempts(RefusedError):
    """Too many failed sign-ins from this address: wait (Retry-After says how long)."""

    http_status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class Failures:
    count: int
    latest: datetime | None


def delay(failures: Failures, free: int, base_seconds: int, now: datetime) -> int:
    """Seconds still to wait after `failures` (0: go ahead)."""
    if failures.count < free or failures.latest is None:
        return 0
    wait = min(base_seconds * 2 ** min(failures.count - free, 16), MAX_WAIT)
    waited = (now - failures.latest).total_seconds()
    return max(0, int(wait - waited + 0.999))


def address_key(address: str) -> str:
    """What the throttle counts by: the address, or an IPv6 address's /64 network."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:MAX_ADDRESS]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def check_sign_in(engine: Engine, address: str, username: str, now: datetime) -> None:
    """Refuse (TooManyAttempts, with how long to wait) before the password is checked."""
    address = address_key(address)
    with Session(engine) as session:
        pair = _failures(session, now, address, username)
        spread = _failures(session, now, address, None)
    wait = delay(pair, PAIR_FREE, PAIR_BASE_SECONDS, now)
    if wait:
        raise TooManyAttempts(
            f"too many failed sign-ins for {username!r} from your address: wait {wait} "
            f"seconds and try again, or ask an administrator to run "
            f"`canvass users unlock {username}`",
            wait,
        )
    wait = delay(spread, ADDRESS_FREE, ADDRESS_BASE_SECONDS, now)
    if wait:
        raise TooManyAttempts(
            f"too many failed sign-ins from your address ({spread.count} in {WINDOW_MINUTES} "
            f"minutes): wait {wait} seconds and try again, or ask an administrator "
            "(`canvass users unlock NAME` clears a name's failures)",
            wait,
        )


def record_failure(engine: Engine, address: str, username: str, now: datetime) -> None:
    """Count one failed sign-in (and forget those that no longer count)."""
    with session_scope(engine) as session:
        session.execute(delete(LoginFailureRow).where(col(LoginFailureRow.at) < now - WINDOW))
        session.add(LoginFailureRow(username=username[:64], address=address_key(address), at=now))


def record_success(engine: Engine, address: str, username: str) -> None:
    """The right password: this address's failures for this name are forgiven."""
    with session_scope(engine) as session:
        session.execute(
            delete(LoginFailureRow)
            .where(col(LoginFailureRow.address) == address_key(address))
            .where(col(LoginFailureRow.username) == username)
        )


def unlock(engine: Engine, username: str, now: datetime, actor: str = "cli") -> int:
    """An administrator clears every failure of a name, from every address; returns how
    many were cleared (logged in the audit log)."""
    with session_scope(engine) as session:
        cleared = session.execute(
            select(func.count()).where(col(LoginFailureRow.username) == username)
        ).scalar_one()
        session.execute(delete(LoginFailureRow).where(col(LoginFailureRow.username) == username))
        append(session, actor, "account.unlocked", f"account/{username}", {"failures": cleared})
    return int(cleared)


def _failures(session: Session, now: datetime, address: str, username: str | None) -> Failures:
    query = select(func.count(), func.max(col(LoginFailureRow.at))).where(
        col(LoginFailureRow.address) == address, col(LoginFailureRow.at) >= now - WINDOW
    )
    if username is not None:
        query = query.where(col(LoginFailureRow.username) == username)
    count, latest = session.execute(query).one()
    return Failures(int(count), _aware(latest))


def _aware(value: datetime | str | None) -> datetime | None:
    """The latest failure as an aware UTC time, however the driver hands max() back."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
