"""Units, channels and staff for the complaint tests, set up as `zeromeet unit add`,
`channel add` and `user add --unit` would."""

from __future__ import annotations

from datetime import date
from typing import Any

import aiohttp

from server.appkeys import SESSIONS
from server.complaints import units
from tests.support.api import Api

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
       b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")  # a 1×1 image: a photo a complainant sends


def aiohttp_form(data: bytes, name: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=name, content_type="image/png")
    return form


FORM = {"name": "李师傅", "phone": "138 0013 8000", "employer": "某建设有限公司",
        "district": "历下区", "category": "wages", "workers": 12, "amount": 86000,
        "description": "工头三个月没发工资。"}


async def bureau(api: Api) -> dict[str, Any]:
    """A city bureau with two district teams, a QR channel of the city and one of 历下,
    an inspector and a supervisor in 历下, an inspector in 市中 and one in the city."""
    async with api.app[SESSIONS]() as session, session.begin():
        await units.add_unit(session, code="city", name="济南市劳动保障监察支队", parent=None, districts=[])
        await units.add_unit(session, code="lixia", name="历下区大队", parent="city", districts=["历下区"])
        await units.add_unit(session, code="shizhong", name="市中区大队", parent="city", districts=["市中区"])
        city = (await units.add_channel(session, unit="city", name="工地海报", medium="qr")).id
        lixia = (await units.add_channel(session, unit="lixia", name="短信", medium="sms")).id
        window = (await units.add_channel(session, unit="city", name="窗口", medium="window")).id
    staff = {}
    for username, role, unit in (("zhao", "inspector", "lixia"), ("qian", "supervisor", "lixia"),
                                 ("sun", "inspector", "shizhong"), ("li", "inspector", "city")):
        await api.user(username, role)
        async with api.app[SESSIONS]() as session, session.begin():
            await units.set_user_unit(session, username, unit)
        staff[username] = await api.login(username)
    api.client.session.cookie_jar.clear()  # the public is anonymous; staff use their bearer tokens
    return {"city": city, "lixia": lixia, "window": window, **staff}


async def load_days(api: Api, days: dict[date, tuple[bool, str]]) -> None:
    async with api.app[SESSIONS]() as session, session.begin():
        await units.load_calendar(session, days)


async def file(api: Api, channel: str, **fields: Any) -> dict[str, Any]:
    return await api.ok("POST", "/api/complaints", 201, json={"channel": channel, **FORM, **fields})
