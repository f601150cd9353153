"""Settings, read from `ZEROMEET_*` environment variables and validated once at start."""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from server.errors import ConfigError
from transcription.bureau_time import known_zone

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_DRIVERS = {"sqlite+aiosqlite", "postgresql+asyncpg"}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class S3Settings:
    """Where evidence objects go. `endpoint=None` means: start the embedded store."""

    endpoint: str | None = None
    access_key: str | None = None
    secret_key: str | None = None
    bucket: str = "zeromeet-evidence"
    secure: bool = False
    region: str | None = None
    retention_days: int = 3650


@dataclass(frozen=True)
class IceSettings:
    """STUN/TURN servers handed to browsers. With a TURN secret (coturn's
    `static-auth-secret`), each connection gets short-lived TURN credentials."""

    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str | None = None
    turn_username: str | None = None
    turn_password: str | None = None
    turn_ttl: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class NotifySettings:
    """Text messages to parties' phones (server/notify): `off`, `file` (JSON lines in the
    data dir) or `sms` (a generic HTTP SMS gateway at `sms_url`, bearer `sms_token`)."""

    gateway: str = "off"
    sms_url: str | None = None
    sms_token: str | None = None
    sms_timeout: timedelta = timedelta(seconds=10)
    remind_before: timedelta = timedelta(minutes=30)  # the reminder before a scheduled start


COMPLAINT_RESULTS = ("resolved", "partly_resolved", "mediated", "penalised", "not_substantiated",
                     "withdrawn", "other")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    s3: S3Settings = field(default_factory=S3Settings)
    ice: IceSettings = field(default_factory=IceSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    node_name: str = field(default_factory=socket.gethostname)
    whisper_model: str = "base"
    whisper_device: str = "cpu"
    # CTranslate2 threads for transcription. Half the cores by default, so that live calls
    # on the same machine keep the other half.
    whisper_threads: int = field(default_factory=lambda: max(1, (os.cpu_count() or 2) // 2))
    transcribe: bool = True  # run transcription jobs in this process
    # Transcribe each party's audio while the interview runs: captions, and a draft ready
    # seconds after the end. Runs where the calls are, whatever `transcribe` says.
    live_captions: bool = True
    public_url: str | None = None
    session_ttl: timedelta = timedelta(hours=12)
    invitation_ttl: timedelta = timedelta(hours=24)
    max_upload_mb: int = 50  # one uploaded evidence file (photo, document, snapshot)
    # How often each case's custody log head is signed (if it moved); exports sign too.
    checkpoint_every: timedelta = timedelta(minutes=60)
    login_max_failures: int = 10
    login_window: timedelta = timedelta(minutes=15)
    log_level: str = "INFO"
    # Reverse proxies whose Forwarded / X-Forwarded-* headers are believed (addresses or
    # networks); from anyone else those headers are ignored.
    trusted_proxies: tuple[IPNetwork, ...] = ()
    # Which headers those proxies write: "x-forwarded" (X-Forwarded-For and -Proto, as
    # nginx, Caddy and Traefik do) or "forwarded" (RFC 7239). The other kind is ignored.
    proxy_headers: str = "x-forwarded"
    # A client must send a whole request head within this long of connecting or of its
    # last answer; a body that sends nothing for three times this long is given up.
    client_timeout: timedelta = timedelta(seconds=20)
    # "packets": forward every party's media as received (an SFU). "transcode": decode and
    # encode again for each receiver, aiortc's default path, kept as a benchmark baseline.
    forwarding: str = "packets"
    # What closing a complaint may say came of it: (code, label) pairs; an empty label
    # is the pages' own wording of a standard code.
    complaint_results: tuple[tuple[str, str], ...] = tuple((code, "") for code in COMPLAINT_RESULTS)
    # Who is calling, as a party's join page says it: the bureau (a case's unit, when it
    # has one, is named instead) and the number a party may call to check.
    bureau_name: str = "劳动保障监察机构"
    bureau_phone: str = "12333"
    # The bureau's time zone: a record's times are written in it (and say so), and the
    # pages show times in it.
    time_zone: str = "Asia/Shanghai"
    # Officers a record must name, each with an enforcement certificate number (执法证号),
    # before it is sent to be signed: 2 where the bureau requires two (劳动保障监察条例).
    record_officers: int = 1

    @property
    def body_idle_timeout(self) -> float:
        return 3 * self.client_timeout.total_seconds()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and validate settings; raise `ConfigError` with one clear sentence."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("ZEROMEET_DATA_DIR") or "./var").resolve()
        database_url = normalise_database_url(
            env.get("ZEROMEET_DATABASE_URL") or default_database_url(data_dir)
        )
        s3 = S3Settings(
            endpoint=env.get("ZEROMEET_S3_ENDPOINT") or None,
            access_key=env.get("ZEROMEET_S3_ACCESS_KEY") or None,
            secret_key=env.get("ZEROMEET_S3_SECRET_KEY") or None,
            bucket=env.get("ZEROMEET_S3_BUCKET") or "zeromeet-evidence",
            secure=_flag(env, "ZEROMEET_S3_SECURE", False),
            region=env.get("ZEROMEET_S3_REGION") or None,
            retention_days=_int(env, "ZEROMEET_RETENTION_DAYS", 3650),
        )
        ice = IceSettings(
            stun_urls=_urls(env, "ZEROMEET_STUN_URLS", ("stun:", "stuns:")),
            turn_urls=_urls(env, "ZEROMEET_TURN_URLS", ("turn:", "turns:")),
            turn_secret=env.get("ZEROMEET_TURN_SECRET") or None,
            turn_username=env.get("ZEROMEET_TURN_USERNAME") or None,
            turn_password=env.get("ZEROMEET_TURN_PASSWORD") or None,
        )
        notify = NotifySettings(
            gateway=(env.get("ZEROMEET_NOTIFY") or "off").strip().lower(),
            sms_url=env.get("ZEROMEET_SMS_URL") or None,
            sms_token=env.get("ZEROMEET_SMS_TOKEN") or None,
            sms_timeout=timedelta(seconds=_int(env, "ZEROMEET_SMS_TIMEOUT_SECONDS", 10)),
            remind_before=timedelta(minutes=_int(env, "ZEROMEET_REMIND_MINUTES", 30)),
        )
        settings = cls(
            data_dir=data_dir,
            database_url=database_url,
            s3=s3,
            ice=ice,
            notify=notify,
            node_name=env.get("ZEROMEET_NODE_NAME") or socket.gethostname(),
            whisper_model=env.get("ZEROMEET_WHISPER_MODEL") or "base",
            whisper_device=env.get("ZEROMEET_WHISPER_DEVICE") or "cpu",
            whisper_threads=_int(env, "ZEROMEET_WHISPER_THREADS",
                                 max(1, (os.cpu_count() or 2) // 2)),
            transcribe=_flag(env, "ZEROMEET_TRANSCRIBE", True),
            live_captions=_flag(env, "ZEROMEET_LIVE_CAPTIONS", True),
            public_url=env.get("ZEROMEET_PUBLIC_URL") or None,
            session_ttl=timedelta(hours=_int(env, "ZEROMEET_SESSION_HOURS", 12)),
            invitation_ttl=timedelta(hours=_int(env, "ZEROMEET_INVITATION_HOURS", 24)),
            max_upload_mb=_int(env, "ZEROMEET_MAX_UPLOAD_MB", 50),
            checkpoint_every=timedelta(minutes=_int(env, "ZEROMEET_CHECKPOINT_MINUTES", 60)),
            log_level=(env.get("ZEROMEET_LOG_LEVEL") or "INFO").upper(),
            trusted_proxies=_networks(env, "ZEROMEET_TRUSTED_PROXIES"),
            proxy_headers=(env.get("ZEROMEET_PROXY_HEADERS") or "x-forwarded").lower(),
            client_timeout=timedelta(seconds=_int(env, "ZEROMEET_CLIENT_TIMEOUT_SECONDS", 20)),
            forwarding=(env.get("ZEROMEET_FORWARDING") or "packets").lower(),
            complaint_results=_results(env.get("ZEROMEET_COMPLAINT_RESULTS") or ""),
            bureau_name=(env.get("ZEROMEET_BUREAU_NAME") or "劳动保障监察机构").strip()[:128],
            bureau_phone=(env.get("ZEROMEET_BUREAU_PHONE") or "12333").strip()[:32],
            time_zone=(env.get("ZEROMEET_TIME_ZONE") or "Asia/Shanghai").strip(),
            record_officers=_int(env, "ZEROMEET_RECORD_OFFICERS", 1),
        )
        settings.validate()
        return settings

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)

    def validate(self) -> None:
        _check_database_url(self.database_url)
        if self.s3.endpoint is not None:
            _check_s3(self.s3)
        _check_notify(self.notify)
        if not known_zone(self.time_zone):
            raise ConfigError(f"ZEROMEET_TIME_ZONE must be a time zone such as Asia/Shanghai "
                              f"or Asia/Urumqi, not {self.time_zone!r}.")
        if not 1 <= self.record_officers <= 5:
            raise ConfigError(f"ZEROMEET_RECORD_OFFICERS must be 1 to 5, not {self.record_officers}.")
        if self.whisper_device not in {"cpu", "cuda"}:
            raise ConfigError(
                f"ZEROMEET_WHISPER_DEVICE must be 'cpu' or 'cuda', not {self.whisper_device!r}."
            )
        if self.public_url is not None:
            parts = urlsplit(self.public_url)
            if parts.scheme not in {"http", "https"} or not parts.netloc:
                raise ConfigError(
                    f"ZEROMEET_PUBLIC_URL must be an http(s) URL such as "
                    f"https://meet.example.gov.cn, not {self.public_url!r}."
                )
        if self.ice.turn_urls and not (
            self.ice.turn_secret or (self.ice.turn_username and self.ice.turn_password)
        ):
            raise ConfigError(
                "ZEROMEET_TURN_URLS needs ZEROMEET_TURN_SECRET (coturn's static-auth-secret) "
                "or ZEROMEET_TURN_USERNAME and ZEROMEET_TURN_PASSWORD."
            )
        if self.forwarding not in {"packets", "transcode"}:
            raise ConfigError(f"ZEROMEET_FORWARDING must be 'packets' or 'transcode', "
                              f"not {self.forwarding!r}.")
        if self.proxy_headers not in {"x-forwarded", "forwarded"}:
            raise ConfigError(f"ZEROMEET_PROXY_HEADERS must be 'x-forwarded' or 'forwarded', "
                              f"not {self.proxy_headers!r}.")
        if self.log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ConfigError(f"ZEROMEET_LOG_LEVEL {self.log_level!r} is not a log level.")


_RESULT_CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")


def _results(raw: str) -> tuple[tuple[str, str], ...]:
    """ZEROMEET_COMPLAINT_RESULTS: `code=label` pairs (a standard code may stand alone),
    separated by commas; empty for the standard list."""
    if not raw.strip():
        return tuple((code, "") for code in COMPLAINT_RESULTS)
    out: dict[str, str] = {}
    for part in raw.split(","):
        code, _, label = part.strip().partition("=")
        code, label = code.strip(), label.strip()
        if not _RESULT_CODE.fullmatch(code):
            raise ConfigError(f"ZEROMEET_COMPLAINT_RESULTS: {code!r} is not a result code "
                              "(lower-case letters, digits and _, such as paid_in_full).")
        if not label and code not in COMPLAINT_RESULTS:
            raise ConfigError(f"ZEROMEET_COMPLAINT_RESULTS: {code!r} needs a label "
                              f"({code}=已全额支付), being none of the standard ones.")
        if code in out:
            raise ConfigError(f"ZEROMEET_COMPLAINT_RESULTS names {code!r} twice.")
        out[code] = label[:64]
    return tuple(out.items())


def default_database_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'zeromeet.sqlite3'}"


def normalise_database_url(url: str) -> str:
    """Accept the plain forms operators type and name the async driver for them."""
    for plain, full in (("postgresql://", "postgresql+asyncpg://"),
                        ("postgres://", "postgresql+asyncpg://"),
                        ("sqlite://", "sqlite+aiosqlite://")):
        if url.startswith(plain):
            return full + url[len(plain):]
    return url


def _check_database_url(url: str) -> None:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"ZEROMEET_DATABASE_URL is not a database URL: {_redact(url)!r}."
        ) from None
    if parsed.drivername not in _DRIVERS:
        raise ConfigError(
            f"ZEROMEET_DATABASE_URL must use sqlite+aiosqlite:// or postgresql+asyncpg://, "
            f"not {parsed.drivername}://."
        )


def _check_s3(s3: S3Settings) -> None:
    if "://" in s3.endpoint or "/" in s3.endpoint:
        raise ConfigError(
            f"ZEROMEET_S3_ENDPOINT must be host:port without a scheme or path "
            f"(use ZEROMEET_S3_SECURE=1 for https), not {s3.endpoint!r}."
        )
    if not s3.access_key or not s3.secret_key:
        raise ConfigError(
            "ZEROMEET_S3_ENDPOINT is set, so ZEROMEET_S3_ACCESS_KEY and "
            "ZEROMEET_S3_SECRET_KEY must be set too."
        )


def _check_notify(notify: NotifySettings) -> None:
    if notify.gateway not in {"off", "file", "sms"}:
        raise ConfigError(f"ZEROMEET_NOTIFY must be 'off', 'file' or 'sms', not {notify.gateway!r}.")
    if notify.gateway != "sms":
        return
    parts = urlsplit(notify.sms_url or "")
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError("ZEROMEET_NOTIFY=sms needs ZEROMEET_SMS_URL, the gateway's http(s) URL "
                          "such as https://sms.example.gov.cn/send.")
    if not notify.sms_token:
        raise ConfigError("ZEROMEET_NOTIFY=sms needs ZEROMEET_SMS_TOKEN, the gateway's bearer token.")


def _redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("@")[-1]


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be 1 or 0 (true or false), not {raw!r}.")


def _urls(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> tuple[str, ...]:
    urls = tuple(u.strip() for u in (env.get(name) or "").split(",") if u.strip())
    for url in urls:
        if not url.startswith(schemes):
            raise ConfigError(f"{name} holds {url!r}, which does not start with {' or '.join(schemes)}.")
    return urls


def _networks(env: Mapping[str, str], name: str) -> tuple[IPNetwork, ...]:
    out = []
    for raw in (env.get(name) or "").split(","):
        if raw.strip():
            try:
                out.append(ipaddress.ip_network(raw.strip(), strict=False))
            except ValueError:
                raise ConfigError(f"{name} holds {raw.strip()!r}, which is not an IP address "
                                  "or network such as 10.0.0.5 or 10.0.0.0/24.") from None
    return tuple(out)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from None
    if value <= 0:
        raise ConfigError(f"{name} must be greater than zero, not {value}.")
    return value
