"""The `snapdesk` command, run as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.screens import phone_screen, to_bytes

SNAPDESK = [sys.executable, "-m", "snapdesk.cli"]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([*SNAPDESK, *args], input=stdin, capture_output=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def order_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "order.png"
    image = phone_screen(
        "订单详情",
        status=("待补充地址", "收货地址信息不完整"),
        banner=["收货地址不完整：缺少门牌号，补充后才能发货。"],
        rows=[("订单编号", "202611240087731"), ("实付款", "¥268.00")],
    )
    path.write_bytes(to_bytes(image))
    return path


def test_ask_answers_from_the_demo_knowledge_base(order_png: Path) -> None:
    result = run("ask", str(order_png), "我的货怎么还没发？", "--json")
    assert result.returncode == 0, result.stderr.decode()
    answer = json.loads(result.stdout)
    assert "202611240087731" in answer["text"]
    assert answer["intent"] == "order_status"
    assert any("待补充地址" in p["heading"] for p in answer["passages"])
    assert answer["evidence"] and all(len(e["box"]) == 4 for e in answer["evidence"])


def test_ask_reads_standard_input(order_png: Path) -> None:
    result = run("ask", "-", "我的货怎么还没发？", stdin=order_png.read_bytes())
    assert result.returncode == 0, result.stderr.decode()
    assert "202611240087731" in result.stdout.decode()


def test_ask_without_an_image() -> None:
    result = run("ask", "退款多久能到账？", "--json")
    assert result.returncode == 0, result.stderr.decode()
    answer = json.loads(result.stdout)
    assert answer["intent"] == "refund" and answer["passages"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "/no/such/file.png", "为什么？"], "no such file"),
        (["ask", "{text}", "为什么？"], "not an image"),
        (["kb", "check", "/no/such/kb"], "not found"),
        (["eval", "/no/such/set"], "cases.jsonl"),
    ],
)
def test_errors_are_one_line_without_a_traceback(tmp_path: Path, args: list[str], message: str) -> None:
    text_file = tmp_path / "notes.png"
    text_file.write_text("just text")
    result = run(*[a.replace("{text}", str(text_file)) for a in args])
    stderr = result.stderr.decode()
    assert result.returncode == 2
    assert "Traceback" not in stderr
    assert message in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_kb_check_lists_the_demo_kb() -> None:
    from snapdesk.knowledge import demo_kb_path

    result = run("kb", "check", str(demo_kb_path()))
    assert result.returncode == 0, result.stderr.decode()
    assert "App 技术组" in result.stdout.decode()


def test_eval_writes_results_and_summary(tmp_path: Path, order_png: Path) -> None:
    from snapdesk.knowledge import demo_kb_path

    folder = tmp_path / "set"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "a.png").write_bytes(order_png.read_bytes())
    (folder / "kb").symlink_to(demo_kb_path())
    cases = [
        {
            "id": "a",
            "image": "images/a.png",
            "question": "为什么还没发货？",
            "expect": {
                "all": [["202611240087731"], ["门牌号"]],
                "none": ["已发货"],
                "escalate": False,
                "intent": "order_status",
            },
        },
        {
            "id": "b",
            "question": "那现在怎么弄？",
            "history": [{"role": "user", "text": "看下这个", "image": "images/a.png"}],
            "expect": {"all": [["补充", "修改"]], "intent": "order_status"},
        },
    ]
    (folder / "cases.jsonl").write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n")
    out = tmp_path / "results.jsonl"
    result = run("eval", str(folder), "--out", str(out))
    assert result.returncode == 0, result.stderr.decode()
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["a", "b"]
    assert set(lines[0]) == {"id", "answer", "escalate", "intent", "latency_ms", "evidence"}
    assert "mean score" in result.stdout.decode()


def test_config_masks_passwords_in_urls() -> None:
    env = {**os.environ, "COLUMNS": "250", "SNAPDESK_DATABASE_URL": "postgresql+psycopg://shop:s3cret@db/snapdesk"}
    result = subprocess.run([*SNAPDESK, "config"], capture_output=True, env=env, timeout=60)
    assert result.returncode == 0
    assert "s3cret" not in result.stdout.decode() and "shop:****@db" in result.stdout.decode()


def test_serve_names_its_pages_and_opens_the_chat_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import typer
    import uvicorn
    from typer.testing import CliRunner

    from snapdesk import cli

    opened: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: None)
    monkeypatch.setattr(typer, "launch", lambda url, **_: opened.append(url))

    class AtOnce:  # the timer fires at once here: the stubbed server returns immediately
        def __init__(self, _delay: float, function: object, args: tuple[object, ...] = ()) -> None:
            self.run = lambda: function(*args)  # type: ignore[operator]

        def start(self) -> None:
            self.run()

    monkeypatch.setattr(threading, "Timer", AtOnce)
    monkeypatch.setenv("SNAPDESK_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(cli.app, ["serve", "--port", "8123", "--open"])
    assert result.exit_code == 0, result.output
    assert (
        "chat page http://127.0.0.1:8123/" in result.output and "console http://127.0.0.1:8123/admin" in result.output
    )
    assert opened == ["http://127.0.0.1:8123/"]


def test_keys_create_an_agent_key_that_lists_with_its_role(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from snapdesk.store import Store
    from snapdesk.store.db import sqlite_url

    monkeypatch.setenv("SNAPDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SNAPDESK_DATABASE_URL", raising=False)
    created = run("keys", "create", "--agent", "alice")
    assert created.returncode == 0, created.stderr.decode()
    key_id, secret = created.stdout.decode().split()
    listed = run("keys", "list").stdout.decode()
    assert key_id in listed and "agent" in listed
    both = run("keys", "create", "--agent", "--admin", "bob")
    assert both.returncode == 2 and "either --admin or --agent" in both.stderr.decode()
    store = Store(sqlite_url(tmp_path / "data"), data_dir=tmp_path / "data")
    try:
        assert store.verify_api_key(secret=secret) == {"id": key_id, "name": "alice", "role": "agent"}
    finally:
        store.dispose()
