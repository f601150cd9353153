"""`create_app(settings)`: the aiohttp application and the resources it owns."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from evidence.errors import StoreMisconfigured, StoreUnavailable
from evidence.store import S3ObjectStore
from media.rooms import Rooms
from server import live_logins, middlewares
from server.appkeys import (
    BUNDLE_EXPORTS,
    CHAT,
    COMPLAINT_JOURNAL,
    ENGINE,
    JOURNAL,
    LIVE,
    LOGIN_SLOTS,
    NOTIFICATIONS,
    RECORDINGS,
    ROOMS,
    SESSIONS,
    SETTINGS,
    SIGNING_KEY,
    STORE,
    SUPERVISOR,
    TRANSCRIPTION,
)
from server.auth import prepare_password_checks
from server.db.engine import make_engine, sessionmaker_for, upgrade
from server.chat import SWEEP_S as CHAT_SWEEP_S
from server.chat import ChatLogs
from server.errors import ConfigError
from server.keys import load_or_create_signing_key
from server.supervisor import Supervisor
from server.notify import Notifier
from server.notify.file import FILE_NAME, FileNotifier
from server.notify.links import LinkSeal
from server.notify.sms import SmsNotifier
from server.records import store_missing_texts
from server.recording.service import RecordingService
from server.seaweed import EmbeddedSeaweed
from server.services import custody
from server.services import uploads as uploads_service
from server.services.notifications import Notifications
from server.services.presence import close_node_connections
from server.settings import Settings
from server.transcribe.live import LiveTranscription
from server.transcribe.runner import TranscriptionRunner
from server.uploads.pending import Journal, clear_leftovers
from server.views import (
    admin,
    auth,
    bundles,
    captions,
    cases,
    chat,
    complaints,
    interviews,
    meta,
    officer_sign,
    party_record,
    record_verify,
    recordings,
    records,
    signalling,
    uploads,
)
from server.complaints import files as complaint_files
from server.complaints import handling as complaint_handling
from server.complaints import log as complaint_log
from server.views.pages import add_page_routes

log = logging.getLogger("zeromeet")

# JSON bodies are small; evidence uploads stream past this limit on purpose (their own
# limit is ZEROMEET_MAX_UPLOAD_MB, see server/uploads/receive.py).
MAX_JSON_BODY = 64 * 1024
JOURNAL_SWEEP_S = 60.0
TRANSFER_SWEEP_S = 300.0  # a complaint transfer not taken in time goes back within this long
REMIND_SWEEP_S = 60.0  # a reminder goes within this long of ZEROMEET_REMIND_MINUTES before the start


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        middlewares=[middlewares.forwarded, middlewares.request_log, middlewares.errors],
        client_max_size=MAX_JSON_BODY,
    )
    app[SETTINGS] = settings
    app[BUNDLE_EXPORTS] = {}  # downloads by ticket, on this node
    app[LOGIN_SLOTS] = asyncio.Semaphore(2)  # password checks at once (argon2: CPU and memory)
    app[SUPERVISOR] = Supervisor()
    app.cleanup_ctx.extend([_supervised, _data_dir, _database, _object_store, _leftovers,
                            _custody_checkpoints, _complaint_transfers, _notifications, _chat,
                            _rooms, _transcription])
    app.on_response_prepare.append(middlewares.security_headers)
    app.on_shutdown.append(_close_rooms)
    for table in (admin.routes, auth.routes, bundles.routes, captions.routes, cases.routes,
                  chat.routes,
                  complaints.routes,
                  interviews.routes,
                  meta.routes, officer_sign.routes, party_record.routes, record_verify.routes, recordings.routes,
                  records.routes, signalling.routes, uploads.routes):
        app.add_routes(table)
    add_page_routes(app)
    return app


async def _supervised(app: web.Application) -> AsyncIterator[None]:
    """Every background loop of the app runs under app[SUPERVISOR] (server/supervisor.py);
    each is stopped by what started it, and anything left when the app ends."""
    yield
    await app[SUPERVISOR].stop()


async def _data_dir(app: web.Application) -> AsyncIterator[None]:
    data_dir = app[SETTINGS].data_dir
    try:
        # Keys, credentials and the database live here: only the service user may look in.
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"Cannot create the data directory {data_dir}: {exc.strerror}.") from None
    app[SIGNING_KEY] = load_or_create_signing_key(data_dir)
    await prepare_password_checks()
    yield


async def _database(app: web.Application) -> AsyncIterator[None]:
    engine = make_engine(app[SETTINGS].database_url)
    try:
        await upgrade(engine)
        app[ENGINE] = engine
        app[SESSIONS] = sessionmaker_for(engine)
        yield
    finally:
        await engine.dispose()


async def _object_store(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    s3 = settings.s3
    embedded: EmbeddedSeaweed | None = None
    try:
        if s3.endpoint is None:
            embedded = EmbeddedSeaweed(settings.data_dir, bucket=s3.bucket)
            s3 = dataclasses.replace(await embedded.start(), retention_days=s3.retention_days)
            log.info("embedded object store started", extra={"endpoint": s3.endpoint})
        store = S3ObjectStore(
            endpoint=s3.endpoint, access_key=s3.access_key, secret_key=s3.secret_key,
            bucket=s3.bucket, secure=s3.secure, region=s3.region,
            retention_days=s3.retention_days,
        )
        await store.ensure_bucket()
    except (StoreUnavailable, StoreMisconfigured) as exc:
        if embedded is not None:
            await embedded.stop()
        raise ConfigError(str(exc)) from None
    if not store.object_lock:
        log.warning("object lock is off for this bucket: evidence is write-once by "
                    "convention only", extra={"bucket": s3.bucket})
    app[STORE] = store
    try:
        yield
    finally:
        if embedded is not None:
            await embedded.stop()


async def _leftovers(app: web.Application) -> AsyncIterator[None]:
    """What a crash left in the spool: per-request temporary files are removed, and
    uploads that reached the store but not the database are recorded, now and then every
    JOURNAL_SWEEP_S (an upload whose database write failed while the server ran). The
    first sweep that reaches the store also stores the texts of record versions saved
    before texts were (migration 0010)."""
    spool = app[SETTINGS].data_dir / "spool"
    cleared = await asyncio.to_thread(clear_leftovers, spool)
    if cleared:
        log.info("temporary files left by the last run removed", extra={"count": cleared})
    journal = app[JOURNAL] = Journal(spool)
    complaint_journal = app[COMPLAINT_JOURNAL] = Journal(spool, "complaints")
    texts_pending = True  # record versions saved before their texts were stored (0010)

    async def sweep() -> None:
        nonlocal texts_pending
        await uploads_service.recover_captures(app[SESSIONS], app[STORE], journal)
        await complaint_files.recover(app[SESSIONS], app[STORE], complaint_journal)
        if texts_pending:
            stored, texts_pending = await store_missing_texts(app[SESSIONS], app[STORE])
            if stored:
                log.info("record texts stored for versions saved before texts were",
                         extra={"count": stored})

    await sweep()
    async with _every(app, lambda: JOURNAL_SWEEP_S, sweep, "upload-journal-sweep"):
        yield


async def _custody_checkpoints(app: web.Application) -> AsyncIterator[None]:
    """Sign every case's custody head that moved, every ZEROMEET_CHECKPOINT_MINUTES and once
    more at a clean stop (after the rooms have sealed their recordings): what the database
    holds beyond the last signature can be rewritten by whoever controls it, so the window
    stays short. A database that is away is retried on the next tick."""
    sessions, key = app[SESSIONS], app[SIGNING_KEY]

    async def sign(when: str) -> None:
        try:
            signed = await custody.sign_heads(sessions, key)
            signed += await complaint_log.sign_heads(sessions, key)
        except (OSError, SQLAlchemyError) as exc:
            log.warning("signing custody checkpoints failed: %s", exc, extra={"when": when})
            return
        if signed:
            log.info("custody checkpoints signed", extra={"logs": signed, "when": when})

    async def periodic() -> None:
        await sign("periodic")

    async with _every(app, lambda: app[SETTINGS].checkpoint_every.total_seconds(), periodic,
                      "custody-checkpoints"):
        yield
    await sign("shutdown")


async def _complaint_transfers(app: web.Application) -> AsyncIterator[None]:
    """Transfers of complaints that the receiving unit did not take in time go back to the
    sending unit (its supervisor alerted), swept every TRANSFER_SWEEP_S."""
    async def sweep() -> None:
        returned = await complaint_handling.return_lapsed_transfers(app[SESSIONS])
        if returned:
            log.warning("complaint transfers not taken in time went back", extra={"count": returned})

    async with _every(app, lambda: TRANSFER_SWEEP_S, sweep, "complaint-transfers"):
        yield


async def _notifications(app: web.Application) -> AsyncIterator[None]:
    """Text messages to parties' phones through the ZEROMEET_NOTIFY plug-in, and the
    reminder before each scheduled start, swept every REMIND_SWEEP_S. Torn down before
    the last custody checkpoint is signed, so that it covers the last message."""
    settings = app[SETTINGS]
    async with contextlib.AsyncExitStack() as stack:
        notifier: Notifier | None = None
        if settings.notify.gateway == "file":
            notifier = FileNotifier(settings.data_dir / FILE_NAME)
        elif settings.notify.gateway == "sms":
            http = await stack.enter_async_context(aiohttp.ClientSession())
            notifier = SmsNotifier(http, url=settings.notify.sms_url, token=settings.notify.sms_token,
                                   timeout_s=settings.notify.sms_timeout.total_seconds())
        notes = app[NOTIFICATIONS] = Notifications(settings=settings, sessions=app[SESSIONS],
                                                   notifier=notifier, seal=LinkSeal(app[SIGNING_KEY]))

        async def remind() -> None:
            sent = await notes.remind_due()
            if sent:
                log.info("reminders before scheduled interviews", extra={"count": sent})

        async with _every(app, lambda: REMIND_SWEEP_S, remind, "reminders"):
            yield


@contextlib.asynccontextmanager
async def _every(app: web.Application, seconds: Callable[[], float],
                 job: Callable[[], Awaitable[None]], name: str) -> AsyncIterator[None]:
    """Run `job` every `seconds()` while the body runs, as the supervised task `name`. A
    job that fails is logged and runs again at the next tick: it never ends the loop."""
    async def loop() -> None:
        while True:
            await asyncio.sleep(seconds())
            try:
                await job()
            except Exception:  # noqa: BLE001 - logged; the next tick tries again
                log.exception("a periodic task failed; it runs again next time",
                              extra={"task": name})

    app[SUPERVISOR].start(name, loop)
    try:
        yield
    finally:
        await app[SUPERVISOR].stop(name)


async def _chat(app: web.Application) -> AsyncIterator[None]:
    """Interview chat (server/chat.py). Ended interviews whose chat log is not stored yet
    (the store was away at the end, or the server died) are swept now and every
    CHAT_SWEEP_S. Torn down after the rooms: a clean stop mid-interview stores each live
    chat so far as an interrupted log, before the last custody checkpoint is signed."""
    logs = app[CHAT] = ChatLogs(sessions=app[SESSIONS], store=app[STORE])
    async with _every(app, lambda: CHAT_SWEEP_S, logs.sweep, "chat-logs"):
        await _quiet_sweep(logs)
        yield
    await logs.shutdown()


async def _quiet_sweep(logs: ChatLogs) -> None:
    try:
        await logs.sweep()
    except (OSError, SQLAlchemyError) as exc:  # the periodic sweep tries again
        log.warning("sweeping chat logs failed: %s", exc)


async def _rooms(app: web.Application) -> AsyncIterator[None]:
    """Live interview rooms of this process, and their recordings. Connections this node left
    open when it last
    stopped (or crashed) are closed first, so nobody shows as connected who is not."""
    node = app[SETTINGS].node_name
    async with app[SESSIONS]() as session, session.begin():
        closed = await close_node_connections(session, node)
    if closed:
        log.info("closed connections left from the last run", extra={"count": closed, "node": node})
    service = RecordingService(
        data_dir=app[SETTINGS].data_dir, node=node, store=app[STORE], sessions=app[SESSIONS],
        key=app[SIGNING_KEY], supervisor=app[SUPERVISOR])
    app[RECORDINGS] = service
    app[ROOMS] = service.rooms = Rooms(observer=service)
    service.start()  # also finishes and seals what the last run left in the spool

    async def end_logins() -> None:  # a login ended elsewhere (the CLI, another server)
        await live_logins.end_ended_logins(app[ROOMS], app[SESSIONS])

    try:
        async with _every(app, lambda: live_logins.SWEEP_S, end_logins, "ended-logins"):
            yield
    finally:
        await app[ROOMS].close_all()
        await app[ROOMS].drain()  # leavings still write to the database
        await service.shutdown()


async def _transcription(app: web.Application) -> AsyncIterator[None]:
    """Transcription jobs; queued ones from before a restart resume. With
    ZEROMEET_TRANSCRIBE=0 this process only queues them, for `zeromeet worker` elsewhere."""
    settings = app[SETTINGS]
    live = None
    if settings.live_captions:
        live = LiveTranscription(settings=settings, sessions=app[SESSIONS],
                                 supervisor=app[SUPERVISOR])
        live.rooms, app[RECORDINGS].listener = app[ROOMS], live
        live.start()
    app[LIVE] = live
    runner = TranscriptionRunner(settings=settings, sessions=app[SESSIONS], store=app[STORE],
                                 live=live if settings.transcribe else None,
                                 supervisor=app[SUPERVISOR])
    app[TRANSCRIPTION] = runner
    if settings.transcribe:
        runner.start()
    try:
        yield
    finally:
        await runner.shutdown()
        if live is not None:
            app[RECORDINGS].listener = None
            await live.shutdown()


async def _close_rooms(app: web.Application) -> None:
    """On shutdown, before aiohttp waits for open WebSocket handlers: close the rooms, so
    that the handlers end now instead of at aiohttp's shutdown timeout."""
    await app[ROOMS].close_all()
