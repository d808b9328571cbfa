"""Catalog parsing and the endpoint/service/dashboard verdicts, fed a catalog recorded from a
real Keystone 30 (tests/fixtures/verify/keystone/catalog.json). The HTTP side runs for real
in tests/integration/test_suites_keystone.py.
"""

from __future__ import annotations

import json

import pytest

from labbuilder.verify import catalog
from labbuilder.verify.catalog import Answer, Endpoint
from labbuilder.verify.expected import CatalogService
from tests.conftest import FIXTURES

CATALOG = json.loads((FIXTURES / "verify" / "keystone" / "catalog.json").read_text())
ENDPOINTS = catalog.parse_catalog(CATALOG)
DEAD = Endpoint("volumev3", "cinderv3", "public", "RegionOne", "http://127.0.0.1:9/v3/p1")


def test_parse_catalog() -> None:
    assert [(e.service_type, e.service_name, e.interface, e.region, e.url) for e in ENDPOINTS] == [
        ("identity", "keystone", "admin", "RegionOne", "http://127.0.0.1:35357/v3"),
        ("identity", "keystone", "internal", "RegionOne", "http://127.0.0.1:35357/v3"),
        ("identity", "keystone", "public", "RegionOne", "http://127.0.0.1:35357/v3"),
        ("network", "neutron", "public", "RegionOne", "http://127.0.0.1:9696"),
        (
            "volumev3",
            "cinderv3",
            "public",
            "RegionOne",
            "http://127.0.0.1:9/v3/919c815d7fba4001a7b632c141a6c3bd",
        ),
    ]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (Answer(200, "HTTP 200"), None),
        (Answer(300, "HTTP 300"), None),
        (Answer(401, "HTTP 401"), None),
        (Answer(404, "HTTP 404"), None),
        (
            Answer(503, "HTTP 503"),
            "volumev3 public endpoint http://127.0.0.1:9/v3/p1 answered HTTP 503",
        ),
        (
            Answer(None, "[Errno 111] Connection refused"),
            "volumev3 public endpoint http://127.0.0.1:9/v3/p1 does not answer: [Errno 111] Connection refused",
        ),
    ],
)
def test_endpoint_problem(answer: Answer, expected: str | None) -> None:
    assert catalog.endpoint_problem(DEAD, answer) == expected


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        (CatalogService("keystone", ("identity",), "keystone"), None),
        (CatalogService("cinder", ("block-storage", "volumev3"), "cinder"), None),
        (
            CatalogService("heat", ("orchestration",), "heat"),
            "heat (orchestration) is not in the catalog; catalog types: identity, network, volumev3",
        ),
    ],
)
def test_service_problem(service: CatalogService, expected: str | None) -> None:
    assert catalog.service_problem(service, ENDPOINTS) == expected


def test_service_without_public_endpoint() -> None:
    internal_only = [e for e in ENDPOINTS if e.interface != "public"]
    problem = catalog.service_problem(
        CatalogService("keystone", ("identity",), "keystone"), internal_only
    )
    assert problem == "keystone (identity) has no public endpoint (only admin, internal)"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (Answer(200, "HTTP 200", '<input type="text" name="username" id="id_username">'), None),
        (
            Answer(200, "HTTP 200", "<html>Apache test page</html>"),
            'dashboard U answered 200 but shows no login form (name="username" not found)',
        ),
        (Answer(404, "HTTP 404"), "dashboard U answered HTTP 404, expected 200 with a login form"),
        (Answer(None, "timed out"), "dashboard U does not answer: timed out"),
    ],
)
def test_dashboard_problem(answer: Answer, expected: str | None) -> None:
    assert catalog.dashboard_problem("U", answer) == expected


def test_dashboard_url() -> None:
    assert catalog.dashboard_url("10.1.1.10") == "http://10.1.1.10/dashboard/auth/login/"
