"""A running API for tests: the inbound world (two municipalities, one P1) plus a TLP:AMBER
case, an acknowledgement and an incident, served by a real `App` on 127.0.0.1; and a client
that checks EVERY answer against the OpenAPI document with openapi-core."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from certbot.app import App
from certbot.inbound import records
from certbot.match import Matcher
from certbot.model import TLP
from certbot.planning import plan_case
from certbot.web.api_spec import PROBLEM_JSON, openapi
from tests.factory import T0, confirmed, kev
from tests.inbound_helpers import make_world

TOKENS = {
    "OPS_TOKEN": "o" * 32,
    "BERGEN_TOKEN": "b" * 32,
    "PUBLISH_TOKEN": "p" * 32,
    "METRICS_TOKEN": "m" * 32,
}
CLIENTS = [
    {"id": "ops", "token": {"env": "OPS_TOKEN"}, "tlp_max": "AMBER+STRICT"},
    {"id": "bergen", "token": {"env": "BERGEN_TOKEN"}, "tlp_max": "GREEN", "municipality": "4601"},
    {"id": "pub", "token": {"env": "PUBLISH_TOKEN"}, "scopes": ["publish"]},
]
# Problem details are JSON: openapi-core knows only application/json by itself.
SPEC = OpenAPI.from_dict(
    openapi(), config=Config(extra_media_type_deserializers={PROBLEM_JSON: json.loads})
)


def amber_case(world: Any) -> str:
    """A second case, TLP:AMBER, alerted to both municipalities."""
    advs = [
        kev("CVE-2026-0002", "Fortinet", "FortiOS", tlp=TLP.AMBER, title="<b>Hemmelig</b>"),
        confirmed("CVE-2026-0002", tlp=TLP.AMBER, title="<b>Hemmelig</b>"),
    ]
    changes = world.store.ingest(advs, now=T0)
    with world.store.tx():
        for change in changes:
            plan_case(world.store, world.config, Matcher(world.config.subscribers), change, T0)
    return str(changes[0].case_id)


@dataclass
class Api:
    base: str
    app: App
    session: aiohttp.ClientSession
    cases: dict[str, str] = field(default_factory=dict)
    incident: str = ""

    async def get(self, path: str, token: str | None = None, **params: Any) -> tuple[int, Any, Any]:
        """GET ``path``; the answer is validated against the OpenAPI document first."""
        return await self.request("get", path, token, None, **params)

    async def post(
        self, path: str, token: str | None, body: Any, **params: Any
    ) -> tuple[int, Any, Any]:
        """POST ``body`` as JSON to ``path``; the answer is validated against the document."""
        return await self.request("post", path, token, json.dumps(body).encode(), **params)

    async def request(
        self, method: str, path: str, token: str | None, raw: bytes | None, **params: Any
    ) -> tuple[int, Any, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if raw is not None:
            headers["Content-Type"] = "application/json"
        query = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()}
        async with self.session.request(
            method, self.base + path, headers=headers, params=query, data=raw
        ) as resp:
            data = await resp.read()
            status, ctype, hdrs = resp.status, resp.content_type, resp.headers
        req = MockRequest(self.base, method, path, args=query, headers=headers, data=raw)
        SPEC.validate_response(
            req, MockResponse(data, status, headers=dict(hdrs), content_type=ctype)
        )
        body = json.loads(data) if ctype.endswith("json") else data.decode()
        return status, body, hdrs


def api_config(tmp: Path, **api: Any) -> dict[str, Any]:
    return {"listen": "127.0.0.1:0", "clients": CLIENTS, "rate_per_minute": 1000, **api}


@asynccontextmanager
async def running_api(tmp: Path, **api: Any) -> Any:
    world = make_world(tmp, api=api_config(tmp, **api))
    amber = amber_case(world)
    with world.store.tx():
        records.set_ack(
            world.store, records.AckUpdate(world.case, "0301", "acknowledged", "telegram:111"), T0
        )
        incident = records.create_incident(
            world.store,
            municipality="0301",
            reporter="telegram:111",
            reporter_chat="111",
            fields={"what_happened": "<script>x</script> phishing", "tlp": "AMBER"},
            now=T0,
        )
    world.store.close()
    async with (
        App(
            world.config, tmp / "certbot.db", environ=TOKENS, serve_inbound=True, clock=world.clock
        ) as app,
        aiohttp.ClientSession() as session,
    ):
        api_obj = Api(app.sites["api"], app, session, {"p1": world.case, "amber": amber}, incident)
        yield api_obj
