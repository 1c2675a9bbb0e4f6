"""Request bodies over a size limit answer 413 in the JSON error shape; malformed ones and bad questions 422.

Starlette refuses a form field (a part that is not a file) over `max_part_size` (1 MiB by default) with a
MultiPartException, which reached the client as 422 like any malformed body. A client that sent too much
must learn that it sent too much (413), and a too-long question within that limit stays the question's
error (422 bad_question); file parts are not held to the part limit (the image has its own, 15 MiB).
"""

from __future__ import annotations

from collections.abc import Callable
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
