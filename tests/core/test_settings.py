import json
import os
import subprocess
import sys

import pytest
from django.db import connection

PROBE = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "name": str(settings.DATABASES["default"]["NAME"]),
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "cache": settings.CACHES["default"]["BACKEND"],
    "tasks": settings.TASKS["default"]["BACKEND"],
}))
"""


def settings_with(tmp_path, **env) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUIWU_")}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "huiwu.settings",
            "HUIWU_DATA_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_default_settings_are_embedded(tmp_path):
    assert settings_with(tmp_path) == {
        "engine": "huiwu.core.sqlite",
        "name": str(tmp_path / "huiwu.sqlite3"),
        "layer": "channels.layers.InMemoryChannelLayer",
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "tasks": "django_tasks_db.DatabaseBackend",
    }
    assert (tmp_path / "secret.key").exists()


def test_database_and_redis_urls_switch_to_scale_out_backends(tmp_path):
    assert settings_with(
        tmp_path,
        HUIWU_DATABASE_URL="postgres://postgres@127.0.0.1:5432/huiwu",
        HUIWU_REDIS_URL="redis://127.0.0.1:6379/0",
    ) == {
        "engine": "django.db.backends.postgresql",
        "name": "huiwu",
        "layer": "channels_redis.core.RedisChannelLayer",
        "cache": "django.core.cache.backends.redis.RedisCache",
        "tasks": "django_tasks_rq.RQBackend",
    }


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
