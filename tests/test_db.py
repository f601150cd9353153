"""The database layer on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from alembic.script import ScriptDirectory

from server.db.engine import alembic_config, make_engine, sessionmaker_for, upgrade
from server.db.models import Case, Role, User
from server.errors import ConfigError
from server.services.accounts import create_user
from tests.support.databases import BOTH


@pytest.fixture
async def sessions(database_url: str):  # noqa: ANN201
    engine = make_engine(database_url)
    await upgrade(engine)
    yield sessionmaker_for(engine)
    await engine.dispose()


@BOTH
@pytest.mark.fresh_database
async def test_migrations_create_every_table_and_are_idempotent(database_url: str) -> None:
    engine = make_engine(database_url)
    await upgrade(engine)
    await upgrade(engine)
    async with engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        version = await conn.scalar(text("SELECT version_num FROM alembic_version"))
    await engine.dispose()
    assert {"users", "login_sessions", "login_failures", "cases", "case_members",
            "interviews", "invitations", "counters", "connections"} <= tables
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()


@BOTH
async def test_timestamps_come_back_aware_in_utc(sessions) -> None:  # noqa: ANN001
    beijing = timezone(timedelta(hours=8))
    async with sessions() as session, session.begin():
        user = await create_user(session, username="wang", password="long enough", role=Role.INSPECTOR)
        user.disabled_at = datetime(2026, 11, 23, 18, 0, tzinfo=beijing)
    async with sessions() as session:
        loaded = await session.scalar(select(User))
    assert loaded.disabled_at == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert loaded.disabled_at.tzinfo is not None and loaded.created_at.tzinfo is not None


@BOTH
async def test_naive_timestamps_are_refused(sessions) -> None:  # noqa: ANN001
    with pytest.raises(StatementError, match="naive"):
        async with sessions() as session, session.begin():
            user = await create_user(session, username="wang", password="long enough", role=Role.INSPECTOR)
            user.disabled_at = datetime(2026, 11, 23, 18, 0)


@BOTH
async def test_constraints_hold_in_the_database(sessions) -> None:  # noqa: ANN001
    async with sessions() as session, session.begin():
        await create_user(session, username="wang", password="long enough", role=Role.INSPECTOR)
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            await session.execute(text(
                "INSERT INTO users (id, username, display_name, role, password_hash, created_at) "
                "VALUES ('x', 'zhao', 'Zhao', 'superuser', 'h', CURRENT_TIMESTAMP)"))
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(Case(number="ZM-2026-000001", title="t", created_by="no-such-user"))


async def test_unreachable_database_is_one_clear_sentence() -> None:
    engine = make_engine("postgresql+asyncpg://zeromeet:secret@127.0.0.1:1/zeromeet")
    with pytest.raises(ConfigError) as caught:
        await upgrade(engine)
    await engine.dispose()
    message = str(caught.value)
    assert message.startswith("Cannot use the database at postgresql+asyncpg://zeromeet:***@127.0.0.1:1")
    assert "secret" not in message and "\n" not in message
