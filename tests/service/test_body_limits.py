"""Request bodies over a size limit answer 413 in the JSON error shape; malformed ones and bad questions 422.

Starlette refuses a form field (a part that is not a file) over `max_part_size` (1 MiB by default) with a
MultiPartException, which reached the client as 422 like any malformed body. A client that sent too much
must learn that it sent too much (413), and a too-long question within that limit stays the question's
error (422 bad_question); file parts are not held to the part limit (the image has its own, 15 MiB).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

MiB = 1024 * 1024
OVER_PART_LIMIT = "问" * (MiB // 3 + 1)  # 3 bytes each in UTF-8: just over Starlette's 1 MiB per field


def assert_error(response: object, status: int, code: str) -> str:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]["message"]


@pytest.mark.parametrize("field", ["text", "session_id"])
def test_a_multipart_field_over_the_part_limit_is_413(client: TestClient, field: str) -> None:
    form = {"text": "退款多久到账", field: OVER_PART_LIMIT}
    message = assert_error(client.post("/chat", data=form, files={"unused": ("", b"")}), 413, "field_too_large")
    assert "maximum size" in message


def test_a_url_encoded_field_over_the_part_limit_is_413(client: TestClient) -> None:
    # /chat takes application/x-www-form-urlencoded too; Starlette's FormParser has the same limit.
    response = client.post("/chat", data={"text": OVER_PART_LIMIT})
    assert response.request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert_error(response, 413, "field_too_large")


def test_an_over_long_question_under_the_part_limit_is_still_a_bad_question(client: TestClient) -> None:
    text = "问" * 100_000  # 300 KB: far over max_question_chars, well under the part limit
    response = client.post("/chat", data={"text": text}, files={"unused": ("", b"")})
    assert "over the 2000 limit" in assert_error(response, 422, "bad_question")


def test_a_file_part_over_the_field_limit_is_judged_by_the_image_limit_not_refused_as_too_large(
    client: TestClient,
) -> None:
    # 2 MiB of not-an-image: past the field limit, under max_image_bytes, so intake reads (and refuses) it.
    junk = b"\x00not an image" * (2 * MiB // 13)
    response = client.post("/chat", data={"text": "看看"}, files={"image": ("x.png", junk, "image/png")})
    assert_error(response, 415, "not_an_image")


def test_an_image_over_the_byte_limit_is_still_image_too_large(
    make_client: Callable[..., TestClient], order_png: bytes
) -> None:
    client = make_client(max_image_bytes=1000)
    response = client.post("/chat", data={"text": "看看"}, files={"image": ("x.png", order_png, "image/png")})
    assert_error(response, 413, "image_too_large")


@pytest.mark.parametrize(
    "body",
    [
        b'--xyz\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi',  # no closing boundary
        b"--xyz\r\nContent-Disposition: form-data\r\n\r\nhi\r\n--xyz--\r\n",  # a part without a name
    ],
)
def test_malformed_multipart_is_still_422(client: TestClient, body: bytes) -> None:
    response = client.post("/chat", content=body, headers={"content-type": "multipart/form-data; boundary=xyz"})
    assert_error(response, 422, "bad_request")


def test_too_many_fields_is_malformed_not_too_large(client: TestClient) -> None:
    # Over Starlette's max_fields (1000): the shape of the form is wrong, no part is too big.
    parts = b"".join(b'--xyz\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n' % i for i in range(1001))
    response = client.post(
        "/chat", content=parts + b"--xyz--\r\n", headers={"content-type": "multipart/form-data; boundary=xyz"}
    )
    assert "Too many fields" in assert_error(response, 422, "bad_request")


def test_serve_keeps_idle_connections_open_past_the_holding_replys_retry_after(
    make_client: Callable[..., TestClient], order_png: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A client that waits Retry-After seconds and asks again should find its keep-alive connection still open.
    held = make_client(queue_size=0).post(
        "/chat", data={"text": "为什么还没发货"}, files={"image": ("a.png", order_png, "image/png")}
    )
    assert held.json()["tier"] == "hold"
    retry_after = int(held.headers["retry-after"])

    import uvicorn

    from snapdesk import cli

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    monkeypatch.setenv("SNAPDESK_DATA_DIR", str(tmp_path / "serve-data"))
    result = CliRunner().invoke(cli.app, ["serve"])
    assert result.exit_code == 0, result.output
    (options,) = calls
    assert options["timeout_keep_alive"] > retry_after


def _chunks(head: bytes, size: int, tail: bytes = b"") -> Iterator[bytes]:
    """A body sent chunked (no Content-Length), so only counting it as it arrives can stop it."""
    yield head
    for _ in range(size // 65536 + 1):
        yield b"\x00" * 65536
    yield tail


@pytest.mark.parametrize("route", ["/chat", "/v1/chat/completions"])
def test_a_chunked_body_over_the_request_limit_is_413_and_records_nothing(
    make_client: Callable[..., TestClient], route: str
) -> None:
    client = make_client(max_image_bytes=MiB)  # request limit: 4/3 MiB for a data: URL, plus 2 MiB
    if route == "/chat":
        head = b'--b\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi\r\n--b\r\n'
        head += b'Content-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n'
        body, kind = _chunks(head, 4 * MiB, b"\r\n--b--\r\n"), "multipart/form-data; boundary=b"
    else:
        body, kind = (
            _chunks(b'{"model": "snapdesk", "messages": [{"role": "user", "content": "', 4 * MiB),
            "application/json",
        )
    response = client.post(route, content=body, headers={"content-type": kind})
    assert "over the limit of 3495253 bytes" in assert_error(response, 413, "body_too_large")
    assert client.app.state.snapdesk.store.admin_conversations(limit=10) == []


def test_an_announced_body_over_the_limit_is_refused_before_it_is_sent(
    make_client: Callable[..., TestClient], assistant: object, tmp_path: Path
) -> None:
    # A real server: a client announcing 10 GB gets its 413 at once, without sending (or the server reading) it.
    from snapdesk.config import Settings
    from snapdesk.service.app import build_state, create_app
    from tests.engines.fake_vllm import Running

    settings = Settings(data_dir=tmp_path / "data", rate_limit_per_minute=0)
    app = create_app(settings, state=build_state(settings, assistant=assistant))  # type: ignore[arg-type]
    with Running(app) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(
                b"POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                b"Content-Length: 10000000000\r\n\r\n--b\r\n"
            )
            reply = b""
            while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413") and b'"code":"body_too_large"' in body
    assert b"x-request-id:" in head.lower()  # logged and counted like any other response
    assert b"10000000000 bytes" in body
