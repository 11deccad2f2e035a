"""With LMS_REDIS_URL set, login limits live in Redis, so every app server sees the same count.

(In one test process the Limiter extension object is shared by every app, so this checks
that counts land in Redis, and are read back from there, rather than simulating two hosts.)"""

from __future__ import annotations

import os
import uuid

import pytest

from lms import create_app
from tests.conftest import base_config

REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip("Redis not reachable")
    return client


def test_two_app_servers_share_the_failed_login_count(app, make_user, tmp_path):
    redis_client = _redis()
    marker = uuid.uuid4().hex[:10]
    address = "10.{}.{}.{}".format(*uuid.uuid4().bytes[:3])  # a fresh client address per run
    email = f"bersama-{marker}@example.test"
    make_user(email=email)
    config = {**base_config(app.config["SQLALCHEMY_DATABASE_URI"]), "REDIS_URL": REDIS_URL}
    config.pop("RATELIMIT_STORAGE_URI")
    server_one = create_app(config)
    try:
        assert server_one.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
        statuses = []
        for attempt in range(6):
            # Alternate between two app instances, as a load balancer would.
            server = server_one if attempt % 2 == 0 else app
            client = server.test_client()
            statuses.append(client.post("/login", data={"email": email,
                                                        "password": "salah-" + str(attempt)},
                                        environ_base={"REMOTE_ADDR": address}).status_code)
        assert statuses == [400] * 5 + [429]
        # The per-account count sits in Redis, where every app server reads it.
        keys = redis_client.keys(f"*{marker}*")
        assert keys and int(redis_client.get(keys[0])) == 5
    finally:
        for pattern in (f"*{marker}*", f"*/{address}/*"):
            for key in redis_client.scan_iter(pattern):
                redis_client.delete(key)
        create_app(base_config(app.config["SQLALCHEMY_DATABASE_URI"]))  # limiter back to memory
