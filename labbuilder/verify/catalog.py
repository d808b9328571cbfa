"""The Keystone service catalog seen from the host: every endpoint must answer over HTTP.

An OpenStack API root answers an anonymous GET with a version document (200/300) or 401;
any HTTP status below 500 means the service is there. No answer, or a 5xx, is a problem.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labbuilder.verify.expected import CatalogService

TIMEOUT = 10.0
LOGIN_PATH = "/dashboard/auth/login/"
LOGIN_MARK = 'name="username"'


@dataclass(frozen=True)
class Endpoint:
    service_type: str
    service_name: str
    interface: str
    region: str
    url: str

    def __str__(self) -> str:
        return f"{self.service_type}-{self.interface}"


@dataclass(frozen=True)
class Answer:
    """What an HTTP GET got: a status (None when no HTTP answer came) and a detail line."""

    status: int | None
    detail: str
    body: str = ""


def parse_catalog(catalog: Iterable[Mapping[str, Any]]) -> tuple[Endpoint, ...]:
    """A token's catalog (``[{type, name, endpoints: [{interface, region, url}]}]``)."""
    out = [
        Endpoint(
            service_type=str(service.get("type", "")),
            service_name=str(service.get("name", "")),
            interface=str(ep.get("interface", "")),
            region=str(ep.get("region_id") or ep.get("region") or ""),
            url=str(ep.get("url", "")),
        )
        for service in catalog
        for ep in service.get("endpoints", [])
    ]
    return tuple(sorted(out, key=lambda e: (e.service_type, e.interface, e.region, e.url)))


def fetch(url: str, timeout: float = TIMEOUT) -> Answer:
    """GET ``url`` (redirects followed); never raises for network or HTTP errors."""
    headers = {"Accept": "application/json, text/html"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read(256 * 1024).decode("utf-8", "replace")
            return Answer(response.status, f"HTTP {response.status}", body)
    except urllib.error.HTTPError as err:
        return Answer(err.code, f"HTTP {err.code}")
    except urllib.error.URLError as err:
        return Answer(None, str(err.reason))
    except TimeoutError:
        return Answer(None, f"no answer within {timeout:.0f} s")
    except (OSError, ValueError) as err:
        return Answer(None, str(err) or type(err).__name__)


def endpoint_problem(endpoint: Endpoint, answer: Answer) -> str | None:
    what = f"{endpoint.service_type} {endpoint.interface} endpoint {endpoint.url}"
    if answer.status is None:
        return f"{what} does not answer: {answer.detail}"
    if answer.status >= 500:
        return f"{what} answered HTTP {answer.status}"
    return None


def service_problem(expected: CatalogService, endpoints: Sequence[Endpoint]) -> str | None:
    """``expected`` is in the catalog with a public endpoint."""
    found = [e for e in endpoints if e.service_type in expected.types]
    types = " or ".join(expected.types)
    if not found:
        listed = ", ".join(sorted({e.service_type for e in endpoints})) or "none"
        return f"{expected.label} ({types}) is not in the catalog; catalog types: {listed}"
    if not any(e.interface == "public" for e in found):
        interfaces = ", ".join(sorted({e.interface for e in found}))
        return f"{expected.label} ({types}) has no public endpoint (only {interfaces})"
    return None


def dashboard_url(address: str) -> str:
    return f"http://{address}{LOGIN_PATH}"


def dashboard_problem(url: str, answer: Answer) -> str | None:
    if answer.status is None:
        return f"dashboard {url} does not answer: {answer.detail}"
    if answer.status != 200:
        return f"dashboard {url} answered HTTP {answer.status}, expected 200 with a login form"
    if LOGIN_MARK not in answer.body:
        return f"dashboard {url} answered 200 but shows no login form ({LOGIN_MARK} not found)"
    return None
