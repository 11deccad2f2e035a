"""gunicorn settings for `make serve`; every value can be set by environment."""

import multiprocessing
import os

bind = os.environ.get("LMS_BIND", "127.0.0.1:8000")
# Two processes per core with a few threads each suit this I/O-bound app on small machines.
workers = int(os.environ.get("LMS_WORKERS", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("LMS_THREADS", 4))
worker_class = "gthread"
timeout = int(os.environ.get("LMS_TIMEOUT", 60))
graceful_timeout = 30
accesslog = None  # lms.requests logs one structured line per request instead
forwarded_allow_ips = os.environ.get("LMS_FORWARDED_ALLOW_IPS", "127.0.0.1")
