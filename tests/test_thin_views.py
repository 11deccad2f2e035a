"""Views stay thin (issue 16, "readers and writers apart"): a route loads its objects, checks
them with `require`, validates its form, calls one function of its package's operations (a
module named for its job: operations.py, importing.py, reminding.py...), commits once, and
answers. Rows are added and deleted, and jobs started, by those functions, which the CLI and
the jobs call too; a view never does it itself.

The check is an AST walk of the view modules (lms/*/views.py, lms/*/*_views.py,
lms/*/views/*.py). A route is a function decorated with `@<blueprint>.route/get/post/...`.
"""

from __future__ import annotations

import ast
from pathlib import Path

LMS = Path(__file__).resolve().parent.parent / "lms"
ROUTE_DECORATORS = {"route", "get", "post", "put", "patch", "delete"}
ROW_WRITES = {"add", "add_all", "delete"}
JOB_STARTS = {"enqueue", "start", "launch"}

# "path:function" -> why this view may break the rule. Keep it empty: move the writing into an
# operation instead.
ALLOWED: dict[str, str] = {}


def view_modules() -> list[Path]:
    return sorted(p for p in LMS.rglob("*.py") if "views" in p.stem or p.parent.name == "views")


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Name):
        return node.id
    return "?"


def is_route(function: ast.FunctionDef) -> bool:
    for decorator in function.decorator_list:
        call = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (isinstance(call, ast.Attribute) and call.attr in ROUTE_DECORATORS
                and isinstance(call.value, ast.Name)):
            return True
    return False


def job_names(tree: ast.Module) -> set[str]:
    """The names a module imports from lms.jobs that start a job (enqueue, start, launch)."""
    return {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and node.module == "lms.jobs" for alias in node.names if alias.name in JOB_STARTS}


def problems_in(source: str, where: str) -> list[str]:
    tree = ast.parse(source)
    from_jobs = job_names(tree)
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        name = f"{where}:{function.name}"
        if name in ALLOWED:
            continue
        calls = [dotted(n.func) for n in ast.walk(function) if isinstance(n, ast.Call)]
        commits = sum(1 for c in calls if c == "session.commit" or c.endswith(".session.commit"))
        if is_route(function) and commits > 1:
            found.append(f"{name}:{function.lineno} commits {commits} times")
        for call in calls:
            head, _dot, last = call.rpartition(".")
            if last in ROW_WRITES and (head == "session" or head.endswith(".session")):
                found.append(f"{name}:{function.lineno} calls {call}() (an operation adds and deletes rows)")
            if (head == "jobs" and last in JOB_STARTS) or (not head and last in from_jobs):
                found.append(f"{name}:{function.lineno} calls {call}() (an operation starts the job)")
    return found


def test_routes_commit_once_and_leave_writing_to_operations():
    found = []
    for path in view_modules():
        found += problems_in(path.read_text(encoding="utf-8"), str(path.relative_to(LMS.parent)))
    assert found == []


def test_the_walk_finds_the_routes():
    routes = [f for path in view_modules() for f in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
              if isinstance(f, ast.FunctionDef) and is_route(f)]
    assert len(routes) > 100
    names = {f.name for f in routes}
    assert {"remind", "save", "followup_save", "change_structure", "register", "set_password"} <= names


def test_the_check_sees_a_fat_view():
    source = '''
from lms import jobs
from lms.jobs import enqueue as later

@public_bp.route("/x", methods=["POST"])
@login_required
def fat():
    db.session.add(Thing())
    db.session.commit()
    job = jobs.enqueue("k", {}, None)
    db.session.commit()
    jobs.start(job)

@bp.post("/y")
def thin():
    do_it(load())
    db.session.commit()

def helper():
    db.session.delete(later("k", {}, None))
'''
    found = problems_in(source, "lms/x/views.py")
    assert [f.split(" ", 1)[1] for f in found] == [
        "commits 2 times", "calls db.session.add() (an operation adds and deletes rows)",
        "calls jobs.enqueue() (an operation starts the job)", "calls jobs.start() (an operation starts the job)",
        "calls db.session.delete() (an operation adds and deletes rows)",
        "calls later() (an operation starts the job)"]
    assert all(f.startswith(("lms/x/views.py:fat:", "lms/x/views.py:helper:")) for f in found)
