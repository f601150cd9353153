"""The `zeromeet` command: serve, worker, user (add, list, disable…: server/cli_users.py),
db upgrade, verify, custody check, store check."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import signal
import socket
import ssl
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from server.cli_complaints import add_complaint_commands
from server.cli_users import add_user_commands
from server.errors import ConfigError, ServerError

# The commands import what they use when they run: `zeromeet verify` (offline, for
# anyone checking a bundle) starts in about 0.2 s, without the database layer, aiohttp
# or aiortc.
if TYPE_CHECKING:
    from server.settings import Settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    if getattr(args, "offline", False):  # no configuration, no data dir, no database
        return args.run(args, None)
    from server.settings import Settings

    try:
        settings = Settings.from_env()
        return args.run(args, settings)
    except ConfigError as exc:
        print(f"zeromeet: {exc}", file=sys.stderr)
        return 2
    except ServerError as exc:
        print(f"zeromeet: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zeromeet", description=__doc__)
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="run the server (embedded defaults when unconfigured)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--tls-cert", metavar="FILE", help="PEM certificate (chain) to serve HTTPS")
    serve.add_argument("--tls-key", metavar="FILE", help="PEM private key of --tls-cert")
    serve.set_defaults(run=_serve)

    worker = commands.add_parser(
        "worker", help="run transcription jobs only (with a shared database and S3 store; "
                       "set ZEROMEET_TRANSCRIBE=0 on the servers)")
    worker.set_defaults(run=_worker)

    add_user_commands(commands)
    add_complaint_commands(commands)

    db = commands.add_parser("db", help="database maintenance").add_subparsers(title="db")
    up = db.add_parser("upgrade", help="apply pending migrations")
    up.set_defaults(run=_db_upgrade)

    verify = commands.add_parser("verify", help="check an evidence bundle offline (zip or folder)")
    verify.add_argument("bundle", metavar="BUNDLE.zip")
    verify.add_argument("--public-key", metavar="FILE",
                        help="PEM public key to trust (from /api/keys); default: the bundle's own")
    verify.set_defaults(run=_verify, offline=True)

    custody = commands.add_parser("custody", help="the custody log").add_subparsers(title="custody")
    check = custody.add_parser("check", help="check every case's custody log in the database")
    check.set_defaults(run=_custody_check)

    store = commands.add_parser("store", help="the evidence object store").add_subparsers(title="store")
    orphans = store.add_parser("check", help="list stored objects (every version) that no database "
                                             "row names; with the embedded store, not while serving")
    orphans.set_defaults(run=_store_check)
    return parser


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from server.logs import setup_logging

    setup_logging(settings.log_level)
    if not os.environ.get("ZEROMEET_NODE_NAME"):
        # Two servers on one host must not close each other's connections at start.
        settings = settings.with_(node_name=f"{socket.gethostname()}:{args.port}")
    tls = _tls_context(args.tls_cert, args.tls_key)
    sock = _bind(args.host, args.port)
    asyncio.run(_run_server(settings, sock, args.host, args.port, tls))
    return 0


def _tls_context(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    """HTTPS for phones on the same network: browsers give camera access only to HTTPS."""
    if cert is None and key is None:
        return None
    if not cert or not key:
        raise ConfigError("--tls-cert and --tls-key go together.")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except FileNotFoundError as exc:
        raise ConfigError(f"Cannot read {exc.filename}: no such file.") from None
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"Cannot use the certificate {cert} with the key {key}: {exc.strerror or exc}.") from None
    return context


def _bind(host: str, port: int) -> socket.socket:
    """Take the port before anything else starts, so a clash fails at once and clearly."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(f"Port {port} on {host} is already in use; choose another with --port.") from None
        raise ConfigError(f"Cannot listen on {host}:{port}: {exc.strerror}.") from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


async def _run_server(settings: Settings, sock: socket.socket, host: str, port: int,
                      tls: ssl.SSLContext | None = None) -> None:
    from aiohttp import web

    from server.app import create_app
    from server.http import ZeromeetRunner

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    runner = ZeromeetRunner(create_app(settings), handle_signals=False, access_log=None)
    try:
        await runner.setup()
        await web.SockSite(runner, sock, ssl_context=tls).start()
        shown = f"[{host}]" if ":" in host else host
        scheme = "https" if tls else "http"
        print(f"zeromeet is running at {scheme}://{shown}:{port}/ (Ctrl-C to stop)", flush=True)
        await stop.wait()
        logging.getLogger("zeromeet").info("stopping")  # stderr is the JSON log
    finally:
        await runner.cleanup()


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    """Transcription on another machine: the same database and object store as the
    servers, no HTTP, no media. Jobs are claimed with leases, so several may run."""
    if settings.s3.endpoint is None:
        raise ConfigError("zeromeet worker needs ZEROMEET_S3_ENDPOINT (and its keys): the "
                          "embedded object store lives inside `zeromeet serve`, which then "
                          "transcribes by itself.")
    from server.logs import setup_logging

    setup_logging(settings.log_level)
    asyncio.run(_run_worker(settings))
    return 0


async def _run_worker(settings: Settings) -> None:
    from evidence.errors import StoreMisconfigured, StoreUnavailable
    from evidence.store import S3ObjectStore
    from server.db.engine import make_engine, sessionmaker_for, upgrade
    from server.transcribe.runner import TranscriptionRunner

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    s3 = settings.s3
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
        store = S3ObjectStore(endpoint=s3.endpoint, access_key=s3.access_key,
                              secret_key=s3.secret_key, bucket=s3.bucket, secure=s3.secure,
                              region=s3.region, retention_days=s3.retention_days)
        try:
            await store.ensure_bucket()
        except (StoreUnavailable, StoreMisconfigured) as exc:
            raise ConfigError(str(exc)) from None
        runner = TranscriptionRunner(settings=settings, sessions=sessionmaker_for(engine),
                                     store=store)
        runner.start()
        print(f"zeromeet worker {runner.owner} is taking transcription jobs (Ctrl-C to stop)",
              flush=True)
        await stop.wait()
        await runner.shutdown()
    finally:
        await engine.dispose()


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from server.db.engine import make_engine, upgrade

    async def run() -> None:
        engine = make_engine(settings.database_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print("database is up to date")
    return 0


KEY_LIMIT = 64 * 1024


def _verify(args: argparse.Namespace, _settings: None) -> int:
    from pathlib import Path

    from evidence.verify import verify
    from transcription.record import render_text

    key = None
    if args.public_key:
        given = Path(args.public_key)
        try:
            if not given.is_file():  # a FIFO or a device would hang or never end
                raise OSError(0, "not a regular file")
            with given.open("rb") as handle:
                key = handle.read(KEY_LIMIT + 1)  # a PEM public key is a few hundred bytes
        except OSError as exc:
            print(f"zeromeet: cannot read the public key: {exc.strerror}", file=sys.stderr)
            return 2
        if len(key) > KEY_LIMIT:
            print("zeromeet: the public key file is far too large to be a PEM key", file=sys.stderr)
            return 2
    path = Path(args.bundle)
    if not path.exists():
        print(f"zeromeet: {path}: no such file or folder", file=sys.stderr)
        return 2
    report = verify(path, key, render_text=render_text)  # for bundles from before stored texts
    if report.ok:
        print(report.summary())
        return 0
    for problem in report.problems:
        print(problem)
    return 1


def _custody_check(args: argparse.Namespace, settings: Settings) -> int:
    from server.db.engine import make_engine, sessionmaker_for, upgrade
    from server.keys import load_or_create_signing_key
    from server.services.custody import check_all

    public = load_or_create_signing_key(settings.data_dir, create=False).public_key()

    async def run() -> dict[str, list[str]]:
        engine = make_engine(settings.database_url)
        try:
            await upgrade(engine)
            async with sessionmaker_for(engine)() as session:
                return await check_all(session, public)
        finally:
            await engine.dispose()

    broken = asyncio.run(run())
    for number, problems in broken.items():
        print(f"{number}: first broken link: {problems[0]}")
        for problem in problems[1:]:
            print(f"{number}: {problem}")
    if broken:
        return 1
    print("OK: every case's custody log is intact")
    return 0


def _store_check(args: argparse.Namespace, settings: Settings) -> int:
    from evidence.errors import StoreError
    from server.db.engine import make_engine, sessionmaker_for, upgrade
    from server.services.orphans import PREFIXES, StoreCheck, check, reach_store

    async def run() -> StoreCheck:
        async with reach_store(settings) as store:  # first: a wrong data dir creates nothing
            engine = make_engine(settings.database_url)
            try:
                await upgrade(engine)
                return await check(sessionmaker_for(engine), store)
            finally:
                await engine.dispose()

    try:
        result = asyncio.run(run())
    except StoreError as exc:
        raise ConfigError(str(exc)) from None
    under = ", ".join(PREFIXES[:-1]) + " and " + PREFIXES[-1]
    for o in result.orphans:
        when = o.last_modified.isoformat() if o.last_modified else "unknown"
        print(f"{_printable(o.key)}\tversion {_printable(o.version_id or 'null')}\t{o.size} bytes"
              f"\t{when}\tsha256 {_printable(o.sha256) or 'none'}")
    if result.orphans:
        print(f"{len(result.orphans)} of {result.listed} stored object versions under {under} "
              f"are named by no database row")
        return 1
    print(f"OK: each of the {result.listed} stored object versions under {under} is named "
          f"by a database row")
    return 0


def _printable(text: str) -> str:
    """A key or metadata value anyone with the store's keys chose: one field, one line."""
    return text if text.isprintable() and "\t" not in text else ascii(text)


if __name__ == "__main__":
    sys.exit(main())
