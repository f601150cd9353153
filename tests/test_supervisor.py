"""The supervisor of the app's background loops: a loop that dies is named in the log and
started again, with a growing pause; a one-shot task is only named; stopping is final."""

from __future__ import annotations

import asyncio
import logging

import pytest

from server.supervisor import Supervisor

pytestmark = pytest.mark.unit


async def _until(condition, timeout: float = 2.0) -> None:  # noqa: ANN001
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


async def test_a_loop_that_dies_is_logged_by_name_and_restarted_with_a_growing_pause(
        caplog: pytest.LogCaptureFixture) -> None:
    supervisor = Supervisor(first_pause_s=0.02, max_pause_s=0.08)
    starts: list[float] = []
    loop = asyncio.get_running_loop()

    async def flaky() -> None:
        starts.append(loop.time())
        if len(starts) <= 4:
            raise RuntimeError(f"failure {len(starts)}")
        await asyncio.sleep(3600)

    with caplog.at_level(logging.ERROR, logger="zeromeet.supervisor"):
        supervisor.start("sweep", flaky)
        await _until(lambda: len(starts) == 5)
    assert supervisor.running("sweep")
    pauses = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    assert pauses[0] >= 0.02 and pauses[1] >= 0.04 and pauses[2] >= 0.08 and pauses[3] >= 0.08
    assert pauses[3] < pauses[2] + 0.05  # the pause stops growing at max_pause_s
    died = [r for r in caplog.records if r.getMessage().startswith("background task died")]
    assert len(died) == 4 and all(r.task == "sweep" and r.restart for r in died)
    assert died[0].exc_info[1].args == ("failure 1",)
    await supervisor.stop()
    assert not supervisor.running("sweep")


async def test_a_one_shot_task_is_named_when_it_dies_and_not_run_again(
        caplog: pytest.LogCaptureFixture) -> None:
    supervisor = Supervisor(first_pause_s=0.01)
    runs = []

    async def recover() -> None:
        runs.append(1)
        raise OSError("spool unreadable")

    with caplog.at_level(logging.ERROR, logger="zeromeet.supervisor"):
        supervisor.start("recovery", recover, restart=False)
        await _until(lambda: any(r.getMessage() == "background task died" for r in caplog.records))
        await asyncio.sleep(0.05)
    assert runs == [1] and not supervisor.running("recovery")
    assert caplog.records[-1].task == "recovery" and caplog.records[-1].restart is False


async def test_a_task_that_returns_is_done_and_stop_cancels_pending_restarts() -> None:
    supervisor = Supervisor(first_pause_s=0.05)
    runs: list[str] = []

    async def once() -> None:
        runs.append("once")

    async def dies() -> None:
        runs.append("dies")
        raise ValueError("bug")

    supervisor.start("once", once)
    supervisor.start("dies", dies)
    with pytest.raises(ValueError, match="already supervised"):
        supervisor.start("once", once)
    await _until(lambda: runs.count("dies") == 1 and "once" in runs)
    await supervisor.stop()  # before the restart's pause is over
    await asyncio.sleep(0.1)
    assert runs.count("dies") == 1 and runs.count("once") == 1


async def test_stopping_one_task_leaves_the_others_running() -> None:
    supervisor = Supervisor()
    supervisor.start("a", lambda: asyncio.sleep(3600))
    supervisor.start("b", lambda: asyncio.sleep(3600))
    await asyncio.sleep(0)
    await supervisor.stop("a")
    assert not supervisor.running("a") and supervisor.running("b")
    await supervisor.stop("never-started")
    await supervisor.stop()
    assert not supervisor.running("b")
