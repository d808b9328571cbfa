"""Endpoint and catalog checks against a real Keystone (30.x from PyPI, SQLite, wsgiref).

The catalog lists Keystone itself, a loopback HTTP server (a reachable "network" service and
a "placement" path that answers 503) and a closed loopback port ("volumev3"). The checks must
pass on the first and name the other two precisely, alone and through ``invoke verify``'s
runner. The Keystone venv is built once under LABBUILDER_KEYSTONE_VENV
(/var/lib/labbuilder/keystone-venv) and reused.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openstack
import pytest

from labbuilder.errors import VerifyError
from labbuilder.verify import catalog, cloud
from labbuilder.verify import runner as verify
from labbuilder.verify.catalog import Endpoint
from labbuilder.verify.expected import CatalogService
from tests.conftest import FIXTURES

pytestmark = [
    pytest.mark.keystone,
    pytest.mark.filterwarnings("ignore::openstack.warnings.RemovedInSDK50Warning"),
]

VENV = Path(os.environ.get("LABBUILDER_KEYSTONE_VENV", "/var/lib/labbuilder/keystone-venv"))
VERIFY_FIXTURES = FIXTURES / "verify"
PASSWORD = "verify-s3cret"
LOGIN_FORM = b'<form><input name="username"><input name="password"></form>'
SERVE = """
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server
class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass
port = int(sys.argv[1])
sys.argv = sys.argv[:1]  # keystone parses the command line on import
from keystone.wsgi.api import application
make_server("127.0.0.1", port, application, handler_class=Quiet).serve_forever()
"""
CONFIG = """
[database]
connection = sqlite:///{root}/keystone.db
[token]
provider = fernet
[fernet_tokens]
key_repository = {root}/fernet-keys
[fernet_receipts]
key_repository = {root}/fernet-keys
[credential]
key_repository = {root}/credential-keys
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.fixture(scope="module")
def keystone_venv() -> Path:
    if not (VENV / "bin" / "keystone-manage").exists():
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "-q", "keystone>=30,<31"],
            check=True,
            timeout=900,
        )
    return VENV


class Site(http.server.BaseHTTPRequestHandler):
    """The loopback services: a version document, a 503, a login page and a bare page."""

    def do_GET(self) -> None:
        status, body = {
            "/broken": (503, b"down"),
            "/dashboard/auth/login/": (200, LOGIN_FORM),
            "/plain/": (200, b"<html>it works</html>"),
        }.get(self.path, (200, b'{"versions": []}'))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@dataclass(frozen=True)
class Keystone:
    url: str
    clouds_yaml: Path
    closed_port: int
    project_id: str


@pytest.fixture(scope="module")
def keystone(
    keystone_venv: Path, site: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Keystone]:
    root = tmp_path_factory.mktemp("keystone")
    conf = root / "keystone.conf"
    conf.write_text(CONFIG.format(root=root))
    port = free_port()
    url = f"http://127.0.0.1:{port}/v3"
    manage = [str(keystone_venv / "bin" / "keystone-manage"), "--config-file", str(conf)]
    owner = ["--keystone-user", "root", "--keystone-group", "root"]
    for step in (["db_sync"], ["fernet_setup", *owner], ["credential_setup", *owner]):
        subprocess.run([*manage, *step], check=True, capture_output=True, timeout=300)
    endpoints = [f"--bootstrap-{kind}-url={url}" for kind in ("admin", "internal", "public")]
    subprocess.run(
        [*manage, "bootstrap", f"--bootstrap-password={PASSWORD}", *endpoints,
         "--bootstrap-region-id=RegionOne"],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (root / "serve.py").write_text(SERVE)
    log = (root / "serve.log").open("w")
    server = subprocess.Popen(
        [str(keystone_venv / "bin" / "python"), str(root / "serve.py"), str(port)],
        env={**os.environ, "OS_KEYSTONE_CONFIG_FILES": str(conf)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_http(url, timeout=60)
        clouds = root / "clouds.yaml"
        clouds.write_text(
            "clouds:\n  ks:\n    auth:\n"
            f"      auth_url: {url}\n      username: admin\n      password: {PASSWORD}\n"
            "      project_name: admin\n      user_domain_name: Default\n"
            "      project_domain_name: Default\n    region_name: RegionOne\n"
        )
        closed = free_port()
        admin = openstack.connect(auth_url=url, username="admin", password=PASSWORD,
                                  project_name="admin", user_domain_name="Default",
                                  project_domain_name="Default", region_name="RegionOne")  # fmt: skip
        for name, kind, target in (
            ("neutron", "network", f"http://{site}/"),
            ("placement", "placement", f"http://{site}/broken"),
            ("cinderv3", "volumev3", f"http://127.0.0.1:{closed}/v3/%(project_id)s"),
        ):
            service = admin.identity.create_service(name=name, type=kind)
            admin.identity.create_endpoint(
                service_id=service.id, interface="public", url=target, region_id="RegionOne"
            )
        project_id = admin.current_project_id
        admin.close()
        yield Keystone(url, clouds, closed, str(project_id))
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def endpoints(keystone: Keystone) -> dict[tuple[str, str], Endpoint]:
    env = {cloud.CONFIG_ENV: str(keystone.clouds_yaml), cloud.CLOUD_ENV: "ks"}
    with contextlib.closing(cloud.connect(env)) as conn:
        found = catalog.parse_catalog(cloud.service_catalog(conn))
    return {(e.service_type, e.interface): e for e in found}


def test_catalog_lists_every_endpoint(
    keystone: Keystone, endpoints: dict[tuple[str, str], Endpoint], site: str
) -> None:
    urls = {key: e.url for key, e in endpoints.items()}
    assert urls == {
        ("identity", "admin"): keystone.url,
        ("identity", "internal"): keystone.url,
        ("identity", "public"): keystone.url,
        ("network", "public"): f"http://{site}/",
        ("placement", "public"): f"http://{site}/broken",
        ("volumev3", "public"): f"http://127.0.0.1:{keystone.closed_port}/v3/{keystone.project_id}",
    }


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (("identity", "public"), None),
        (("identity", "admin"), None),
        (("network", "public"), None),
        (
            ("placement", "public"),
            "placement public endpoint http://{site}/broken answered HTTP 503",
        ),
        (
            ("volumev3", "public"),
            "volumev3 public endpoint http://127.0.0.1:{closed}/v3/{project} does not answer: "
            "[Errno 111] Connection refused",
        ),
    ],
)
def test_endpoint_check(
    endpoints: dict[tuple[str, str], Endpoint],
    keystone: Keystone,
    site: str,
    key: tuple[str, str],
    expected: str | None,
) -> None:
    endpoint = endpoints[key]
    problem = catalog.endpoint_problem(endpoint, catalog.fetch(endpoint.url, timeout=5))
    if expected is not None:
        expected = expected.format(
            site=site, closed=keystone.closed_port, project=keystone.project_id
        )
    assert problem == expected


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        (CatalogService("keystone", ("identity",), "keystone"), None),
        (CatalogService("cinder", ("block-storage", "volumev3"), "cinder"), None),
        (
            CatalogService("glance", ("image",), "glance"),
            "glance (image) is not in the catalog; catalog types: identity, network, placement, volumev3",
        ),
    ],
)
def test_service_check(
    endpoints: dict[tuple[str, str], Endpoint], service: CatalogService, expected: str | None
) -> None:
    assert catalog.service_problem(service, list(endpoints.values())) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/dashboard/auth/login/", None),
        (
            "/plain/",
            'dashboard {url} answered 200 but shows no login form (name="username" not found)',
        ),
        ("/broken", "dashboard {url} answered HTTP 503, expected 200 with a login form"),
    ],
)
def test_dashboard_check(site: str, path: str, expected: str | None) -> None:
    url = f"http://{site}{path}"
    problem = catalog.dashboard_problem(url, catalog.fetch(url, timeout=5))
    assert problem == (expected.format(url=url) if expected else None)


def test_verify_runs_the_endpoint_suite(keystone: Keystone, site: str, tmp_path: Path) -> None:
    """``invoke verify --only endpoints`` on a deployed lab whose catalog is this Keystone."""
    ssh_config = tmp_path / "ssh-config"
    ssh_config.write_text("Host controller\n  HostName 127.0.0.1\n")
    junit, report = tmp_path / "junit.xml", tmp_path / "report.md"
    with pytest.raises(VerifyError) as failed:
        verify.run(
            VERIFY_FIXTURES / "inventory-ks-keystone-only.json",
            ssh_config,
            "deploy",
            only="endpoints",
            junit=junit,
            report=report,
            clouds_yaml=keystone.clouds_yaml,
        )
    summary = verify.summary_of("ks", "deploy", junit)
    dead = f"http://127.0.0.1:{keystone.closed_port}/v3/{keystone.project_id}"
    assert (summary.passed, summary.failed, summary.skipped, summary.errors) == (6, 2, 0, 0)
    assert sorted(summary.failures) == [
        ("endpoints", "-", "test_endpoint_answers[placement-public]",
         f"placement public endpoint http://{site}/broken answered HTTP 503"),
        ("endpoints", "-", "test_endpoint_answers[volumev3-public]",
         f"volumev3 public endpoint {dead} does not answer: [Errno 111] Connection refused"),
    ]  # fmt: skip
    assert str(failed.value).startswith("2 of 8 checks failed on lab ks, first: endpoints")
    assert "| endpoints | - | test_endpoint_answers[placement-public] |" in report.read_text()
