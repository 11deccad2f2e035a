"""The OpenAPI document (lms/api/openapi.py) is written by hand: hold it to the routes and to the
OpenAPI 3.1 specification, so that a new or changed /api/v1 route cannot go undocumented."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

PREFIX = "/api/v1"
NOT_DOCUMENTED = {"api.openapi"}  # the document itself


def _routes(app) -> dict[str, dict[str, set[str]]]:
    """{OpenAPI path: {method: path parameters}} of the registered /api/v1 routes."""
    routes: dict[str, dict[str, set[str]]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/") or rule.endpoint in NOT_DOCUMENTED:
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(PREFIX):])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.setdefault(path, {})[method.lower()] = set(rule.arguments)
    return routes


def _documented(spec: dict) -> dict[str, dict[str, set[str]]]:
    documented: dict[str, dict[str, set[str]]] = {}
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method in {"parameters", "summary", "description", "servers"}:
                continue
            params = [p for p in shared + operation.get("parameters", []) if p["in"] == "path"]
            assert all(p["required"] for p in params), (path, method)
            documented.setdefault(path, {})[method] = {p["name"] for p in params}
    return documented


def test_every_api_route_is_documented_and_every_documented_path_is_a_route(app, client):
    spec = client.get(f"{PREFIX}/openapi.json").get_json()
    routes = _routes(app)
    assert routes, "no /api/v1 routes found"
    assert _documented(spec) == routes
    for path, methods in routes.items():  # the parameters named in the path are those of the route
        for params in methods.values():
            assert set(re.findall(r"{([^}]+)}", path)) == params


def test_the_document_is_valid_openapi_3_1(client):
    spec = client.get(f"{PREFIX}/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    assert spec["servers"] == [{"url": "http://localhost/api/v1"}]
    validate(spec)
