"""From the host: each enabled service is in the Keystone catalog, every catalog endpoint
answers over HTTP, and the dashboard's login page loads.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pytest

from labbuilder.errors import LabError
from labbuilder.verify import catalog, cloud, expected, labinfo
from labbuilder.verify.catalog import Endpoint
from labbuilder.verify.expected import CatalogService

LAB = labinfo.from_env()
STAGE = labinfo.stage_from_env()

pytestmark = pytest.mark.deployed


@dataclass(frozen=True)
class Unreadable:
    """Stands in for the endpoints when the catalog could not be read (the test fails)."""

    reason: str

    def __str__(self) -> str:
        return "catalog"


@functools.cache
def _catalog() -> tuple[Endpoint, ...] | Unreadable:
    if labinfo.not_deployed_reason(LAB.name, STAGE):
        return Unreadable("not deployed")
    try:
        conn = cloud.connect()
        try:
            return catalog.parse_catalog(cloud.service_catalog(conn))
        finally:
            conn.close()
    except LabError as err:
        return Unreadable(err.message)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "endpoint" in metafunc.fixturenames:
        found = _catalog()
        params: list[object] = [found] if isinstance(found, Unreadable) else list(found)
        metafunc.parametrize("endpoint", params, ids=str)
    if "endpoints" in metafunc.fixturenames:
        metafunc.parametrize("endpoints", [_catalog()], ids=["catalog"], scope="module")


@pytest.mark.parametrize("service", expected.catalog_services(LAB), ids=str)
def test_service_in_catalog(
    service: CatalogService, endpoints: tuple[Endpoint, ...] | Unreadable
) -> None:
    if isinstance(endpoints, Unreadable):
        pytest.fail(endpoints.reason, pytrace=False)
    problem = catalog.service_problem(service, endpoints)
    assert problem is None, problem


def test_endpoint_answers(endpoint: Endpoint | Unreadable) -> None:
    if isinstance(endpoint, Unreadable):
        pytest.fail(endpoint.reason, pytrace=False)
    problem = catalog.endpoint_problem(endpoint, catalog.fetch(endpoint.url))
    assert problem is None, problem


@pytest.mark.services("horizon")
def test_dashboard_login_page() -> None:
    url = catalog.dashboard_url(str(LAB.controller.external_ip))
    problem = catalog.dashboard_problem(url, catalog.fetch(url))
    assert problem is None, problem
