"""WSGI entry point for gunicorn: `gunicorn lms.wsgi:app` (see `make serve`)."""

import logging
import os

from lms import create_app

logging.basicConfig(level=os.environ.get("LMS_LOG_LEVEL", "INFO"), format="%(asctime)s %(name)s %(message)s")
app = create_app()
