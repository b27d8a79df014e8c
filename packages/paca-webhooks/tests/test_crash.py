"""Crash safety with real processes: SIGKILL after the ack loses nothing; many hosts share Redis.

A receiver process acknowledges deliveries and is killed with SIGKILL right after the last 2xx
(its only worker is stuck in a handler, so nothing was processed); a new process on the same
SQLite file / Redis stream then processes every acknowledged event. With Redis, two receiver
processes and three worker processes share one stream: every event is processed exactly once,
even when each delivery is sent to both receivers.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from paca.webhooks._inbox_redis import RedisInbox

if TYPE_CHECKING:
    from pathlib import Path

SECRET = b"crash-secret"

SCRIPT = r"""
import asyncio, hashlib, hmac, os, sys
from aiohttp import web
from paca.webhooks._handler import WebhookHandler
from paca.webhooks._inbox_redis import RedisInbox
from paca.webhooks._inbox_sqlite import SQLiteInbox
from paca.webhooks._verify_protocol import VerificationError, VerifiedDelivery


class Verifier:
    scheme = "test-hmac"

    def verify(self, headers, body, now):
        given = headers.get("X-Signature", "")
        expected = hmac.new(b"crash-secret", body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(given, expected):
            raise VerificationError(401, "bad_signature")
        return VerifiedDelivery(headers.get("X-Event-Id"), now, self.scheme)


async def main(mode, store, target, out):
    if store.startswith("redis://"):
        url, _, prefix = store.partition("#")
        inbox = RedisInbox(url, prefix=prefix, reclaim_interval=0.2)
    else:
        inbox = SQLiteInbox(store)
    hooks = WebhookHandler(verifier=Verifier(), inbox=inbox, workers=1, lease=1.0, poll=0.05)
    never = asyncio.Event()

    @hooks.on("*")
    async def handle(event):
        if mode == "stuck-receiver":
            await never.wait()
        with open(out, "a") as f:
            f.write(event.id + "\n")
            f.flush()

    if mode in ("stuck-receiver", "receiver"):
        runner = web.AppRunner(hooks.create_app(path="/h"))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        if mode == "stuck-receiver":
            await hooks.start()
        print(port, flush=True)
        await asyncio.Event().wait()
    else:
        await hooks.start()
        print("ready", flush=True)
        await asyncio.Event().wait()


asyncio.run(main(*sys.argv[1:5]))
"""


def delivery(event_id: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"id": event_id, "type": "order.created"}).encode()
    signature = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    return body, {"X-Signature": signature, "X-Event-Id": event_id}


class Proc:
    def __init__(self, script: Path, mode: str, store: str, out: Path) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, str(script), mode, store, "-", str(out)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.popen.stdout is not None
        self.first_line = self.popen.stdout.readline().strip()

    @property
    def port(self) -> int:
        return int(self.first_line)

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)
        if self.popen.stdout is not None:
            self.popen.stdout.close()


def processed(paths: list[Path]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in paths:
        if path.exists():
            counts.update(line for line in path.read_text().splitlines() if line)
    return counts


async def wait_for_ids(paths: list[Path], expected: set[str], timeout: float) -> Counter[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = processed(paths)
        if set(counts) >= expected:
            await asyncio.sleep(0.5)  # let any duplicate show up
            return processed(paths)
        await asyncio.sleep(0.05)
    return processed(paths)


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "receiver_app.py"
    path.write_text(SCRIPT)
    return path


async def post_all(port: int, ids: list[str]) -> list[int]:
    async with aiohttp.ClientSession() as session:

        async def one(event_id: str) -> int:
            body, headers = delivery(event_id)
            async with session.post(f"http://127.0.0.1:{port}/h", data=body, headers=headers) as r:
                return r.status

        return list(await asyncio.gather(*(one(i) for i in ids)))


async def crash_then_recover(script: Path, store: str, tmp_path: Path) -> None:
    ids = [f"evt_{i}" for i in range(40)]
    receiver = Proc(script, "stuck-receiver", store, tmp_path / "never.txt")
    try:
        assert await post_all(receiver.port, ids) == [200] * len(ids)
    finally:
        receiver.kill()  # SIGKILL right after the last acknowledgement
    out = tmp_path / "recovered.txt"
    worker = Proc(script, "worker", store, out)
    try:
        assert worker.first_line == "ready"
        counts = await wait_for_ids([out], set(ids), timeout=30)
    finally:
        worker.kill()
    assert not (tmp_path / "never.txt").exists()
    assert set(counts) == set(ids)  # no acknowledged event is lost
    assert max(counts.values()) == 1


@pytest.mark.slow
async def test_sqlite_receiver_killed_after_ack_loses_nothing(script: Path, tmp_path: Path) -> None:
    await crash_then_recover(script, str(tmp_path / "hooks.db"), tmp_path)


@pytest.fixture
async def redis_store(redis_url: str) -> Any:
    prefix = f"paca-test:webhooks:{uuid.uuid4().hex}"
    yield f"{redis_url}#{prefix}"
    inbox = RedisInbox(redis_url, prefix=prefix)
    await inbox.delete_all()
    await inbox.close()


@pytest.mark.slow
@pytest.mark.redis
async def test_redis_receiver_killed_after_ack_loses_nothing(
    script: Path, tmp_path: Path, redis_store: str
) -> None:
    await crash_then_recover(script, redis_store, tmp_path)


@pytest.mark.slow
@pytest.mark.redis
async def test_two_receivers_three_workers_process_every_event_once(
    script: Path, tmp_path: Path, redis_store: str
) -> None:
    ids = [f"evt_{i}" for i in range(150)]
    outs = [tmp_path / f"worker{i}.txt" for i in range(3)]
    procs = [Proc(script, "receiver", redis_store, tmp_path / "r.txt") for _ in range(2)]
    procs += [Proc(script, "worker", redis_store, out) for out in outs]
    try:
        statuses = await asyncio.gather(post_all(procs[0].port, ids), post_all(procs[1].port, ids))
        assert statuses == [[200] * len(ids)] * 2  # each delivery sent to both receivers
        counts = await wait_for_ids(outs, set(ids), timeout=30)
    finally:
        for proc in procs:
            proc.kill()
    assert set(counts) == set(ids)
    assert max(counts.values()) == 1
    per_worker = [len(processed([out])) for out in outs]
    assert sum(per_worker) == len(ids)
    print(f"events per worker: {per_worker}")
