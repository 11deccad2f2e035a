"""WSGI entry point for gunicorn: `gunicorn lms.wsgi:app` (see `make serve`)."""

import gc
import logging
import os

from lms import create_app

logging.basicConfig(level=os.environ.get("LMS_LOG_LEVEL", "INFO"), format="%(asctime)s %(name)s %(message)s")
app = create_app()
# What the app built at start-up (modules, models, mappers, templates: ~170,000 objects) lives as
# long as the process: keep it out of the garbage collector's full passes, which otherwise scan
# it all (tens of milliseconds, every request of the process waiting) when they come.
gc.freeze()
