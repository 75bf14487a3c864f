"""The documentation site builds with `mkdocs build --strict`, and every ```python block in docs/ runs.

A block preceded by `<!-- no-test -->` is skipped (for the few that need a download or GPUs).
The blocks of one page run in order in one namespace, as a reader would run them.
"""

import importlib.util
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = os.path.join(ROOT, "docs")
PAGES = sorted(f for f in os.listdir(DOCS) if f.endswith(".md"))
pytestmark = pytest.mark.filterwarnings("ignore:The image decoding:DeprecationWarning")
_BLOCK = re.compile(r"(<!--\s*no-test\s*-->\s*\n)?```python\n(.*?)```", re.S)


def python_blocks(text):
    """The ```python blocks of a page, without those marked `<!-- no-test -->`."""
    return [m.group(2) for m in _BLOCK.finditer(text) if not m.group(1)]


def test_block_extraction_honours_the_no_test_marker():
    text = "a\n```python\nx = 1\n```\n<!-- no-test -->\n```python\ndownload()\n```\n```bash\nls\n```\n"
    assert python_blocks(text) == ["x = 1\n"]


def test_every_page_is_in_the_navigation():
    with open(os.path.join(ROOT, "mkdocs.yml")) as f:
        nav = f.read()
    assert [p for p in PAGES if f": {p}" not in nav] == []


def test_no_test_markers_stay_rare():
    texts = [open(os.path.join(DOCS, p)).read() for p in PAGES]
    marked = sum(len(re.findall(r"<!--\s*no-test\s*-->", t)) for t in texts)
    total = sum(t.count("```python") for t in texts)
    assert marked <= max(2, total // 10), f"{marked} of {total} blocks are not tested"


@pytest.mark.parametrize("page", PAGES)
def test_python_blocks_run(page, tmp_path, monkeypatch):
    text = open(os.path.join(DOCS, page)).read()
    blocks = python_blocks(text)
    if not blocks:
        pytest.skip(f"{page} has no python blocks")
    if any(re.search(r"^import keras\b", b, re.M) for b in blocks) and importlib.util.find_spec("keras") is None:
        pytest.skip("real Keras 3 is not installed (pip install -e '.[dev]')")
    monkeypatch.chdir(tmp_path)                        # files the blocks write land here
    monkeypatch.setenv("KERASTORCH_HOME", str(tmp_path))
    monkeypatch.setenv("KERASTORCH_OFFLINE", "1")
    namespace = {"__name__": f"docs_{page[:-3]}"}
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"docs/{page} (python block {i + 1})", "exec"), namespace)
        except Exception as e:
            raise AssertionError(f"docs/{page}, python block {i + 1} failed: {type(e).__name__}: {e}\n{block}") from e


def test_mkdocs_build_strict(tmp_path):
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("mkdocstrings") is None:
        pytest.skip("mkdocs/mkdocstrings are not installed (pip install -e '.[dev]')")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (tmp_path / "site" / "api" / "index.html").exists()
