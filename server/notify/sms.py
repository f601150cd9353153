"""The `sms` plug-in: a generic HTTP SMS gateway. Each message is one POST of JSON
`{"to","kind","language","params","text"}` to ZEROMEET_SMS_URL with
`Authorization: Bearer <ZEROMEET_SMS_TOKEN>`; a 2xx answer is JSON naming the provider's
message id as `message_id` (or `id`). A gateway that sends by template uses `kind` and
`params`; one that sends free text uses `text`."""

from __future__ import annotations

import json
from collections.abc import Mapping

import aiohttp

from server.notify import Kind, NotifyError
from server.notify.texts import render


class SmsNotifier:
    name = "sms"

    def __init__(self, http: aiohttp.ClientSession, *, url: str, token: str,
                 timeout_s: float) -> None:
        self.http, self.url, self.token = http, url, token
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def send(self, phone: str, kind: Kind, params: Mapping[str, str]) -> str:
        body = {"to": phone, "kind": kind.value, "language": params.get("language", "zh"),
                "params": dict(params), "text": render(kind, params)}
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            async with self.http.post(self.url, json=body, headers=headers,
                                      timeout=self.timeout, allow_redirects=False) as resp:
                if not 200 <= resp.status < 300:
                    raise NotifyError(f"the SMS gateway answered HTTP {resp.status}")
                answer = await resp.read()
        except TimeoutError:
            raise NotifyError(f"the SMS gateway did not answer within "
                              f"{self.timeout.total:g} s") from None
        except aiohttp.ClientError as exc:  # never str(exc): it may hold the gateway's URL
            raise NotifyError(f"the SMS gateway could not be reached ({type(exc).__name__})") from None
        return _message_id(answer)


def _message_id(raw: bytes) -> str:
    try:
        answer = json.loads(raw)
    except ValueError:
        raise NotifyError("the SMS gateway's answer is not JSON") from None
    found = answer.get("message_id", answer.get("id")) if isinstance(answer, dict) else None
    if isinstance(found, bool) or not isinstance(found, str | int) or not str(found).strip():
        raise NotifyError("the SMS gateway's answer names no message id")
    return str(found).strip()[:128]

