"""The map a newcomer reads: `ocr/` holds only the runtime reader, and the wheel ships the
product (canvass, ingest, ocr, reconcile and their data) but not `training/`, `bench/` or
the tests.

The reader is every module `ocr/read.py` reaches by its imports, plus any `ocr` module the
shipped code (`canvass/`, `ingest/`, `reconcile/`) imports; training code belongs in
`training/`, benchmarks in `bench/`.
"""

from __future__ import annotations

import ast
import zipfile
from pathlib import Path

from canvass.settings import REPO_ROOT
from tests.support.wheel import build_wheel

SHIPPED = ("canvass", "ingest", "ocr", "reconcile")
NOT_SHIPPED = ("bench", "training", "tests")


def _module_path(name: str) -> Path | None:
    base = REPO_ROOT.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module of this repository that `path` imports (at any depth in the file)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    named: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            named.add(base)
            named.update(f"{base}.{alias.name}" for alias in node.names)
    found = set()
    for dotted in named:
        parts = dotted.split(".")
        for end in range(1, len(parts) + 1):
            prefix = ".".join(parts[:end])
            if _module_path(prefix) is not None:
                found.add(prefix)
    return found


def _reached(starts: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = _module_path(name)
        assert path is not None, name
        todo.extend(_imports(path))
    return seen


def _shipped_modules() -> list[Path]:
    return [
        path
        for package in SHIPPED
        for path in sorted((REPO_ROOT / package).rglob("*.py"))
        if "versions" not in path.parts  # alembic migrations: loaded by alembic, not imported
    ]


def test_ocr_holds_only_what_the_reader_reaches() -> None:
    outside = [p for p in _shipped_modules() if p.relative_to(REPO_ROOT).parts[0] != "ocr"]
    starts = {"ocr.read"} | {n for p in outside for n in _imports(p) if n.split(".")[0] == "ocr"}
    reader = {name for name in _reached(starts) if name == "ocr" or name.startswith("ocr.")}
    modules = {_module_name(path) for path in (REPO_ROOT / "ocr").rglob("*.py")}
    stray = sorted(modules - reader)
    assert not stray, (
        f"{stray} in ocr/ but not reached from ocr/read.py: training code goes in training/, "
        "benchmarks in bench/"
    )


def test_shipped_code_never_imports_training_or_bench() -> None:
    wrong = {
        f"{path.relative_to(REPO_ROOT)} imports {name}"
        for path in _shipped_modules()
        for name in _imports(path)
        if name.split(".")[0] in NOT_SHIPPED
    }
    assert not wrong, sorted(wrong)


def test_wheel_ships_the_product_and_its_data_only(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())

    tops = {name.split("/")[0] for name in names if ".dist-info/" not in name}
    assert tops == set(SHIPPED), sorted(tops)
    for folder in NOT_SHIPPED:
        assert not [n for n in names if n.startswith(f"{folder}/")], folder

    def tracked(folder: str, pattern: str) -> set[str]:
        return {p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / folder).glob(pattern)}

    data = (
        tracked("ocr/models", "*")
        | tracked("canvass/web/templates", "*.html")
        | tracked("canvass/web/static", "*")
        | tracked("canvass/templates", "*.j2")
        | tracked("canvass/store/migrations", "*.mako")
        | tracked("canvass/store/migrations/versions", "*.py")
        | tracked("canvass/data/iowa2020", "*")
        | tracked("canvass/data/handwriting", "*")
    )
    assert {"ocr/models/digits-v1.npz", "ocr/models/digits-cnn.onnx"} <= data
    assert data <= names, sorted(data - names)
    reader = {f"ocr/{p.name}" for p in (REPO_ROOT / "ocr").glob("*.py")}
    assert {n for n in names if n.startswith("ocr/") and n.endswith(".py")} == reader
