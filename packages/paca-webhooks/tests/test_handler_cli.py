"""``paca webhooks``: configuration, serve, dead-letters and replay."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from paca.webhooks import _cli
from paca.webhooks._inbox_sqlite import SQLiteInbox
from paca.webhooks._signing import generate_standard_webhook_secret, sign_standard_webhook

if TYPE_CHECKING:
    from pathlib import Path


def write_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "hooks.toml"
    path.write_text(
        f"""
path = "/webhooks/billing"
port = 0
source = "billing"
workers = 1
{extra}

[verifier]
scheme = "standard-webhooks"
secrets_env = ["TEST_WEBHOOK_SECRET"]

[inbox]
sqlite = "{tmp_path / "hooks.db"}"
"""
    )
    return path


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    value = generate_standard_webhook_secret().reveal()
    monkeypatch.setenv("TEST_WEBHOOK_SECRET", f"whsec_b2xkb2xkb2xkb2xkb2xk, {value}")
    return value


async def test_serve_receives_then_stops(tmp_path: Path, secret: str) -> None:
    config = _cli.load_config(write_config(tmp_path))
    stop = asyncio.Event()
    ports: list[int] = []
    task = asyncio.create_task(_cli.serve(config, stop=stop, ready=ports.append))
    try:
        for _ in range(500):
            if ports or task.done():
                break
            await asyncio.sleep(0.01)
        body = json.dumps({"type": "invoice.paid"}).encode()
        headers = sign_standard_webhook(secret, "msg_cli", time.time(), body)
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"http://127.0.0.1:{ports[0]}/webhooks/billing", data=body, headers=headers
            ) as response,
        ):
            assert response.status == 200
    finally:
        stop.set()
        assert await task == 0
    async with SQLiteInbox(tmp_path / "hooks.db") as inbox:
        assert await inbox.count("processed") == 1  # no route: processed, nothing ran


async def test_replay_and_dead_letters_commands(
    tmp_path: Path, secret: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path)
    async with SQLiteInbox(tmp_path / "hooks.db") as inbox:
        for event_id in ("a", "b"):
            assert await inbox.put("billing", event_id, "t", b"{}", 1.0)
            (event,) = await inbox.claim(1, 30, 0)
            await inbox.dead_letter(event, "failed")
    parser = _cli.argparse.ArgumentParser()
    handler = _cli.register(parser)

    async def run(*argv: str) -> int:
        result: Any = handler(parser.parse_args(list(argv)))
        return int(await result)

    assert await run("dead-letters", "-c", str(path)) == 0
    assert capsys.readouterr().out.count("billing\t") == 2
    assert await run("replay", "-c", str(path), "a", "zzz") == 1
    assert "no dead letter 'zzz'" in capsys.readouterr().err
    assert await run("replay", "-c", str(path)) == 2
    assert await run("replay", "-c", str(path), "--all") == 0
    assert "replayed 1" in capsys.readouterr().out
    async with SQLiteInbox(tmp_path / "hooks.db") as inbox:
        assert await inbox.count("dead") == 0
        assert await inbox.count("pending") == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("bogus = 1", "unknown configuration keys: bogus"),
        ("port = 'x'\n[verifier]\nscheme='nope'\nsecrets_env=['TEST_WEBHOOK_SECRET']", "scheme"),
        ("[verifier]\nsecrets_env=['UNSET_PACA_VAR']", "UNSET_PACA_VAR"),
        ("[verifier]\nscheme='stripe'", "secrets_env"),
        ("[verifier]\nsecrets_env=['TEST_WEBHOOK_SECRET']\n[inbox]\nx=1", "[inbox] needs"),
        (
            "[verifier]\nsecrets_env=['TEST_WEBHOOK_SECRET']\n[inbox]\nredis_url_env='UNSET_X'",
            "UNSET_X",
        ),
        (
            "handlers = ['no.such.module:setup']\n[verifier]\nsecrets_env='TEST_WEBHOOK_SECRET'\n"
            "[inbox]\nsqlite=':memory:'",
            "cannot load",
        ),
        ("= broken", "cannot read"),
    ],
)
def test_bad_configurations_exit_2(
    tmp_path: Path,
    secret: str,
    content: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    assert _cli.main(["serve", "-c", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_every_scheme_builds(secret: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAIN_SECRET", "plain-secret")
    for scheme in ("stripe", "github", "slack"):
        verifier = _cli.build_verifier(
            {"scheme": scheme, "secrets_env": "PLAIN_SECRET", "tolerance": 60}
        )
        assert verifier.scheme == scheme
    inbox = _cli.build_inbox({"redis_url": "redis://127.0.0.1:6379/0", "prefix": "p"})
    assert repr(inbox) == "RedisInbox(prefix='p', group='workers')"
