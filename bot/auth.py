"""Login for the Gradio app: an auth file of salted scrypt hashes, and per-user throttling of failed logins.

Auth file: one `user:scrypt$N$r$p$salt_b64$hash_b64` line per user (blank lines and # comments ignored),
written by `govqa adduser NAME` with mode 0600. Old unsalted `user:sha256hex` lines are refused.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import secrets
import shlex
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SCHEME = "scrypt"
# OWASP's scrypt setting with 16 MiB of memory (N=2^14, r=8, p=5); a hash takes ~0.1–0.3 s here
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 5
SALT_BYTES, HASH_BYTES = 16, 32
MIN_PASSWORD_CHARS = 8
_MAX_N, _MAX_R, _MAX_P = 2**20, 32, 16  # bounds on a file's parameters: a hash never takes minutes or GBs
_USER = re.compile(r"[^\s:#][^\s:]{0,63}")
_LEGACY = re.compile(r"[0-9a-fA-F]{64}")


class AuthFileError(ValueError):
    """The auth file cannot be used; the message (Chinese) names the file, the line and what to do."""


@dataclass(frozen=True)
class PasswordHash:
    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes

    def encode(self) -> str:
        b64 = base64.b64encode
        return f"{SCHEME}${self.n}${self.r}${self.p}${b64(self.salt).decode()}${b64(self.digest).decode()}"


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length,
                          maxmem=128 * r * (n + p + 2) + (1 << 20))


def hash_password(password: str, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    return PasswordHash(n, r, p, salt, _scrypt(password, salt, n, r, p, HASH_BYTES)).encode()


def parse_hash(text: str) -> PasswordHash:
    """`scrypt$N$r$p$salt_b64$hash_b64`; ValueError on anything else."""
    parts = text.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise ValueError("not a scrypt$N$r$p$salt$hash entry")
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error) as exc:
        raise ValueError(f"bad number or base64 ({exc})") from None
    if not (1 < n <= _MAX_N and n & (n - 1) == 0 and 1 <= r <= _MAX_R and 1 <= p <= _MAX_P):
        raise ValueError(f"scrypt parameters out of range: N={n} r={r} p={p}")
    if len(salt) < 8 or len(digest) < 16:
        raise ValueError("salt or hash too short")
    return PasswordHash(n, r, p, salt, digest)


def verify_password(password: str, stored: PasswordHash) -> bool:
    actual = _scrypt(password, stored.salt, stored.n, stored.r, stored.p, len(stored.digest))
    return hmac.compare_digest(actual, stored.digest)


# ---- the file ----------------------------------------------------------------------------------
def _readd(user: str, path: Path) -> str:
    return f"govqa adduser {shlex.quote(user)} --auth-file {shlex.quote(str(path))}"


def load_auth(path: Path) -> dict[str, PasswordHash]:
    """The users of an auth file. AuthFileError for a missing or unreadable file, a malformed line, an
    old unsalted sha256 entry (with the command that re-creates it), or no users at all."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise AuthFileError(f"无法读取用户文件 {path}：{getattr(exc, 'strerror', None) or exc}") from None
    users: dict[str, PasswordHash] = {}
    legacy: list[str] = []
    for line_no, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, entry = line.partition(":")
        user, entry = user.strip(), entry.strip()
        if not sep or not _USER.fullmatch(user):
            raise AuthFileError(f"{path}:{line_no}：格式应为“用户名:scrypt$…”（用 govqa adduser 用户名 生成）")
        if _LEGACY.fullmatch(entry):
            legacy.append(user)
            continue
        try:
            users[user] = parse_hash(entry)
        except ValueError as exc:
            raise AuthFileError(f"{path}:{line_no}：用户 {user} 的密码哈希无法识别（{exc}）；"
                                f"请用 `{_readd(user, path)}` 重新设置") from None
    if legacy:
        commands = "；".join(f"`{_readd(u, path)}`" for u in legacy)
        raise AuthFileError(f"{path}：用户 {'、'.join(legacy)} 的密码是旧式无盐 SHA-256 哈希，已不再接受。"
                            f"请重新设置密码：{commands}")
    if not users:
        raise AuthFileError(f"{path}：没有用户；请用 `govqa adduser 用户名` 添加")
    return users


def check_username(user: str) -> str:
    user = user.strip()
    if not _USER.fullmatch(user):
        raise AuthFileError(f"用户名不可用：{user!r}（1–64 个字符，不含空白和冒号，不以 # 开头）")
    return user


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AuthFileError(f"密码至少需要 {MIN_PASSWORD_CHARS} 个字符")
    return password


def set_user(path: Path, user: str, password: str) -> bool:
    """Add or replace one user's line (other lines kept as they are), written atomically with mode 0600.
    True when the user was already in the file."""
    path = Path(path)
    user, password = check_username(user), check_password(password)
    entry = f"{user}:{hash_password(password)}"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    except (OSError, UnicodeDecodeError) as exc:
        raise AuthFileError(f"无法读取用户文件 {path}：{getattr(exc, 'strerror', None) or exc}") from None
    replaced = False
    out: list[str] = []
    for line in lines:
        if line.strip().partition(":")[0].strip() == user and not line.strip().startswith("#"):
            if not replaced:
                out.append(entry)
            replaced = True
        else:
            out.append(line)
    if not replaced:
        out.append(entry)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(out) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AuthFileError(f"无法写入用户文件 {path}：{exc.strerror or exc}") from None
    return replaced


# ---- throttling ---------------------------------------------------------------------------------
@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0
    locked_until: float = 0.0


class LoginThrottle:
    """Per-user failed-login counter. From the `max_failures`-th failure in a row a user is locked out for
    `lockout_s`, doubled with each further failure (capped at `max_lockout_s`); during a lockout logins are
    refused without checking the password. An attempt counts as a failure from its start (so concurrent
    guesses cannot slip past the count) until it succeeds, which clears the count; `forget_s` without a
    failure clears it too. Memory is bounded (`max_users` entries)."""

    def __init__(self, max_failures: int = 5, lockout_s: float = 30.0, max_lockout_s: float = 900.0,
                 forget_s: float = 3600.0, max_users: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max(1, max_failures)
        self.lockout_s, self.max_lockout_s, self.forget_s = lockout_s, max_lockout_s, forget_s
        self.max_users = max_users
        self.clock = clock
        self._users: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def locked(self, user: str) -> float:
        """Seconds until the user may try again (0.0 when not locked)."""
        with self._lock:
            state = self._users.get(user)
            return max(0.0, state.locked_until - self.clock()) if state else 0.0

    def attempt(self, user: str) -> float:
        """Start a login attempt: the seconds left when the user is locked out (refuse it), else 0.0 and
        the attempt is counted as a failure (which may start the next lockout) until `succeeded`."""
        now = self.clock()
        with self._lock:
            state = self._users.get(user)
            if state is not None and state.locked_until > now:
                return state.locked_until - now
            if state is None or now - state.last > self.forget_s:
                self._make_room(now)
                state = self._users[user] = _Failures()
            state.count += 1
            state.last = now
            over = state.count - self.max_failures
            if over >= 0:
                state.locked_until = now + min(self.max_lockout_s, self.lockout_s * 2 ** min(over, 32))
            return 0.0

    def succeeded(self, user: str) -> None:
        with self._lock:
            self._users.pop(user, None)

    def _make_room(self, now: float) -> None:
        if len(self._users) < self.max_users:
            return
        for name in [n for n, s in self._users.items() if now - s.last > self.forget_s and s.locked_until <= now]:
            del self._users[name]
        while len(self._users) >= self.max_users:  # still full: the oldest failures go first
            del self._users[min(self._users, key=lambda n: self._users[n].last)]


# ---- the login check ----------------------------------------------------------------------------
class Authenticator:
    """Checks a login against the auth file's users, with throttling and constant-time comparison. An
    unknown user costs the same scrypt work as a known one (no user enumeration by timing)."""

    def __init__(self, users: dict[str, PasswordHash], throttle: LoginThrottle | None = None) -> None:
        self.users = users
        self.throttle = throttle or LoginThrottle()
        self._dummy = parse_hash(hash_password(secrets.token_urlsafe(16)))

    def check(self, username: str, password: str) -> bool:
        username = (username or "").strip()
        wait = self.throttle.attempt(username)
        if wait > 0:
            log.debug("login refused for %r: locked for another %.0f s", username, wait)
            return False
        stored = self.users.get(username)
        if verify_password(password or "", stored or self._dummy) and stored is not None:
            self.throttle.succeeded(username)
            return True
        wait = self.throttle.locked(username)
        if wait > 0:
            log.warning("login for %r locked for %.0f s after repeated failures", username, wait)
        return False


def make_auth(path: Path, max_failures: int = 5, lockout_s: float = 30.0) -> Callable[[str, str], Awaitable[bool]]:
    """Gradio's `auth` callable. Gradio awaits a coroutine function on its event loop, so the scrypt work
    runs in a worker thread and a locked-out user is refused before any hashing."""
    authenticator = Authenticator(load_auth(path), LoginThrottle(max_failures, lockout_s))

    async def check(username: str, password: str) -> bool:
        if authenticator.throttle.locked((username or "").strip()) > 0:
            return authenticator.check(username, password)  # refuses (and logs) without hashing
        return await asyncio.to_thread(authenticator.check, username, password)

    return check
