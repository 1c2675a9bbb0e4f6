from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from snapdesk.errors import KnowledgeBaseError
from snapdesk.knowledge import KnowledgeStore, demo_kb_path


def make_kb(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "kb.yaml").write_text("name: 测试\nteams: [财务组]\n", encoding="utf-8")
    (root / "a.md").write_text("# A\n\n## 退款\n\n三天到账。\n", encoding="utf-8")
    return root


def edit(path: Path, text: str) -> None:
    """Write and move the mtime forward, so the change is seen even on coarse-mtime filesystems."""
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_reloads_when_a_file_changes(tmp_path: Path) -> None:
    store = KnowledgeStore(make_kb(tmp_path), check_interval=0)
    first = store.current()
    assert store.current() is first  # unchanged: the same object, not a reload
    edit(tmp_path / "a.md", "# A\n\n## 退款\n\n五天到账。\n")
    second = store.current()
    assert second.version != first.version
    assert second.passages[0].text == "五天到账。"
    assert store.version == second.version
    assert store.last_error is None


def test_new_and_removed_articles_are_noticed(tmp_path: Path) -> None:
    store = KnowledgeStore(make_kb(tmp_path), check_interval=0)
    (tmp_path / "b.md").write_text("# B\n\n## 物流\n\n催件。\n", encoding="utf-8")
    assert store.current().articles == ["A", "B"]
    (tmp_path / "b.md").unlink()
    assert store.current().articles == ["A"]


def test_broken_kb_yaml_keeps_the_last_good_kb(tmp_path: Path) -> None:
    store = KnowledgeStore(make_kb(tmp_path), check_interval=0)
    good = store.current()
    edit(tmp_path / "kb.yaml", "teams: [财务组\n")
    assert store.current() is good
    assert store.last_error is not None and "not valid YAML" in store.last_error
    edit(tmp_path / "kb.yaml", "name: 修好了\nteams: [财务组]\n")
    assert store.current().name == "修好了"
    assert store.last_error is None


def test_removed_folder_keeps_the_last_good_kb(tmp_path: Path) -> None:
    folder = make_kb(tmp_path / "kb")
    store = KnowledgeStore(folder, check_interval=0)
    good = store.current()
    for file in folder.iterdir():
        file.unlink()
    folder.rmdir()
    assert store.current() is good
    assert store.last_error is not None and "not found" in store.last_error


def test_checks_at_most_every_interval(tmp_path: Path) -> None:
    store = KnowledgeStore(make_kb(tmp_path), check_interval=3600)
    first = store.current()
    edit(tmp_path / "a.md", "# A\n\n## 退款\n\n改了。\n")
    assert store.current() is first


def test_first_load_errors_are_raised(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError):
        KnowledgeStore(tmp_path / "missing")


def test_current_is_thread_safe(tmp_path: Path) -> None:
    store = KnowledgeStore(make_kb(tmp_path), check_interval=0)
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(50):
                store.current().search("退款")
        except BaseException as exc:  # pragma: no cover - only on failure
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for n in range(5):
        edit(tmp_path / "a.md", f"# A\n\n## 退款\n\n第 {n} 版。\n")
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.current().passages[0].text == "第 4 版。"


def test_demo_kb_path_is_a_folder() -> None:
    assert demo_kb_path().is_dir()
    assert (demo_kb_path() / "kb.yaml").is_file()
