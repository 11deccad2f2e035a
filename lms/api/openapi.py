"""The OpenAPI 3.1 document of the JSON API (lms/api/views.py), served at /api/v1/openapi.json.

The document is data (openapi.json beside this module), kept by hand; tests/test_api_openapi.py
holds it to the routes (every /api/v1 route documented with its methods and path parameters, no
documented path without a route) and validates it with openapi-spec-validator."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

SOURCE = Path(__file__).with_name("openapi.json")


@cache
def _document() -> dict[str, Any]:
    return json.loads(SOURCE.read_text(encoding="utf-8"))


def document(server_url: str) -> dict[str, Any]:
    """The document, with `server_url` (the API's base URL as the client reached it) as server."""
    doc = copy.deepcopy(_document())
    return {**{k: doc[k] for k in ("openapi", "info")}, "servers": [{"url": server_url}],
            **{k: v for k, v in doc.items() if k not in ("openapi", "info")}}
