"""Imports run one way, in the order of the data flow (files -> rows -> pages -> records ->
certificates/reports): a module imports only from its own package or from a lower layer, at module
level or inside a function. Where something upstream must make something downstream react, it
sends a named signal (`lms/<package>/signals.py`) that the downstream package subscribes to in
`create_app`.

Layers, lowest first:
0. infrastructure: config, translate, extensions, util, mail;
1. schema: every package's `models` and `signals` modules (in package order among themselves);
2. `auth` (decides from the user and the object, so it reads the models of every package);
3. the packages, upstream to downstream (PACKAGES below), then the app factory.
"""

from __future__ import annotations

import ast
from pathlib import Path

LMS = Path(__file__).resolve().parent.parent / "lms"
INFRA = ["config", "translate", "extensions", "util", "mail"]
PACKAGES = ["jobs", "accounts", "content", "offline", "cohorts", "quizzes", "learning", "authoring",
            "plans", "surveys", "certificates", "reports", "api", "core", "demo", "backup", "models",
            "__init__", "wsgi"]
SCHEMA = {"models", "signals"}


def layer(module: str) -> tuple[int, int, str] | None:
    """(layer, position, package) of an lms module; None for a module outside the plan."""
    parts = module.split(".")[1:]
    if not parts:
        return (3, PACKAGES.index("__init__"), "lms")
    top = parts[0]
    if top in INFRA:
        return (0, INFRA.index(top), top)
    if top == "auth":
        return (2, 0, top)
    if top not in PACKAGES:
        return None
    if len(parts) > 1 and parts[1] in SCHEMA:
        return (1, PACKAGES.index(top), top)
    return (3, PACKAGES.index(top), top)


def is_module(name: str) -> bool:
    path = LMS.parent.joinpath(*name.split("."))
    return path.is_dir() or path.with_suffix(".py").exists()


def modules():
    for path in sorted(LMS.rglob("*.py")):
        parts = list(path.relative_to(LMS.parent).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        yield path, ".".join(parts)


def imported(path: Path, module: str):
    """(line, module imported) for every import in the file, inside functions too."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                name = f"{source}.{alias.name}"
                yield node.lineno, name if is_module(name) else source


def upward_imports() -> list[str]:
    found = []
    for path, module in modules():
        mine = layer(module)
        if mine is None:
            continue
        for line, target in imported(path, module):
            if target != "lms" and not target.startswith("lms."):
                continue
            theirs = layer(target)
            if theirs is None:
                continue
            if theirs[2] == mine[2] and not (mine[0] == 1 and theirs[0] == 3):
                continue  # within a package, except models/signals reaching into its logic
            if theirs[:2] > mine[:2]:
                found.append(f"{path.relative_to(LMS.parent)}:{line}: {module} imports {target}")
    return found


def test_every_lms_module_is_in_a_layer():
    """A new package must be placed in the order before it can be imported anywhere."""
    unplaced = {module for _, module in modules() if layer(module) is None}
    assert not unplaced, f"add to INFRA or PACKAGES in {__file__}: {sorted(unplaced)}"


def test_imports_run_one_way():
    assert upward_imports() == []


def test_the_check_sees_an_upward_import(tmp_path):
    """The walk counts an import inside a function, and a relative one."""
    assert layer("lms.content.loader") < layer("lms.quizzes.spec")
    assert layer("lms.quizzes.models") < layer("lms.auth") < layer("lms.content.loader")
    source = "def f():\n    from lms.reports import queries\n\nfrom ..learning import progress\n"
    file = tmp_path / "lms" / "content" / "x.py"
    file.parent.mkdir(parents=True)
    file.write_text(source)
    found = {target for _, target in imported(file, "lms.content.x")}
    assert found == {"lms.reports.queries", "lms.learning.progress"}
    assert all(layer(t)[:2] > layer("lms.content.x")[:2] for t in found)


MAX_FUNCTION_LINES = 80
EXPLAINED_FUNCTION_LINES = 60  # longer needs "Long because ..." in its docstring
MAX_VIEW_MODULE_LINES = 420  # "about 400": a view module is routes; logic lives in plain modules


def long_functions() -> tuple[list[str], list[str]]:
    """(functions over MAX_FUNCTION_LINES, functions over EXPLAINED_FUNCTION_LINES that do not say
    why in their docstring)."""
    too_long, unexplained = [], []
    for path, _module in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                where = f"{path.relative_to(LMS.parent)}:{node.lineno} {node.name} ({length} lines)"
                if length > MAX_FUNCTION_LINES:
                    too_long.append(where)
                elif length > EXPLAINED_FUNCTION_LINES and "Long because" not in (ast.get_docstring(node) or ""):
                    unexplained.append(where)
    return too_long, unexplained


def test_no_function_is_long():
    assert long_functions()[0] == []


def test_a_longish_function_says_why():
    """Over ~60 lines a function is split into named steps, or its docstring says why it reads
    best whole ("Long because it is one table ...")."""
    assert long_functions()[1] == []


def test_view_modules_stay_thin():
    views = [path for path, _module in modules() if "views" in path.stem or path.parent.name == "views"]
    assert len(views) > 10  # the walk finds them
    fat = [f"{p.relative_to(LMS.parent)} ({n} lines)" for p in views
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_VIEW_MODULE_LINES]
    assert fat == []


def test_no_package_imports_another_package_s_views():
    """Views are the edge of a package: what another package needs lives in a plain module
    (only create_app imports the blueprints)."""
    reach = []
    for path, module in modules():
        if module in ("lms", "lms.wsgi"):
            continue
        mine = module.split(".")[1] if "." in module else ""
        for line, target in imported(path, module):
            parts = target.split(".")
            if len(parts) > 2 and parts[0] == "lms" and parts[1] != mine and any("views" in p for p in parts[2:]):
                reach.append(f"{path.relative_to(LMS.parent)}:{line}: {target}")
    assert reach == []


def in_function_imports() -> list[str]:
    """Imports of lms modules inside a function, outside the app factory's module (which registers
    blueprints and commands lazily by design), whose line or the line before does not say
    `# imported here: <reason>`."""
    found = set()
    for path, module in modules():
        if module == "lms":
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for function in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom):
                    lms = node.level > 0 or (node.module or "").split(".")[0] == "lms"
                elif isinstance(node, ast.Import):
                    lms = any(alias.name.split(".")[0] == "lms" for alias in node.names)
                else:
                    continue
                if lms and not any("# imported here:" in lines[at] for at in (node.lineno - 1, node.lineno - 2)):
                    found.add(f"{path.relative_to(LMS.parent)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    return sorted(found)


def test_lms_imports_sit_at_module_level():
    """With imports running one way no cycle needs dodging: an lms module is imported at the top,
    where a reader sees what a module builds on. An exception (a cycle within a package at import
    time, a heavy library only one command needs) says why on its line or the line before."""
    assert in_function_imports() == []


def test_the_check_sees_an_in_function_import(tmp_path, monkeypatch):
    source = ("def f():\n    from lms.quizzes import spec\n\n"
              "def g():\n    # imported here: a reason\n    from lms.quizzes import gift\n\n"
              "def h():\n    from . import types\n    import json\n")
    file = tmp_path / "lms" / "quizzes" / "x.py"
    file.parent.mkdir(parents=True)
    file.write_text(source)
    monkeypatch.setitem(globals(), "LMS", tmp_path / "lms")
    assert in_function_imports() == ["lms/quizzes/x.py:2: from lms.quizzes import spec",
                                     "lms/quizzes/x.py:9: from . import types"]
