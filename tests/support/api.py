"""A small driver for the HTTP API in tests: staff accounts, logins and common calls."""

from __future__ import annotations

import functools
from typing import Any

from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher

from server.appkeys import SESSIONS
from server.db.models import Role, User

PASSWORD = "correct horse battery"


@functools.cache
def password_hash(password: str) -> str:
    """An argon2id hash of `password` with the server's parameters, made once per process:
    nearly every test makes staff, and a hash costs a tenth of a second of CPU. Logins
    still check it in full; accounts made through the API or the CLI hash their own."""
    return PasswordHasher().hash(password)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Api:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.app = client.server.app

    async def user(self, username: str, role: str = "inspector", password: str = PASSWORD) -> None:
        async with self.app[SESSIONS]() as session, session.begin():
            session.add(User(username=username, display_name=username.title(), role=Role(role),
                             password_hash=password_hash(password)))

    async def login(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        status, body = await self.call("POST", "/api/login",
                                       json={"username": username, "password": password})
        assert status == 200, body
        return bearer(body["token"])

    async def staff(self, username: str, role: str = "inspector") -> dict[str, str]:
        await self.user(username, role)
        return await self.login(username)

    async def call(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                   json: Any = None, data: Any = None) -> tuple[int, Any]:
        async with self.client.request(method, path, headers=headers, json=json, data=data) as resp:
            if resp.content_type == "application/json":
                return resp.status, await resp.json()
            return resp.status, await resp.text()

    async def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        got, body = await self.call(method, path, **kwargs)
        assert got == status, (got, body)
        return body

    async def case(self, headers: dict[str, str], title: str = "欠薪投诉：某建筑工地") -> dict:
        return await self.ok("POST", "/api/cases", 201, headers=headers,
                             json={"title": title, "employer": "某建设有限公司"})

    async def interview(self, headers: dict[str, str], case_id: str, **body: Any) -> dict:
        return await self.ok("POST", f"/api/cases/{case_id}/interviews", 201, headers=headers,
                             json=body)

    async def invite(self, headers: dict[str, str], interview_id: str, name: str = "张三",
                     role: str = "worker") -> dict:
        return await self.ok("POST", f"/api/interviews/{interview_id}/invites", 201,
                             headers=headers, json={"name": name, "role": role})

    async def setup_case(self) -> tuple[dict[str, str], dict, dict]:
        """An inspector with a case and a scheduled interview."""
        inspector = await self.staff("wang")
        case = await self.case(inspector)
        interview = await self.interview(inspector, case["id"])
        return inspector, case, interview
