"""The notification gateway's parts: mobile numbers, the texts, the sealed link, the
settings, the `sms` plug-in's reading of a provider's answer; and two servers sweeping
reminders at once (their claim on each reminder is a row lock: PostgreSQL too)."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from server.appkeys import NOTIFICATIONS, SETTINGS, SIGNING_KEY
from server.db.engine import make_engine, sessionmaker_for
from server.errors import ConfigError
from server.notify import Kind, NotifyError
from server.notify.file import FILE_NAME, FileNotifier
from server.notify.links import LinkSeal
from server.notify.phone import masked, mobile_number
from server.notify.sms import SmsNotifier
from server.notify.texts import render
from server.services.notifications import Notifications
from server.settings import NotifySettings, Settings
from tests.support.api import Api
from tests.support.notify import custody_events, messages, sms_gateway

PARAMS = {"language": "zh", "url": "https://meet.example.gov.cn/j/zi_abc", "bureau": "济南市劳动保障监察支队",
          "bureau_phone": "12333", "when": "2026年12月9日 10时00分"}


@pytest.mark.parametrize("written", ["13812345678", "138 1234 5678", "138-1234-5678", "+86 13812345678",
                                     "0086 138 1234 5678", "8613812345678", "(+86)13812345678"])
def test_a_mobile_number_is_read_as_people_write_it(written: str) -> None:
    assert mobile_number(written) == "13812345678"
    assert masked(mobile_number(written)) == "138****5678"


@pytest.mark.parametrize("written", ["", "12812345678", "1381234567", "138123456789", "010-12345678",
                                     "+1 13812345678", "１３８１２３４５６７８", "138\u00a01234\u00a0567８"])
def test_anything_else_is_no_mobile_number(written: str) -> None:
    with pytest.raises(ValueError):
        mobile_number(written)


def test_each_message_holds_the_link_in_the_interviews_language() -> None:
    for language in ("zh", "en"):
        for kind in Kind:
            text = render(kind, {**PARAMS, "language": language})
            assert PARAMS["url"] in text and "{" not in text and PARAMS["bureau"] in text, (language, kind)
    assert "时间：2026年12月9日 10时00分" in render(Kind.INVITATION, PARAMS)
    assert "时间" not in render(Kind.INVITATION, {**PARAMS, "when": ""})  # no time, none said
    assert render(Kind.SIGN, {**PARAMS, "language": "en"}).startswith("济南市劳动保障监察支队 asks you to read and sign")


def test_a_sealed_link_opens_only_for_its_invitation_and_key() -> None:
    key = Ed25519PrivateKey.generate()
    sealed = LinkSeal(key).seal("inv-1", PARAMS["url"])
    assert PARAMS["url"] not in sealed and "zi_abc" not in sealed
    assert LinkSeal(key).open("inv-1", sealed) == PARAMS["url"]
    assert LinkSeal(key).open("inv-2", sealed) is None  # moved to another row
    assert LinkSeal(Ed25519PrivateKey.generate()).open("inv-1", sealed) is None
    assert LinkSeal(key).open("inv-1", sealed[:-4]) is None and LinkSeal(key).open("inv-1", "x") is None


def test_the_settings_say_which_gateway_and_refuse_half_of_one(tmp_path: Path) -> None:
    base = {"ZEROMEET_DATA_DIR": str(tmp_path)}
    plain = Settings.from_env(base)
    assert plain.notify == NotifySettings() and plain.notify.gateway == "off"
    sms = Settings.from_env({**base, "ZEROMEET_NOTIFY": "SMS", "ZEROMEET_SMS_URL": "https://sms.example/send",
                             "ZEROMEET_SMS_TOKEN": "t", "ZEROMEET_SMS_TIMEOUT_SECONDS": "3",
                             "ZEROMEET_REMIND_MINUTES": "15"})
    assert sms.notify == NotifySettings(gateway="sms", sms_url="https://sms.example/send", sms_token="t",
                                        sms_timeout=timedelta(seconds=3), remind_before=timedelta(minutes=15))
    for env, words in (({"ZEROMEET_NOTIFY": "fax"}, "ZEROMEET_NOTIFY must be"),
                       ({"ZEROMEET_NOTIFY": "sms", "ZEROMEET_SMS_TOKEN": "t"}, "ZEROMEET_SMS_URL"),
                       ({"ZEROMEET_NOTIFY": "sms", "ZEROMEET_SMS_URL": "ftp://x/"}, "ZEROMEET_SMS_URL"),
                       ({"ZEROMEET_NOTIFY": "sms", "ZEROMEET_SMS_URL": "https://x/s"}, "ZEROMEET_SMS_TOKEN"),
                       ({"ZEROMEET_REMIND_MINUTES": "0"}, "ZEROMEET_REMIND_MINUTES")):
        with pytest.raises(ConfigError, match=words):
            Settings.from_env({**base, **env})


async def test_the_sms_plugin_reads_the_providers_answer_and_names_what_went_wrong() -> None:
    async with sms_gateway() as provider, aiohttp.ClientSession() as http:
        sms = SmsNotifier(http, url=provider.url, token="t", timeout_s=0.5)
        assert await sms.send("13812345678", Kind.REMINDER, PARAMS) == "sms-1"
        provider.mode = "int_id"
        assert await sms.send("13812345678", Kind.REMINDER, PARAMS) == "42"
        provider.mode = "no_id"
        with pytest.raises(NotifyError, match="names no message id"):
            await sms.send("13812345678", Kind.REMINDER, PARAMS)
        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            closed = f"http://127.0.0.1:{s.getsockname()[1]}/send"
        with pytest.raises(NotifyError, match="could not be reached") as caught:
            await SmsNotifier(http, url=closed, token="t", timeout_s=0.5).send("13812345678", Kind.SIGN, PARAMS)
        assert closed not in str(caught.value) and "127.0.0.1" not in str(caught.value)


async def test_the_file_plugin_names_a_file_it_cannot_write(tmp_path: Path) -> None:
    with pytest.raises(NotifyError, match="could not be written"):
        await FileNotifier(tmp_path / "missing" / FILE_NAME).send("13812345678", Kind.SIGN, PARAMS)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(notify=NotifySettings(gateway="file"))


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_two_servers_sweeping_at_once_send_each_reminder_once(api: Api, database_url: str) -> None:
    wang, case, _ = await api.setup_case()
    start = datetime.now(UTC) + timedelta(hours=2)
    interview = await api.interview(wang, case["id"], scheduled_for=start.isoformat())
    phones = [f"139000000{n:02d}" for n in range(6)]
    for n, phone in enumerate(phones):
        await api.ok("POST", f"/api/interviews/{interview['id']}/invites", 201, headers=wang,
                     json={"name": f"当事人{n}", "role": "witness", "phone": phone})
    app = api.app
    engine = make_engine(database_url)  # the other server: its own connections
    try:
        other = Notifications(settings=app[SETTINGS], sessions=sessionmaker_for(engine),
                              notifier=FileNotifier(app[SETTINGS].data_dir / FILE_NAME),
                              seal=LinkSeal(app[SIGNING_KEY]))
        moment = start - timedelta(minutes=20)
        counts = await asyncio.gather(app[NOTIFICATIONS].remind_due(moment), other.remind_due(moment),
                                      app[NOTIFICATIONS].remind_due(moment))
    finally:
        await engine.dispose()
    assert sum(counts) == len(phones)
    reminders = [m for m in messages(api) if m["kind"] == "reminder"]
    assert sorted(m["to"] for m in reminders) == phones
    events = await custody_events(api, wang, case["id"], "notified")
    assert len([e for e in events if e["detail"]["message"] == "reminder"]) == len(phones)
