"""One migrated template database per session, copied for each test that asks for a
database: migrating once instead of per app is most of an API test's set-up.

SQLite: the template is a file, copied. PostgreSQL: a database on the session's cluster,
cloned with CREATE DATABASE … TEMPLATE. A test marked `fresh_database` (one that runs the
migrations itself) gets an empty database instead.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from server.db.engine import make_engine, upgrade

TEMPLATE = "zm_template"


def _in_a_thread(make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a coroutine on its own loop: a template is first asked for from inside a
    test's fixture, while the session's loop is running."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, make()).result()


async def _migrated(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "zeromeet.sqlite3"
    _in_a_thread(lambda: _migrated(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_cluster: str) -> str:
    async def make() -> None:
        admin = await asyncpg.connect(f"{postgres_cluster}/postgres")
        try:
            await admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
        finally:
            await admin.close()
        await _migrated(_url(postgres_cluster, TEMPLATE))

    _in_a_thread(make)
    return TEMPLATE


def sqlite_copy(template: Path, directory: Path) -> str:
    path = directory / "zeromeet.sqlite3"
    shutil.copyfile(template, path)
    return f"sqlite+aiosqlite:///{path}"


async def postgres_database(cluster: str, template: str | None = None) -> str:
    """A new database on the cluster (a copy of `template`, or empty); its SQLAlchemy URL."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = await asyncpg.connect(f"{cluster}/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        await admin.close()
    return _url(cluster, name)


def _url(cluster: str, name: str) -> str:
    return cluster.replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"


# For a test whose SQL semantics matter (locks, leases, constraints, concurrency): run it
# on PostgreSQL too.
BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
