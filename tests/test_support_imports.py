"""A test module never imports another test module: what tests share lives in
tests/support/ (and tests/conftest.py), each helper defined once."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ALLOWED = ("tests.conftest", "tests.support")


def package_of(path: Path) -> str:
    return ".".join(path.relative_to(TESTS.parent).parts[:-1])


def imported_modules(source: str, package: str) -> list[tuple[int, str]]:
    """(line, module) for every module `source` (a module of `package`) imports, at any
    depth, relative imports made absolute, and `from package import name` counted as
    importing package.name too."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def forbidden(module: str) -> bool:
    if not module.startswith("tests."):
        return False
    return not any(module == ok or module.startswith(f"{ok}.") for ok in ALLOWED)


def offences(paths: list[Path]) -> list[str]:
    return [
        f"{path.relative_to(TESTS.parent)}:{line} imports {module}"
        for path in paths
        for line, module in imported_modules(path.read_text(), package_of(path))
        if forbidden(module)
    ]


def test_no_test_module_imports_another() -> None:
    paths = sorted([*TESTS.glob("*.py"), *TESTS.glob("browser/*.py"), *TESTS.glob("support/*.py")])
    assert len(paths) > 40
    assert offences(paths) == [], "move the helper to tests/support/ and import it from there"


def test_the_check_sees_every_form() -> None:
    """The walk itself: each way of reaching another test module is caught, and the
    allowed ones pass."""
    source = (
        "from tests.test_election import apportionment\n"
        "import tests.test_ingest_photos\n"
        "from tests.browser.support import PASSWORD\n"
        "from tests import test_store\n"
        "from . import test_journeys\n"
        "def later() -> None:\n"
        "    from tests.test_reconcile_compare import (\n"
        "        TALLY,\n"
        "    )\n"
        "from tests.support.iowa import IOWA\n"
        "from tests.support import site\n"
        "from tests.conftest import CANVASS\n"
        "import tests\n"
    )
    package = package_of(TESTS / "browser" / "test_journeys.py")
    assert package == "tests.browser"
    found = [line for line, module in imported_modules(source, package) if forbidden(module)]
    assert sorted(set(found)) == [1, 2, 3, 4, 5, 7]
