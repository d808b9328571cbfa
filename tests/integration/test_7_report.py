"""The report page and the bug bundle of the shared test-box lab, looked at as a person would.

Headless Chromium (Debian's ``chromium``) opens ``labs/<lab>/report/index.html`` from disk: no
console errors, a screenshot kept under pytest's tmp dir, and the page's SVG holds one group per
node and per network. The bundle is taken with secrets planted in files the nodes really hold,
and again with one node paused and another refusing SSH; then a lab is rebuilt from it
(``up --from BUNDLE --until networks``: the same settings, release and box, no VMs).
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import tarfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from labbuilder.adapters.ssh import Remote
from tests.conftest import FAKE_PACKSTACK

from .conftest import LAB, SIDE_FLAGS, inventory, invoke, leftovers, virsh

pytestmark = pytest.mark.vms

REBUILT = f"{LAB}r"
FAKE = FAKE_PACKSTACK


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("chromium is not installed: run hostsetup/setup.sh")
    return found


def browse(page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    argv += ["--enable-logging=stderr", "--v=0", "--window-size=1400,1800", *args]
    return subprocess.run([*argv, page.as_uri()], capture_output=True, text=True, timeout=120)


def console_errors(stderr: str) -> list[str]:
    """Page console messages and failed loads Chromium logs (not its own dbus/GPU noise)."""
    return [
        line
        for line in stderr.splitlines()
        if "CONSOLE" in line or "Failed to load resource" in line or "net::ERR_" in line
    ]


@pytest.fixture(scope="module")
def deployed(lab):
    """The shared lab at stage deploy: in a whole run the deploy modules took it there; run
    alone, this module deploys it with the same stand-in Packstack (tests/fakes/packstack)."""
    if not (lab["labdir"] / "lab.lock").is_file():
        invoke(lab["env"], "up", "--lab", LAB, "--until", "provision", timeout=3600)
        Remote(lab["labdir"] / "ssh-config").put_file(
            "controller", FAKE.read_text(), "/usr/local/bin/packstack", mode="0755"
        )
        invoke(lab["env"], "deploy", "--lab", LAB, timeout=1800)
    return lab


@pytest.fixture(scope="module")
def reported(deployed):
    lab = deployed
    started = time.monotonic()
    out = invoke(lab["env"], "report", "--lab", LAB)
    print(f"invoke report took {time.monotonic() - started:.1f} s")
    return lab["labdir"] / "report", out


def test_report_page_opens_in_chromium_and_draws_every_node_and_network(
    reported, deployed, tmp_path
):
    lab = deployed
    report_dir, out = reported
    page = report_dir / "index.html"
    assert f"report: {page}" in out.stdout
    shot = tmp_path / "report.png"
    taken = browse(page, f"--screenshot={shot}")
    assert shot.is_file() and shot.stat().st_size > 10_000, taken.stderr[-2000:]
    print(f"screenshot of the report page: {shot}")
    dumped = browse(page, "--dump-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    assert console_errors(dumped.stderr + taken.stderr) == []
    dom = dumped.stdout
    inv = inventory(lab["env"], LAB)
    for node in inv["nodes"]:
        assert re.search(rf'<g id="node-{node["name"]}" class="lb-node" data-status="ok"', dom), (
            node
        )
    for net in (inv["external"]["network"], inv["tunnel"]["network"]):
        assert re.search(rf'<g id="net-{net}" class="lb-network" data-status="ok"', dom), net
    assert "Live state and plan agree." in dom
    lanes = set(re.findall(r'<g id="lane-([\w.-]+)" class="lb-lane"', dom))
    assert {"lab", "controller"} <= lanes  # the stages and the controller's own steps
    markdown = (report_dir / "report.md").read_text()
    assert markdown.count("```mermaid") == 2


@pytest.fixture
def planted(deployed):
    """Secrets in files the bundle collects from the controller: the lab's password in a
    service config and a log, and a value only Packstack's hieradata would know."""
    lab = deployed
    remote = Remote(lab["labdir"] / "ssh-config")
    password = yaml.safe_load((lab["labdir"] / "secrets.yaml").read_text())["password"]
    generated = secrets.token_hex(12)
    files = {
        "/etc/nova/nova.conf": f"[database]\nconnection=mysql+pymysql://nova:{password}@db/nova\n",
        "/var/log/nova/nova-api.log": f"DEBUG auth with {password} and {generated}\n",
        "/var/tmp/packstack/20261129-0000/hieradata/defaults.yaml": f"CONFIG_NOVA_DB_PW: {generated}\n",
    }
    for path, text in files.items():
        remote.put_file("controller", text, path, mode="0644")
    yield [password, generated]
    remote.run(
        "controller", "rm -rf /etc/nova /var/log/nova /var/tmp/packstack/20261129-0000", sudo=True
    )


def members(bundle: Path) -> dict[str, bytes]:
    with tarfile.open(bundle) as tar:
        return {
            m.name.split("/", 1)[1]: tar.extractfile(m).read()
            for m in tar.getmembers()
            if m.isfile()
        }


def test_bundle_holds_the_lab_and_no_secret(deployed, planted, tmp_path):
    lab = deployed
    bundle = tmp_path / "bundle.tar.gz"
    started = time.monotonic()
    out = invoke(lab["env"], "bundle", "--lab", LAB, "--output", str(bundle))
    print(f"invoke bundle took {time.monotonic() - started:.1f} s")
    files = members(bundle)
    names = set(files)
    inv = inventory(lab["env"], LAB)
    expected = {"MANIFEST.txt", "host/versions.txt", "lab/lab.yaml", "lab/Vagrantfile"}
    expected |= {"lab/answers.txt", "lab/timeline.jsonl", "lab/report/index.html"}
    expected |= {f"libvirt/network-{inv[k]['network']}.xml" for k in ("external", "tunnel")}
    for node in inv["nodes"]:
        expected.add(f"libvirt/domain-{node['domain']}.xml")
        for name in ("packages.txt", "journal.txt", "ip-addr.txt", "ip-route.txt", "sockets.txt"):
            expected.add(f"nodes/{node['name']}/{name}")
    expected |= {"nodes/controller/files/etc/nova/nova.conf"}
    expected |= {"nodes/controller/files/var/tmp/packstack/20261129-0000/hieradata/defaults.yaml"}
    assert expected <= names, sorted(expected - names)
    assert not any(n.endswith(("secrets.yaml", "clouds.yaml", "openrc")) for n in names)
    for name, data in files.items():
        for secret in planted:
            assert secret.encode() not in data, f"{secret[:3]}... survived in {name}"
    assert b"nova:[REDACTED]@db" in files["nodes/controller/files/etc/nova/nova.conf"]
    assert b"libvirt: " in files["host/versions.txt"]
    manifest = files["MANIFEST.txt"].decode()
    assert "secrets: " in manifest and "occurrence(s) replaced" in manifest
    assert f"bundle: {bundle}" in out.stdout


def test_bundle_of_a_half_broken_lab_completes_and_names_what_it_missed(deployed, tmp_path):
    """The last node refuses SSH for a minute; the one before it (if any) is paused."""
    lab = deployed
    names = [n["name"] for n in inventory(lab["env"], LAB)["nodes"]]
    refusing, paused = names[-1], names[-2] if len(names) > 1 else None
    remote = Remote(lab["labdir"] / "ssh-config")
    remote.run(
        refusing,
        "setsid sh -c 'systemctl stop ssh.socket ssh; sleep 60; systemctl start ssh.socket' "
        ">/dev/null 2>&1 </dev/null &",
        sudo=True,
    )
    if paused:
        virsh("suspend", f"labbuilder-{LAB}-{paused}")
    bundle = tmp_path / "broken.tar.gz"
    try:
        out = invoke(lab["env"], "bundle", "--lab", LAB, "--output", str(bundle))
    finally:
        if paused:
            virsh("resume", f"labbuilder-{LAB}-{paused}")
    files = members(bundle)
    manifest = files["MANIFEST.txt"].decode()
    assert re.search(rf"{refusing}: nothing collected: SSH failed \(.*refused", manifest), manifest
    if paused:
        assert re.search(rf"{paused}: nothing collected: SSH failed", manifest), manifest
    if len(names) > 2:
        assert f"nodes/{names[0]}/packages.txt" in files
    assert {"lab/lab.yaml", "lab/timeline.jsonl", "host/versions.txt"} <= set(files)
    assert "not collected:" in out.stdout
    for _ in range(30):  # leave the lab as it was for the modules after this one
        if remote.run(refusing, "true", check=False, timeout=30).rc == 0:
            break
        time.sleep(5)


def test_bundle_of_no_lab_fails_and_writes_nothing(lab, tmp_path):
    out = invoke(
        lab["env"], "bundle", "--lab", "nosuchlab", "--output", str(tmp_path / "b.tgz"), check=False
    )
    assert out.returncode != 0
    assert "there is no lab nosuchlab here to bundle" in out.stderr
    assert list(tmp_path.iterdir()) == []


def test_up_from_a_bundle_rebuilds_the_same_lab(deployed, tmp_path):
    lab = deployed
    bundle = tmp_path / "rebuild.tar.gz"
    invoke(lab["env"], "bundle", "--lab", LAB, "--output", str(bundle))
    try:
        started = time.monotonic()
        out = invoke(
            lab["env"],
            "up",
            "--from",
            str(bundle),
            "--lab",
            REBUILT,
            "--until",
            "networks",
            *SIDE_FLAGS,
        )
        print(f"up --from BUNDLE --until networks took {time.monotonic() - started:.1f} s")
        assert f"lab {REBUILT} reached stage networks" in out.stdout
        assert "Timing of run" in out.stdout and "Total runtime" in out.stdout
        labs = Path(lab["env"]["INVOKE_LABS_DIR"])
        old = yaml.safe_load((labs / LAB / "lab.yaml").read_text())
        new = yaml.safe_load((labs / REBUILT / "lab.yaml").read_text())
        same = ("nodes", "release", "box", "services", "neutron_backend", "memory", "vcpus")
        assert {k: new[k] for k in same} == {k: old[k] for k in same}
        assert new["lab"] == REBUILT
        nets = leftovers(f"labbuilder-{REBUILT}-")["networks"]
        assert sorted(nets) == [f"labbuilder-{REBUILT}-ext", f"labbuilder-{REBUILT}-tun"]
        root = ET.fromstring("\n".join(virsh("net-dumpxml", f"labbuilder-{REBUILT}-ext")))
        assert len(root.findall("ip/dhcp/host")) == len(inventory(lab["env"], LAB)["nodes"])
    finally:
        invoke(lab["env"], "down", "--lab", REBUILT, "--purge", check=False)
    assert leftovers(f"labbuilder-{REBUILT}-") == {"domains": [], "networks": [], "volumes": []}
