"""Under load the `text` rung keeps an upload unread: checked without decoding, stored under the digest of its
bytes, decoded and moderated only when a follow-up or an operator reads it. Real OCR, real SQLite."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from snapdesk.errors import ImageRefusedError
from snapdesk.intake import load_image
from snapdesk.store.cache import cache_key
from tests.service.conftest import ORDER_NO
from tests.service.test_api import ask


class Reads:
    """Counts what the service decodes: wraps the shared Assistant's `prepare` for one test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, client: TestClient, refuse: bool = False) -> None:
        assistant = client.app.state.snapdesk.assistant
        real = assistant.prepare
        self.calls = 0

        def prepare(image: object) -> object:
            self.calls += 1
            if refuse:
                raise ImageRefusedError("this image cannot be accepted")
            return real(image)

        monkeypatch.setattr(assistant, "prepare", prepare)


def _text_rung(monkeypatch: pytest.MonkeyPatch, client: TestClient) -> Callable[[], None]:
    """Make the ladder answer every request from the `text` rung (as when the queue is half full); returns undo."""
    ladder = client.app.state.snapdesk.ladder
    real = ladder.choose
    monkeypatch.setattr(ladder, "choose", lambda **_: "text")
    return lambda: monkeypatch.setattr(ladder, "choose", real)


def test_the_text_rung_keeps_the_upload_unread_and_a_follow_up_reads_it(
    client: TestClient, order_png: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = Reads(monkeypatch, client)
    back_to_normal = _text_rung(monkeypatch, client)
    first = ask(client, "为什么还没发货", order_png)
    assert first["tier"] == "text" and reads.calls == 0
    assert first["evidence"] == [] and ORDER_NO not in first["answer"]  # nothing was read
    # Nothing is lost: the upload is stored, byte for byte, under the digest of its bytes.
    by_bytes = "sha256:" + hashlib.sha256(order_png).hexdigest()
    session = client.get(f"/sessions/{first['session_id']}").json()
    assert session["messages"][0]["image_digest"] == by_bytes
    assert client.app.state.snapdesk.store.image_bytes(digest=by_bytes) == order_png

    back_to_normal()
    follow = ask(client, "那怎么办", session_id=first["session_id"])
    assert follow["tier"] == "full" and reads.calls == 1  # decoded (and moderated) now
    assert any(ORDER_NO in line["text"] for line in follow["evidence"])
    # Its reading goes by its pixels, like any screenshot's, so the next follow-up needs no decoding.
    assert client.app.state.snapdesk.assistant.has_reading(load_image(order_png).digest)
    again = ask(client, "还要多久才能发货", session_id=first["session_id"])
    assert again["tier"] == "full" and reads.calls == 1
    assert any(ORDER_NO in line["text"] for line in again["evidence"])


def test_the_text_rung_still_refuses_what_is_not_an_image(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, order_png: bytes
) -> None:
    _text_rung(monkeypatch, client)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    cut = order_png[: len(order_png) // 2]  # a PNG whose end is missing: its structure does not verify
    for data, status, code in ((svg, 415, "unsupported_format"), (cut, 422, "truncated_image")):
        response = client.post("/chat", data={"text": "看看"}, files={"image": ("x.png", data, "image/png")})
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    stored = client.app.state.snapdesk.store
    assert stored.image_bytes(digest="sha256:" + hashlib.sha256(svg).hexdigest()) is None


def test_a_follow_up_answers_without_an_unread_upload_that_fails_moderation(
    client: TestClient, order_png: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    back_to_normal = _text_rung(monkeypatch, client)
    first = ask(client, "为什么还没发货", order_png)
    back_to_normal()
    Reads(monkeypatch, client, refuse=True)
    follow = ask(client, "退款多久到账", session_id=first["session_id"])
    assert follow["tier"] == "full" and follow["evidence"] == [] and follow["passages"]


def test_an_operator_sees_an_unread_upload_only_after_moderation(
    client: TestClient, order_png: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = client.app.state.snapdesk.store
    _, secret = store.create_api_key(name="ops", admin=True)
    admin = {"Authorization": f"Bearer {secret}"}
    undo = _text_rung(monkeypatch, client)
    unread = client.post(
        "/chat", data={"text": "为什么还没发货"}, files={"image": ("a.png", order_png, "image/png")}, headers=admin
    ).json()
    undo()
    read = client.post(
        "/chat", data={"text": "为什么还没发货"}, files={"image": ("b.png", order_png, "image/png")}, headers=admin
    ).json()
    by_bytes = "sha256:" + hashlib.sha256(order_png).hexdigest()
    by_pixels = load_image(order_png).digest
    assert unread["tier"] == "text" and read["tier"] == "full" and by_pixels != by_bytes
    passing = Reads(monkeypatch, client)
    # A screenshot that passed intake when it came is shown as stored; the unread one is checked first.
    assert client.get(f"/admin/images/{by_pixels}", headers=admin).status_code == 200
    assert passing.calls == 0
    shown = client.get(f"/admin/images/{by_bytes}", headers=admin)
    assert passing.calls == 1 and shown.status_code == 200 and shown.content == order_png
    assert client.get(f"/admin/images/{by_bytes}", headers=admin).status_code == 200
    assert passing.calls == 1  # checked once: the next view is not decoded again
    client.app.state.snapdesk.cache.set(cache_key("checked", by_bytes), b"1", ttl=-1)  # as after the cache's TTL
    monkeypatch.undo()
    refusing = Reads(monkeypatch, client, refuse=True)  # moderation that refuses it (a stricter rule since)
    refused = client.get(f"/admin/images/{by_bytes}", headers=admin)
    assert refusing.calls == 1 and refused.status_code == 422
    assert refused.json()["error"]["code"] == "image_refused" and refused.content[:4] != order_png[:4]
    # Refused once read, it is not kept, as a refused upload is not: gone, and never decoded again.
    assert client.get(f"/admin/images/{by_bytes}", headers=admin).status_code == 404 and refusing.calls == 1
    assert store.image_bytes(digest=by_bytes) is None and store.image_bytes(digest=by_pixels) == order_png


def test_a_customer_gets_back_only_the_screenshots_of_their_own_session(
    client: TestClient, order_png: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = client.app.state.snapdesk.store
    _, alice = store.create_api_key(name="alice")
    _, bob = store.create_api_key(name="bob")
    as_alice, as_bob = {"Authorization": f"Bearer {alice}"}, {"Authorization": f"Bearer {bob}"}
    files = {"image": ("a.png", order_png, "image/png")}
    read = client.post("/chat", data={"text": "为什么还没发货"}, files=files, headers=as_alice).json()
    session = read["session_id"]
    [question] = [
        m for m in client.get(f"/sessions/{session}", headers=as_alice).json()["messages"] if m["role"] == "user"
    ]
    url = f"/sessions/{session}/images/{question['image_digest']}"
    shown = client.get(url, headers=as_alice)
    assert shown.status_code == 200 and shown.content == order_png
    assert shown.headers["content-type"] == "image/png" and shown.headers["x-content-type-options"] == "nosniff"
    assert client.get(url, headers=as_bob).json()["error"]["code"] == "not_found"  # another key: 404
    elsewhere = "sha256:" + "0" * 64  # a digest that is not in this session
    assert client.get(f"/sessions/{session}/images/{elsewhere}", headers=as_alice).status_code == 404
    # Only a digest is accepted there: anything else is refused before the store is asked (422), or, with an
    # encoded slash, matches no route at all (404).
    for bad in ("sha256:XYZ", "sha256:" + "0" * 63, "sha256:" + "0" * 64 + ".png"):
        assert client.get(f"/sessions/{session}/images/{bad}", headers=as_alice).status_code == 422, bad
    for bad in ("..%2F..%2Fsnapdesk.db", "sha256%3A..%2F" + "0" * 60):
        assert client.get(f"/sessions/{session}/images/{bad}", headers=as_alice).status_code == 404, bad

    # An upload kept unread is decoded and moderated before it is shown, also to its own customer.
    other = io.BytesIO()
    Image.open(io.BytesIO(order_png)).save(other, "PNG", compress_level=1)  # same pixels, bytes never seen
    undo = _text_rung(monkeypatch, client)
    files = {"image": ("b.png", other.getvalue(), "image/png")}
    unread = client.post("/chat", data={"text": "看看"}, files=files, headers=as_bob).json()
    undo()
    Reads(monkeypatch, client, refuse=True)
    by_bytes = "sha256:" + hashlib.sha256(other.getvalue()).hexdigest()
    refused = client.get(f"/sessions/{unread['session_id']}/images/{by_bytes}", headers=as_bob)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "image_refused"


def test_under_load_no_decoding_for_a_follow_up_or_a_known_upload_that_the_text_rung_answers(
    client: TestClient, order_png: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = Reads(monkeypatch, client)
    first = ask(client, "为什么还没发货", order_png)  # read normally: one decode
    assert first["tier"] == "full" and reads.calls == 1
    _text_rung(monkeypatch, client)
    again = ask(client, "运费多少", order_png)  # the same bytes, another question, under load
    follow = ask(client, "那怎么办", session_id=first["session_id"])
    assert (again["tier"], follow["tier"], reads.calls) == ("text", "text", 1)


def test_a_screenshot_read_after_being_kept_unread_is_stored_by_its_pixels_too(
    client: TestClient, order_png: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = client.app.state.snapdesk.store
    back_to_normal = _text_rung(monkeypatch, client)
    first = ask(client, "为什么还没发货", order_png)
    back_to_normal()
    ask(client, "那怎么办", session_id=first["session_id"])  # reads it
    by_pixels = load_image(order_png).digest
    assert store.image_bytes(digest=by_pixels) == order_png
    # The same bytes in a new session are known now (no decoding), and name a screenshot that is stored.
    reads = Reads(monkeypatch, client)
    second = ask(client, "为什么还没发货？", order_png)
    messages = client.get(f"/sessions/{second['session_id']}").json()["messages"]
    assert messages[0]["image_digest"] == by_pixels and reads.calls == 0
    assert client.get(f"/sessions/{second['session_id']}/images/{by_pixels}").content == order_png


def test_an_answer_to_a_follow_up_that_read_an_unread_upload_is_cached_by_its_pixels(
    client: TestClient, order_png: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two sessions with the same turns on the same screenshot, kept unread in both: the follow-up that reads it in
    the first is found by the same follow-up in the second, which looks the screenshot up by its pixels."""
    back_to_normal = _text_rung(monkeypatch, client)
    sessions = [ask(client, "为什么还没发货", order_png)["session_id"] for _ in range(2)]
    back_to_normal()
    first = ask(client, "那怎么办", session_id=sessions[0])
    assert first["tier"] == "full"
    second = ask(client, "那怎么办", session_id=sessions[1])
    assert second["tier"] == "cache" and second["answer"] == first["answer"]
