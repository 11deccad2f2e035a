#!/usr/bin/env python3
"""Render deploy/nginx.conf.template: the app servers, the address to listen on, the site's name,
where static/ is, and (optionally) the TLS certificate.

    python3 deploy/render_nginx.py --app 10.0.0.11:8000 --app 10.0.0.12:8000 \\
        --server-name bimtek.example.go.id --listen "443 ssl http2" \\
        --tls-cert /etc/ssl/bimtek.pem --tls-key /etc/ssl/private/bimtek.key \\
        --static-root /srv/lms/static > /etc/nginx/sites-available/bimtek
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "nginx.conf.template"
_SAFE = re.compile(r"^[A-Za-z0-9_.:/\[\] -]+$")  # nothing that could end a directive or open a block


def _checked(name: str, value: str) -> str:
    if not _SAFE.match(value):
        raise ValueError(f"{name}: {value!r} may hold only letters, digits, spaces and _.:/-[]")
    return value


def render(app_servers: list[str], listen: str = "80", server_name: str = "_",
           static_root: str | Path = HERE.parent / "static", tls_cert: str | None = None,
           tls_key: str | None = None) -> str:
    """The site's nginx configuration (http context) as text."""
    if not app_servers:
        raise ValueError("at least one app server (host:port) is needed")
    if bool(tls_cert) != bool(tls_key):
        raise ValueError("give both the TLS certificate and its key, or neither")
    servers = "\n".join(f"    server {_checked('app server', s)} max_fails=1 fail_timeout=5s;" for s in app_servers)
    tls = ""
    if tls_cert:
        tls = (f"    ssl_certificate {_checked('certificate', tls_cert)};\n"
               f"    ssl_certificate_key {_checked('key', str(tls_key))};\n"
               "    add_header Strict-Transport-Security \"max-age=31536000\" always;\n")
    values = {"APP_SERVERS": servers, "LISTEN": _checked("listen", listen),
              "SERVER_NAME": _checked("server name", server_name),
              "STATIC_ROOT": _checked("static root", str(Path(static_root).resolve())).rstrip("/"), "TLS": tls}
    text = TEMPLATE.read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise ValueError(f"{TEMPLATE}: placeholders not filled: {', '.join(sorted(set(left)))}")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", action="append", required=True, help="an app server, host:port (repeat)")
    parser.add_argument("--listen", default="80", help='e.g. "443 ssl http2" (default 80)')
    parser.add_argument("--server-name", default="_")
    parser.add_argument("--static-root", default=str(HERE.parent / "static"))
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    args = parser.parse_args(argv)
    try:
        sys.stdout.write(render(args.app, args.listen, args.server_name, args.static_root, args.tls_cert,
                                args.tls_key))
    except ValueError as exc:
        print(f"render_nginx: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
