"""Settings from the environment, and the ICE servers handed to browsers."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest

from server import ice
from server.errors import ConfigError
from server.settings import Settings


def test_defaults_are_embedded(tmp_path) -> None:  # noqa: ANN001
    settings = Settings.from_env({"ZEROMEET_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'zeromeet.sqlite3'}"
    assert settings.s3.endpoint is None and settings.s3.bucket == "zeromeet-evidence"
    assert settings.whisper_model == "base" and settings.whisper_device == "cpu"
    assert ice.for_browser(settings.ice, "p") == [] and ice.for_server(settings.ice) == []
    assert settings.checkpoint_every.total_seconds() == 3600
    assert Settings.from_env({"ZEROMEET_CHECKPOINT_MINUTES": "5"}).checkpoint_every.total_seconds() == 300


def test_plain_database_urls_get_their_async_driver() -> None:
    settings = Settings.from_env({"ZEROMEET_DATABASE_URL": "postgres://u:p@db/zm"})
    assert settings.database_url == "postgresql+asyncpg://u:p@db/zm"


@pytest.mark.parametrize("env, message", [
    ({"ZEROMEET_S3_ENDPOINT": "s3.internal:9000"}, "ACCESS_KEY and ZEROMEET_S3_SECRET_KEY must be set"),
    ({"ZEROMEET_PUBLIC_URL": "meet.example.gov.cn"}, "must be an http(s) URL"),
    ({"ZEROMEET_SESSION_HOURS": "-1"}, "greater than zero"),
    ({"ZEROMEET_INVITATION_HOURS": "a day"}, "whole number"),
    ({"ZEROMEET_CHECKPOINT_MINUTES": "0"}, "ZEROMEET_CHECKPOINT_MINUTES must be greater than zero"),
    ({"ZEROMEET_TURN_URLS": "turn:turn.example:3478"}, "needs ZEROMEET_TURN_SECRET"),
    ({"ZEROMEET_STUN_URLS": "http://stun.example"}, "does not start with stun:"),
    ({"ZEROMEET_LOG_LEVEL": "chatty"}, "is not a log level"),
    ({"ZEROMEET_FORWARDING": "mcu"}, "ZEROMEET_FORWARDING must be 'packets' or 'transcode'"),
])
def test_bad_settings_name_the_problem(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(env)


def test_turn_credentials_follow_coturns_rest_scheme() -> None:
    settings = Settings.from_env({
        "ZEROMEET_STUN_URLS": "stun:turn.example:3478",
        "ZEROMEET_TURN_URLS": "turn:turn.example:3478?transport=udp, turns:turn.example:443?transport=tcp",
        "ZEROMEET_TURN_SECRET": "s3cret",
    })
    servers = ice.for_browser(settings.ice, "participant-1", now=1_000_000)
    assert servers[0] == {"urls": ["stun:turn.example:3478"]}
    turn = servers[1]
    assert turn["urls"] == ["turn:turn.example:3478?transport=udp", "turns:turn.example:443?transport=tcp"]
    assert turn["username"] == f"{1_000_000 + 12 * 3600}:participant-1"
    expected = base64.b64encode(hmac.new(b"s3cret", turn["username"].encode(), hashlib.sha1).digest()).decode()
    assert turn["credential"] == expected
    assert [s.urls for s in ice.for_server(settings.ice)] == [["stun:turn.example:3478"]]


def test_static_turn_credentials() -> None:
    settings = Settings.from_env({"ZEROMEET_TURN_URLS": "turn:t:3478", "ZEROMEET_TURN_USERNAME": "zm",
                                  "ZEROMEET_TURN_PASSWORD": "pw"})
    assert ice.for_browser(settings.ice, "p") == [{"urls": ["turn:t:3478"], "username": "zm", "credential": "pw"}]


@pytest.mark.parametrize("raw, message", [
    ("paid_in_full", "needs a label"), ("Bad Code=x", "not a result code"), ("other,other", "twice")])
def test_a_bad_results_setting_is_refused_in_one_sentence(raw: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({"ZEROMEET_DATA_DIR": str(tmp_path), "ZEROMEET_COMPLAINT_RESULTS": raw})
    got = Settings.from_env({"ZEROMEET_DATA_DIR": str(tmp_path), "ZEROMEET_COMPLAINT_RESULTS": "paid_in_full=已全额支付,mediated,other"})
    assert got.complaint_results == (("paid_in_full", "已全额支付"), ("mediated", ""), ("other", ""))
