"""Malformed input gets a clear JSON 4xx; headers and the API description are right."""

from __future__ import annotations

import json

from tests.support.api import Api


async def test_malformed_case_bodies(api: Api) -> None:
    wang = await api.staff("wang")
    bad = [
        "", "null", "[1,2]", '"text"', "{bad json", '{"title": ""}', '{"title": 5}',
        '{"title": "x", "extra": 1}', json.dumps({"title": "x" * 201}),
        json.dumps({"title": "bell\u0007"}), '{"employer": "no title"}',
        '{"title": "\\ud800"}', "[" * 5000 + "]" * 5000,
    ]
    for body in bad:
        status, answer = await api.call("POST", "/api/cases", data=body,
                                        headers={**wang, "Content-Type": "application/json"})
        assert status == 400, body
        assert set(answer) == {"error", "message"} and answer["message"], body
    assert await api.ok("GET", "/api/cases", headers=wang) == []
    # The field at fault is named beside the body (which stays exactly error and message),
    # for the pages to word the error in their own language.
    async with api.client.post("/api/cases", json={"title": ""}, headers=wang) as resp:
        assert resp.status == 400 and resp.headers["X-Error-Field"] == "title"
        assert (await resp.json())["error"] == "missing_field"


async def test_malformed_interview_and_invitation_bodies(api: Api) -> None:
    wang, case, interview = await api.setup_case()
    for body in ({"language": "fr"}, {"scheduled_for": "tomorrow"},
                 {"scheduled_for": "2026-12-01T09:00:00"}, {"title": ["x"]}, {"language": []},
                 {"scheduled_for": "0001-01-01T00:00:00+01:00"}):
        status, _ = await api.call("POST", f"/api/cases/{case['id']}/interviews", headers=wang, json=body)
        assert status == 400, body
    for body in ({"name": "张三"}, {"name": "张三", "role": "boss"}, {"role": "worker"},
                 {"name": "张三", "role": {}},
                 {"name": "", "role": "worker"}, {"name": "x" * 129, "role": "worker"}):
        status, _ = await api.call("POST", f"/api/interviews/{interview['id']}/invites", headers=wang, json=body)
        assert status == 400, body


async def test_oversized_body_is_refused(api: Api) -> None:
    wang = await api.staff("wang")
    big = json.dumps({"title": "x", "description": "y" * 200_000})
    status, answer = await api.call("POST", "/api/cases", data=big,
                                    headers={**wang, "Content-Type": "application/json"})
    assert (status, answer["error"]) == (413, "too_large")


async def test_unknown_paths_methods_and_ids(api: Api) -> None:
    wang = await api.staff("wang")
    assert (await api.call("GET", "/api/nothing-here", headers=wang)) == (
        404, {"error": "not_found", "message": "There is no such API endpoint."})
    status, answer = await api.call("DELETE", "/api/cases", headers=wang)
    assert status == 405 and answer["error"] == "method_not_allowed"
    for path in ("/api/cases/%00", "/api/cases/..%2F..%2Fetc%2Fpasswd", "/api/interviews/' OR 1=1 --"):
        status, answer = await api.call("GET", path, headers=wang)
        assert status == 404 and "error" in answer, path


async def test_wrong_content_type_is_refused(api: Api) -> None:
    wang = await api.staff("wang")
    status, answer = await api.call("POST", "/api/cases", data="title=x",
                                    headers={**wang, "Content-Type": "application/x-www-form-urlencoded"})
    assert (status, answer["error"]) == (400, "unsupported_media_type")


async def test_security_headers_on_api_pages_and_errors(api: Api) -> None:
    for path in ("/api/openapi.json", "/api/cases", "/login"):
        async with api.client.get(path) as resp:
            assert "default-src 'self'" in resp.headers["Content-Security-Policy"], path
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
            assert resp.headers["X-Frame-Options"] == "DENY"
            assert resp.headers["Referrer-Policy"] == "no-referrer"


async def test_openapi_describes_every_api_route(api: Api) -> None:
    doc = await api.ok("GET", "/api/openapi.json")
    assert doc["openapi"].startswith("3.")
    routes = set()
    for route in api.app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if path.startswith("/api/") and route.method != "HEAD" and path != "/api/health":
            routes.add((path, route.method.lower()))
    described = {(p, m) for p, ops in doc["paths"].items() for m in ops if m != "parameters"}
    assert routes == described
    for ops in doc["paths"].values():
        for method, op in ops.items():
            if method != "parameters":
                assert op["responses"] and op["summary"]


async def test_public_key_is_served_as_pem(api: Api) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    async with api.client.get("/api/keys") as resp:
        assert resp.status == 200
        key = load_pem_public_key(await resp.read())
    assert isinstance(key, Ed25519PublicKey)
