"""The layers, enforced: every module's imports are walked (with `ast`, nothing imported)
and an import against the allowed order fails, naming the module, the line and the rule.

    kernel <- forms <- ocr, synth <- reconcile <- store <- ingest <- stories <- web <- cli

A module may import its own layer and any layer to its left, never one to its right nor a
neighbour of the same rank (ocr and synth do not import each other). The command line sits
above the web app only because `canvass serve` starts it; the web never imports the CLI,
and both tell the same stories.
`reconcile` sits above `ocr` because it verifies reported values with the reader's own box
arithmetic (`ocr.verify`); the reader never needs the caucus math. The product never
imports the `bench/` or `training/` homes, nor the tests.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from canvass.settings import REPO_ROOT

PRODUCT = ("canvass", "ingest", "ocr", "reconcile")
KERNEL = (
    "canvass",
    "canvass.model",
    "canvass.errors",
    "canvass.settings",
    "canvass.progress",
    "canvass.roles",
    "canvass.policy",
    "canvass.handwriting",
    "canvass.wording",
)
RANKS = {
    "kernel": 0,
    "forms": 1,
    "ocr": 2,
    "synth": 2,
    "reconcile": 3,
    "store": 4,
    "ingest": 5,
    "stories": 6,
    "web": 7,
    "cli": 8,
}
NEVER = ("bench", "training", "tests")


def layer_of(module: str) -> str | None:
    """The layer of a product module (None: not the product's)."""
    top = module.split(".")[0]
    if top not in PRODUCT:
        return None
    for prefix, layer in (
        ("canvass.cli", "cli"),
        ("canvass.__main__", "cli"),
        ("canvass.web", "web"),
        ("canvass.store", "store"),
        ("canvass.worksheet", "forms"),
        ("canvass.forms", "forms"),
        ("canvass.elections", "forms"),
        ("canvass.synth", "synth"),
    ):
        if module == prefix or module.startswith(prefix + "."):
            return layer
    if top in ("ingest", "ocr", "reconcile"):
        return top
    if any(module == k or module.startswith(k + ".") for k in KERNEL[1:]) or module == "canvass":
        return "kernel"
    return "stories"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) of every absolute import in the file, at any depth."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)


def product_files() -> list[Path]:
    return sorted(p for top in PRODUCT for p in (REPO_ROOT / top).rglob("*.py"))


def test_every_import_follows_the_layers() -> None:
    wrong = []
    for path in product_files():
        here = module_name(path)
        mine = layer_of(here)
        assert mine is not None
        for line, target in imports(path):
            theirs = layer_of(target)
            where = f"{path.relative_to(REPO_ROOT)}:{line}: {here} ({mine}) imports {target}"
            if target.split(".")[0] in NEVER:
                wrong.append(f"{where}: the product never imports {target.split('.')[0]}/")
            elif theirs is None or theirs == mine:
                continue
            elif RANKS[theirs] >= RANKS[mine]:
                wrong.append(f"{where} ({theirs}): against the layers")
    assert wrong == [], "\n".join(wrong)


def test_the_layer_map_knows_every_module() -> None:
    """A new top-level module of canvass is a story unless listed in KERNEL: this keeps the
    map honest (the kernel list names real modules)."""
    names = {module_name(p) for p in product_files()}
    for kernel in KERNEL:
        assert kernel in names, f"KERNEL lists {kernel}, which does not exist"
    assert layer_of("canvass.stories.review") == "stories"
    assert layer_of("canvass.store.decide") == "store"
    assert layer_of("canvass.policy") == "kernel"


def test_the_check_catches_an_import_against_the_layers(tmp_path: Path) -> None:
    """The walk sees imports at any depth (inside functions too)."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from canvass.web.app import create_app\n")
    assert list(imports(sample)) == [(2, "canvass.web.app")]
    assert RANKS[layer_of("canvass.web.app") or ""] > RANKS[layer_of("reconcile.compare") or ""]


def test_sql_lives_only_in_the_store() -> None:
    """Outside `canvass.store` the product holds an Engine to pass down, and nothing else
    of SQLAlchemy or SQLModel: every query is a store function."""
    wrong = []
    for path in product_files():
        if module_name(path).startswith("canvass.store"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                top = node.module.split(".")[0]
                names = {a.name for a in node.names}
                if top == "sqlmodel" or (top == "sqlalchemy" and names - {"Engine"}):
                    wrong.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}: {node.module}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] in ("sqlalchemy", "sqlmodel"):
                        wrong.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}: {alias.name}")
    assert wrong == [], "\n".join(wrong)


def key_parsing(path: Path) -> Iterator[int]:
    """Lines that split a string at a dot (`.partition(".")`, `.split(".")`, `.rpartition`)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("partition", "rpartition", "split", "rsplit")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == "."
        ):
            yield node.lineno


def test_field_keys_are_parsed_only_in_the_forms_package() -> None:
    """One owner for a form's keys (`canvass.forms.spec.parse_key`): no other module of the
    product takes a key apart at its dot, so a new form's keys need no change elsewhere.
    (Module names, version strings and the like are split only where listed here.)"""
    allowed = {"canvass.forms.spec"}
    wrong = [
        f"{path.relative_to(REPO_ROOT)}:{line}"
        for path in product_files()
        if module_name(path) not in allowed
        for line in key_parsing(path)
    ]
    assert wrong == [], "split at a dot outside canvass/forms (use parse_key):\n" + "\n".join(wrong)


def test_the_key_parsing_check_sees_a_split(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('def f(key):\n    return key.partition(".")[2]\n')
    assert list(key_parsing(sample)) == [2]
