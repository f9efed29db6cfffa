"""The test tree keeps its shape: at the top of tests/ only test files and conftest.py, shared
helpers in tests/support/, no test importing another test file or conftest, conftest.py
holding only fixtures and hooks, and the CLI run in-process and a capture ingested and rebuilt
one way each (tests/support/cli.py, tests/support/db.py)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.paths import ROOT

TESTS = ROOT / "tests"
RUNNERS = {"typer.testing.CliRunner", "click.testing.CliRunner"}  # tests use support.cli.run
BY_HAND = {"podreplay.ingest.ingest_paths", "podreplay.derive.rebuild"}  # support.db.load


def imports(tree: ast.Module, package: str) -> list[tuple[int, list[str]]]:
    """(line, modules) of each import in `tree`, relative ones resolved against `package`;
    `from a import b` names both `a` and `a.b` (b may be a module)."""
    found: list[tuple[int, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.append((node.lineno, [alias.name for alias in node.names]))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.append((node.lineno, [base, *(f"{base}.{a.name}" for a in node.names)]))
    return sorted(found)


def is_test_or_conftest(module: str) -> bool:
    last = module.split(".")[-1]
    return module.startswith("tests.") and (last == "conftest" or last.startswith("test_"))


def problems(tests: Path) -> list[str]:
    """What breaks the layout in the test tree at `tests`, one line each."""
    found: list[str] = []
    for path in sorted(tests.glob("*.py")):
        if path.name not in ("__init__.py", "conftest.py") and not path.name.startswith("test_"):
            found.append(f"{path.name}: not a test; shared helpers belong in tests/support/")
    for path in sorted([*tests.glob("*.py"), *tests.glob("support/*.py")]):
        package = "tests" if path.parent == tests else "tests.support"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, modules in imports(tree, package):
            bad = [m for m in modules if is_test_or_conftest(m)]
            if package == "tests" and RUNNERS.intersection(modules):
                bad.append("a CliRunner: run the CLI with tests.support.cli.run")
            if bad:
                found.append(f"{path.relative_to(tests)}:{line}: imports {bad[0]}")
        every = {m for _, modules in imports(tree, package) for m in modules}
        if package == "tests" and BY_HAND.issubset(every):
            found.append(f"{path.name}: ingests and rebuilds by hand: use tests.support.db.load")
    conftest = tests / "conftest.py"
    if conftest.exists():
        found += [f"conftest.py: {what}" for what in not_fixtures(ast.parse(conftest.read_text()))]
    return found


def not_fixtures(tree: ast.Module) -> list[str]:
    """What conftest.py defines that is neither a fixture nor a `pytest_*` hook."""
    found: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            fixture = any("fixture" in ast.unparse(d) for d in node.decorator_list)
            if not fixture and not node.name.startswith("pytest_"):
                found.append(f"defines {node.name}, neither a fixture nor a hook")
        elif isinstance(node, ast.ClassDef):
            found.append(f"defines class {node.name}")
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            names = [
                ast.unparse(t) for t in getattr(node, "targets", [getattr(node, "target", None)])
            ]
            if not all(n.startswith("pytest_") or n == "collect_ignore" for n in names):
                found.append(f"defines {', '.join(names)}")
    return found


def test_the_test_tree_keeps_helpers_in_support_and_imports_no_test() -> None:
    assert problems(TESTS) == []


def test_the_layout_check_finds_each_kind_of_breach(tmp_path: Path) -> None:
    (tmp_path / "support").mkdir()
    (tmp_path / "helpers.py").write_text("X = 1\n")
    (tmp_path / "test_a.py").write_text("from tests.conftest import ROOT\n")
    (tmp_path / "test_b.py").write_text(
        "from tests import test_a\nfrom .test_a import x\nfrom typer.testing import CliRunner\n"
    )
    (tmp_path / "support" / "rows.py").write_text("import tests.test_a\n")
    (tmp_path / "test_c.py").write_text(
        "from podreplay.derive import rebuild\nfrom podreplay.ingest import ingest_paths\n"
    )
    (tmp_path / "conftest.py").write_text(
        "import pytest\nROOT = 1\n@pytest.fixture\ndef ok(): ...\ndef helper(): ...\n"
        "def pytest_configure(config): ...\n"
    )
    assert problems(tmp_path) == [
        "helpers.py: not a test; shared helpers belong in tests/support/",
        "support/rows.py:1: imports tests.test_a",
        "test_a.py:1: imports tests.conftest",
        "test_b.py:1: imports tests.test_a",
        "test_b.py:2: imports tests.test_a",
        "test_b.py:3: imports a CliRunner: run the CLI with tests.support.cli.run",
        "test_c.py: ingests and rebuilds by hand: use tests.support.db.load",
        "conftest.py: defines ROOT",
        "conftest.py: defines helper, neither a fixture nor a hook",
    ]
