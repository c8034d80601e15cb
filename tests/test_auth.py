"""Login: the scrypt auth file written by `govqa adduser`, old sha256 entries refused, per-user throttling,
and a real `govqa chat` server with login on (whose LLM endpoint is down, so its `ask` API falls back)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.auth import (
    Authenticator,
    AuthFileError,
    LoginThrottle,
    hash_password,
    load_auth,
    make_auth,
    parse_hash,
)
from tests.conftest import ROOT
from tests.ui_helpers import Server, free_port

ENTRY = re.compile(r"^(?P<user>[^:\s]+):scrypt\$(?P<n>\d+)\$(?P<r>\d+)\$(?P<p>\d+)\$(?P<salt>[A-Za-z0-9+/=]+)\$(?P<hash>[A-Za-z0-9+/=]+)$")


def govqa(*args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GOVQA_")} | env
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, env=full_env, input=stdin,
                          capture_output=True, text=True, timeout=300)


def adduser(path: Path, name: str, password: str) -> subprocess.CompletedProcess[str]:
    return govqa("adduser", name, "--auth-file", str(path), "--password-stdin", stdin=password + "\n")


def login(check, user: str, password: str) -> bool:
    return asyncio.run(check(user, password))


# ---- the auth file ---------------------------------------------------------------------------------
def test_adduser_writes_a_salted_scrypt_file(tmp_path: Path) -> None:
    users = tmp_path / "users.txt"
    first = adduser(users, "official", "口令-123456")
    assert first.returncode == 0 and "已添加用户 official" in first.stdout, first.stderr
    assert adduser(users, "clerk", "口令-123456").returncode == 0
    assert stat.S_IMODE(users.stat().st_mode) == 0o600
    lines = users.read_text(encoding="utf-8").splitlines()
    entries = [ENTRY.match(line) for line in lines]
    assert all(entries) and [e["user"] for e in entries] == ["official", "clerk"]
    assert entries[0]["salt"] != entries[1]["salt"] and entries[0]["hash"] != entries[1]["hash"]  # salted
    assert int(entries[0]["n"]) >= 2**14

    check = make_auth(users)
    assert login(check, "official", "口令-123456") and login(check, "clerk", "口令-123456")
    assert not login(check, "official", "口令-1234567") and not login(check, "nobody", "口令-123456")

    again = adduser(users, "official", "new-password-1")  # a new password replaces the line
    assert again.returncode == 0 and "已更新用户 official" in again.stdout
    assert len(users.read_text(encoding="utf-8").splitlines()) == 2
    check = make_auth(users)
    assert login(check, "official", "new-password-1") and not login(check, "official", "口令-123456")


def test_adduser_refuses_bad_input(tmp_path: Path) -> None:
    users = tmp_path / "users.txt"
    short = adduser(users, "official", "short")
    assert short.returncode == 2 and "至少需要 8 个字符" in short.stderr and not users.exists()
    colon = adduser(users, "a:b", "long-enough-1")
    assert colon.returncode == 2 and "用户名不可用" in colon.stderr
    nowhere = govqa("adduser", "official", "--password-stdin", stdin="long-enough-1\n")
    assert nowhere.returncode == 2 and "GOVQA_AUTH_FILE" in nowhere.stderr
    by_env = govqa("adduser", "official", "--password-stdin", stdin="long-enough-1\n", GOVQA_AUTH_FILE=str(users))
    assert by_env.returncode == 0 and ENTRY.match(users.read_text(encoding="utf-8").strip())


def test_old_sha256_entries_are_refused_with_how_to_recreate_them(tmp_path: Path) -> None:
    import hashlib

    users = tmp_path / "users.txt"
    users.write_text(f"# old format\nalice:{hashlib.sha256(b's3cret-pass').hexdigest()}\n", encoding="utf-8")
    with pytest.raises(AuthFileError, match=r"旧式无盐 SHA-256.*govqa adduser alice --auth-file"):
        load_auth(users)
    started = govqa("chat", "--index", str(tmp_path / "index"), "--port", str(free_port()),
                    GOVQA_AUTH_FILE=str(users))
    assert started.returncode == 2 and "govqa adduser alice" in started.stderr and "Traceback" not in started.stderr
    assert not (tmp_path / "index").exists()  # refused before anything was opened

    assert adduser(users, "alice", "s3cret-pass").returncode == 0  # re-created in place
    assert login(make_auth(users), "alice", "s3cret-pass")


@pytest.mark.parametrize("line, reason", [
    ("alice:scrypt$16384$8", "无法识别"),
    ("alice:scrypt$1048577$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==", "无法识别"),  # N not a power of two
    ("alice", "格式应为"),
])
def test_malformed_entries_name_the_file_and_line(tmp_path: Path, line: str, reason: str) -> None:
    users = tmp_path / "users.txt"
    users.write_text(f"# users\n{line}\n", encoding="utf-8")
    with pytest.raises(AuthFileError, match=rf"users.txt:2：.*{reason}"):
        load_auth(users)


# ---- throttling ------------------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def cheap_users(**passwords: str) -> dict:
    return {user: parse_hash(hash_password(pw, n=2**4, r=1, p=1)) for user, pw in passwords.items()}


def test_repeated_failures_lock_the_user_out_for_a_growing_window() -> None:
    clock = Clock()
    auth = Authenticator(cheap_users(alice="right-pass", bob="bob-pass"), LoginThrottle(5, 30.0, clock=clock))
    assert not any(auth.check("alice", f"wrong-{i}") for i in range(5))
    assert not auth.check("alice", "right-pass")  # locked: refused without checking
    assert auth.throttle.locked("alice") == 30.0
    assert auth.check("bob", "bob-pass")  # per user
    clock.now += 30.0
    assert not auth.check("alice", "wrong-again")  # the next failure doubles the window
    assert auth.throttle.locked("alice") == 60.0
    clock.now += 60.0
    assert auth.check("alice", "right-pass")  # success clears the count
    assert not auth.check("alice", "wrong") and auth.throttle.locked("alice") == 0.0


def test_concurrent_guesses_cannot_slip_past_the_count() -> None:
    throttle = LoginThrottle(max_failures=5, lockout_s=30.0)
    barrier = threading.Barrier(50)
    results: list[float] = []

    def guess() -> None:
        barrier.wait()
        results.append(throttle.attempt("alice"))

    threads = [threading.Thread(target=guess) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for wait in results if wait == 0.0) == 5  # 5 attempts checked, 45 refused


def test_throttle_memory_is_bounded() -> None:
    throttle = LoginThrottle(max_users=100)
    for i in range(1000):
        throttle.attempt(f"sprayed-{i}")
    assert len(throttle._users) <= 100


def test_make_auth_applies_the_lockout_settings(tmp_path: Path) -> None:
    users = tmp_path / "users.txt"
    assert adduser(users, "official", "right-password").returncode == 0
    check = make_auth(users, max_failures=2, lockout_s=600.0)
    assert not login(check, "official", "wrong-1") and not login(check, "official", "wrong-2")
    assert not login(check, "official", "right-password")


# ---- a real server with login ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(seed_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("auth-server")
    index = root / "index"
    shutil.copytree(seed_index, index)
    users = root / "users.txt"
    for name in ("official", "clerk"):
        assert adduser(users, name, "口令-123456").returncode == 0
    env = {"GOVQA_AUTH_FILE": str(users), "GOVQA_LOGIN_LOCKOUT_S": "3600",
           # the LLM endpoint is down: the ask API must fall back to the offline answer
           "GOVQA_LLM_BASE_URL": f"http://127.0.0.1:{free_port()}/v1", "GOVQA_LLM_TIMEOUT_S": "2"}
    srv = Server(index, env=env)
    try:
        srv.wait_for("ready to answer", 180)
        yield srv
    finally:
        srv.stop()


def test_anonymous_calls_are_refused(server: Server) -> None:
    from gradio_client import Client

    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises a plain ValueError/HTTP error
        Client(server.url, verbose=False)
    anonymous = httpx.post(server.url + "gradio_api/call/ask", json={"data": ["云阳县2022年地区生产总值是多少？"]},
                           timeout=60)
    assert anonymous.status_code in (401, 403), anonymous.text


def test_logged_in_api_ask_falls_back_when_the_llm_is_down(server: Server) -> None:
    from gradio_client import Client

    from bot.answer.llm import FALLBACK_NOTICE

    authed = Client(server.url, auth=("official", "口令-123456"), verbose=False)
    answer = authed.predict("云阳县2022年地区生产总值是多少？", api_name="/ask")
    assert answer["answer"].startswith(f"（{FALLBACK_NOTICE}）") and "557.7" in answer["answer"]
    assert answer["fallback"] == "unreachable" and answer["llm"] == "extractive" and answer["citations"]


def test_wrong_logins_lock_one_user_out_over_http(server: Server) -> None:
    def post(user: str, password: str) -> int:
        return httpx.post(server.url + "login", data={"username": user, "password": password}, timeout=60).status_code

    assert [post("clerk", f"wrong-{i}") for i in range(5)] == [400] * 5
    assert post("clerk", "口令-123456") == 400  # the right password, refused during the lockout
    assert post("official", "口令-123456") == 200  # another user is not affected
    server.wait_for("login for 'clerk' locked", 30)
