"""The baseline for bench_http.py: a bare Flask page rendered from a small Jinja template.

    .venv/bin/gunicorn -c gunicorn.conf.py --pythonpath bench bare_app:app
"""

from __future__ import annotations

from flask import Flask, render_template_string

PAGE = """<!doctype html>
<html lang="id">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<h1>{{ title }}</h1>
<ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul>
</body>
</html>"""

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return render_template_string(PAGE, title="Halo, dunia", items=["satu", "dua", "tiga"])
