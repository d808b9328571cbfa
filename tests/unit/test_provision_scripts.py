"""The provisioning scripts: lint, and the parts that run on any Linux (against temp files)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import fake_program

PROVISION = Path(__file__).parent.parent.parent / "provision"
SCRIPTS = sorted(PROVISION.rglob("*.sh"))
COMMON = PROVISION / "common"
EL9 = PROVISION / "el9"
LIBRARY = PROVISION / "lib.bash"
LAB = [
    "10.1.1.10 controller.lab.example controller",
    "10.1.1.20 compute1.lab.example compute1",
]


def run(
    script: Path, *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> tuple[int, str]:
    done = subprocess.run(
        [str(script), *args],
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def is_el9() -> bool:
    release = Path("/etc/os-release")
    lines = release.read_text().splitlines() if release.exists() else []
    fields = dict(line.split("=", 1) for line in lines if "=" in line)
    return (fields.get("ID", "").strip('"'), fields.get("VERSION_ID", "").strip('"')) == (
        "centos",
        "9",
    )


def test_every_script_is_found() -> None:
    assert {p.relative_to(PROVISION).as_posix() for p in SCRIPTS} == {
        "common/authorize.sh",
        "common/hosts.sh",
        "common/known_hosts.sh",
        "common/rootkey.sh",
        "common/timesync.sh",
        "el9/dns-pin.sh",
        "el9/grow-root.sh",
        "el9/guard-network.sh",
        "el9/network-scripts.sh",
        "el9/packstack-install.sh",
        "el9/prepare.sh",
        "el9/static-eth0.sh",
    }


@pytest.mark.parametrize(
    "script", [*SCRIPTS, LIBRARY], ids=lambda p: p.relative_to(PROVISION).as_posix()
)
def test_shellcheck(script: Path) -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    done = subprocess.run(
        ["shellcheck", "-x", "--severity=style", str(script)],
        cwd=PROVISION.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout


def test_shfmt_style() -> None:
    """One shell style for provision/: shfmt's defaults with tabs (as `invoke test` runs it)."""
    if shutil.which("shfmt") is None:
        pytest.skip("shfmt is not installed (apt-get install shfmt)")
    done = subprocess.run(
        ["shfmt", "-d", "-i", "0", str(PROVISION)], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout) == (0, "")


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.relative_to(PROVISION).as_posix())
def test_sources_the_one_library(script: Path) -> None:
    text = script.read_text()
    assert 'source "$(dirname "${BASH_SOURCE[0]}")/../lib.bash"' in text
    assert "\ndie() {" not in text


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.relative_to(PROVISION).as_posix())
def test_script_header(script: Path) -> None:
    lines = script.read_text().splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    assert "set -euo pipefail" in lines
    assert os.access(script, os.X_OK)


@pytest.mark.parametrize(
    ("before", "entries", "after"),
    [
        (
            "127.0.0.1\tlocalhost\n127.0.1.1 controller.lab.example controller\n",
            LAB,
            "127.0.0.1\tlocalhost\n# BEGIN labbuilder\n"
            "10.1.1.10 controller.lab.example controller\n"
            "10.1.1.20 compute1.lab.example compute1\n# END labbuilder\n",
        ),
        (
            "127.0.0.1 controller.lab.example controller localhost localhost4 # vagrant\n"
            "::1 localhost controller\n192.168.121.1 gateway\n",
            LAB[:1],
            "127.0.0.1 localhost localhost4 # vagrant\n::1 localhost\n192.168.121.1 gateway\n"
            "# BEGIN labbuilder\n10.1.1.10 controller.lab.example controller\n# END labbuilder\n",
        ),
        (
            "127.0.0.1 localhost\n# BEGIN labbuilder\n10.9.9.9 old.lab.example old\n"
            "# END labbuilder\n10.0.0.1 router\n",
            LAB,
            "127.0.0.1 localhost\n10.0.0.1 router\n# BEGIN labbuilder\n"
            "10.1.1.10 controller.lab.example controller\n"
            "10.1.1.20 compute1.lab.example compute1\n# END labbuilder\n",
        ),
        (
            "",
            ["fd00::10 controller.lab.example controller"],
            "# BEGIN labbuilder\nfd00::10 controller.lab.example controller\n# END labbuilder\n",
        ),
    ],
)
def test_hosts_block(tmp_path: Path, before: str, entries: list[str], after: str) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text(before)
    env = {"HOSTS_FILE": str(hosts), "SKIP_HOSTNAME": "1"}
    first, _ = run(COMMON / "hosts.sh", "controller.lab.example", *entries, env=env)
    written = hosts.read_text()
    second, output = run(COMMON / "hosts.sh", "controller.lab.example", *entries, env=env)
    assert (first, second) == (0, 0)
    assert written == after
    assert hosts.read_text() == after
    assert "already up to date" in output


def test_hosts_entries_on_stdin(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    env = {"HOSTS_FILE": str(hosts), "SKIP_HOSTNAME": "1"}
    code, _ = run(COMMON / "hosts.sh", "compute1.lab.example", env=env, stdin="\n".join(LAB) + "\n")
    assert code == 0
    assert hosts.read_text().splitlines()[1:3] == LAB


@pytest.mark.parametrize(
    ("args", "hosts", "message"),
    [
        (["controller", *LAB], "", "'controller' is not a fully qualified name"),
        (["other.lab.example", *LAB], "", "FQDN 'other.lab.example' is not among the entries"),
        (["controller.lab.example", "10.1.1.10 controller.lab.example"], "", "bad entry"),
        (["controller.lab.example", "10.1.1.x controller.lab.example c"], "", "bad address"),
        (["controller.lab.example", *LAB], "# BEGIN labbuilder\n10.0.0.1 a\n", "unbalanced"),
    ],
)
def test_hosts_refuses(tmp_path: Path, args: list[str], hosts: str, message: str) -> None:
    hosts_file = tmp_path / "hosts"
    hosts_file.write_text(hosts)
    code, output = run(
        COMMON / "hosts.sh", *args, env={"HOSTS_FILE": str(hosts_file), "SKIP_HOSTNAME": "1"}
    )
    assert code == 1
    assert message in output
    assert hosts_file.read_text() == hosts


@pytest.mark.parametrize(
    ("before", "servers", "after"),
    [
        (
            "pool 2.centos.pool.ntp.org iburst\nsourcedir /run/chrony-dhcp\nmakestep 1.0 3\n",
            ["10.1.1.1"],
            "#labbuilder# pool 2.centos.pool.ntp.org iburst\nsourcedir /run/chrony-dhcp\n"
            "makestep 1.0 3\n# BEGIN labbuilder\nserver 10.1.1.1 iburst\n# END labbuilder\n",
        ),
        (
            "#labbuilder# pool 2.debian.pool.ntp.org iburst\n# BEGIN labbuilder\n"
            "server 10.1.1.1 iburst\n# END labbuilder\nrtcsync\n",
            ["kr.pool.ntp.org", "time.example.org"],
            "#labbuilder# pool 2.debian.pool.ntp.org iburst\nrtcsync\n# BEGIN labbuilder\n"
            "server kr.pool.ntp.org iburst\nserver time.example.org iburst\n# END labbuilder\n",
        ),
    ],
)
def test_timesync(tmp_path: Path, before: str, servers: list[str], after: str) -> None:
    conf = tmp_path / "chrony.conf"
    conf.write_text(before)
    first, _ = run(COMMON / "timesync.sh", *servers, env={"CHRONY_CONF": str(conf)})
    written = conf.read_text()
    second, output = run(COMMON / "timesync.sh", *servers, env={"CHRONY_CONF": str(conf)})
    assert (first, second) == (0, 0)
    assert written == after
    assert conf.read_text() == after
    assert "already up to date" in output


def test_timesync_refuses_a_bad_server(tmp_path: Path) -> None:
    conf = tmp_path / "chrony.conf"
    conf.write_text("pool x iburst\n")
    code, output = run(COMMON / "timesync.sh", "a;b", env={"CHRONY_CONF": str(conf)})
    assert (code, conf.read_text()) == (1, "pool x iburst\n")
    assert "bad NTP server name 'a;b'" in output


def test_rootkey_is_stable(tmp_path: Path) -> None:
    env = {"SSH_DIR": str(tmp_path / "ssh")}
    first, key = run(COMMON / "rootkey.sh", env=env)
    done = subprocess.run(
        [str(COMMON / "rootkey.sh")],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    assert first == 0
    assert done.stdout.startswith("ssh-rsa ")
    assert done.stdout == (tmp_path / "ssh" / "id_rsa.pub").read_text()
    assert "created" in key
    assert (tmp_path / "ssh" / "id_rsa").stat().st_mode & 0o777 == 0o600


KEY_BODY = "AAAAC3NzaC1lZDI1NTE5AAAAIGJx3Xz9LSk5hWmQ2pVv0G0w1nX5w5Zb4mWm7d0k8b0c"
KEY = f"ssh-ed25519 {KEY_BODY} root@controller"
MATCH_BLOCK = "Match User backup\n    PasswordAuthentication no\n"


@pytest.mark.parametrize(
    ("keys", "sshd", "keys_after", "sshd_after", "dropin"),
    [
        (
            None,
            "Include /etc/ssh/sshd_config.d/*.conf\n#PermitRootLogin prohibit-password\n",
            f"{KEY}\n",
            "Include /etc/ssh/sshd_config.d/*.conf\n#PermitRootLogin prohibit-password\n",
            "PermitRootLogin prohibit-password\n",
        ),
        (
            f'no-port-forwarding,command="echo Please login as centos" {KEY_BODY[:10]}x\n'
            f'no-port-forwarding,command="echo Please login as centos" ssh-ed25519 {KEY_BODY}\n',
            "PermitRootLogin no\n" + MATCH_BLOCK,
            f'no-port-forwarding,command="echo Please login as centos" {KEY_BODY[:10]}x\n{KEY}\n',
            "PermitRootLogin prohibit-password\n" + MATCH_BLOCK,
            None,
        ),
        (
            f"{KEY_BODY[:5]} other\nssh-ed25519 {KEY_BODY} old comment\n",
            "Port 22\n" + MATCH_BLOCK,
            f"{KEY_BODY[:5]} other\nssh-ed25519 {KEY_BODY} old comment\n",
            "PermitRootLogin prohibit-password\nPort 22\n" + MATCH_BLOCK,
            None,
        ),
    ],
)
def test_authorize(
    tmp_path: Path,
    keys: str | None,
    sshd: str,
    keys_after: str,
    sshd_after: str,
    dropin: str | None,
) -> None:
    ssh_dir = tmp_path / "root-ssh"
    if keys is not None:
        ssh_dir.mkdir()
        (ssh_dir / "authorized_keys").write_text(keys)
    sshd_config = tmp_path / "sshd_config"
    sshd_config.write_text(sshd)
    env = {"SSH_DIR": str(ssh_dir), "SSHD_CONFIG": str(sshd_config), "SSHD_RELOAD": "0"}
    codes = [run(COMMON / "authorize.sh", KEY, env=env)[0] for _ in range(2)]
    dropin_file = tmp_path / "sshd_config.d" / "01-labbuilder-root.conf"
    assert codes == [0, 0]
    assert (ssh_dir / "authorized_keys").read_text() == keys_after
    assert (ssh_dir / "authorized_keys").stat().st_mode & 0o077 == 0
    assert sshd_config.read_text() == sshd_after
    assert (dropin_file.read_text() if dropin_file.exists() else None) == dropin


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("ssh-foo AAAA", "'ssh-foo' is not an SSH public key type"),
        ("ssh-rsa not*base64", "the key body is not base64"),
    ],
)
def test_authorize_refuses(tmp_path: Path, key: str, message: str) -> None:
    env = {"SSH_DIR": str(tmp_path / "ssh"), "SSHD_RELOAD": "0"}
    code, output = run(COMMON / "authorize.sh", key, env=env)
    assert (code, message in output) == (1, True)
    assert not (tmp_path / "ssh").exists()


def port_22_open() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 22), timeout=2).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(port_22_open(), reason="an sshd listens on 127.0.0.1:22 here")
def test_known_hosts_names_an_unreachable_host(tmp_path: Path) -> None:
    env = {"SSH_DIR": str(tmp_path / "ssh"), "KEYSCAN_ATTEMPTS": "1"}
    code, output = run(COMMON / "known_hosts.sh", "127.0.0.1", env=env)
    assert code == 1
    assert "no SSH host key from 127.0.0.1 after 1 scans" in output
    assert (tmp_path / "ssh" / "known_hosts").read_text() == ""


@pytest.mark.parametrize(
    ("script", "args", "message"),
    [
        (EL9 / "prepare.sh", ["bobcat"], "unknown RDO release 'bobcat'"),
        (EL9 / "prepare.sh", [], "usage: prepare.sh RELEASE"),
        (
            EL9 / "static-eth0.sh",
            ["10.1.1.10", "33", "10.1.1.1", "10.1.1.1"],
            "'33' is not a prefix",
        ),
        (
            EL9 / "static-eth0.sh",
            ["10.1.1.10", "24", "10.1.1.1", "dns"],
            "'dns' is not an IPv4 DNS",
        ),
        (EL9 / "static-eth0.sh", ["10.1.1.10", "24"], "usage: static-eth0.sh"),
        (EL9 / "packstack-install.sh", ["extra"], "usage: packstack-install.sh"),
        (EL9 / "guard-network.sh", ["10.1.1.x", "10.1.1.1"], "'10.1.1.x' is not an IPv4 address"),
        (EL9 / "dns-pin.sh", ["poc.test", "10.1.1.256"], "'10.1.1.256' is not an IPv4 name"),
        (EL9 / "dns-pin.sh", ["-bad", "10.1.1.1"], "'-bad' is not a DNS domain name"),
        (EL9 / "grow-root.sh", ["0"], "'0' is not a disk size in GiB"),
        (EL9 / "network-scripts.sh", ["extra"], "usage: network-scripts.sh"),
    ],
)
def test_el9_scripts_check_arguments(script: Path, args: list[str], message: str) -> None:
    code, output = run(script, *args)
    assert (code, message in output) == (1, True)


@pytest.mark.skipif(is_el9(), reason="this host is CentOS Stream 9: the scripts would really run")
@pytest.mark.parametrize(
    ("script", "args"),
    [
        (EL9 / "prepare.sh", ["epoxy"]),
        (EL9 / "packstack-install.sh", []),
        (EL9 / "static-eth0.sh", ["10.1.1.10", "24", "10.1.1.1", "10.1.1.1"]),
    ],
)
def test_el9_scripts_refuse_other_systems(script: Path, args: list[str]) -> None:
    code, output = run(script, *args, env={"UPDATE_POLICY": "none"})
    assert code == 1
    assert "is for CentOS Stream 9 (ID=centos, VERSION_ID=9); this host is" in output


FAKE_SYSTEMCTL = """#!/bin/bash
echo "$*" >> "$FAKE_DIR/systemctl"
if [ "$1" = is-active ]; then
    for unit in $FAKE_ACTIVE; do [ "$unit" = "${@: -1}" ] && exit 0; done
    exit 3
fi
"""
FAKE_SSHD = """#!/bin/bash
[ "$1" = -T ] && echo "permitrootlogin prohibit-password"
exit 0
"""


@pytest.mark.parametrize(
    ("active", "code", "reloads", "message"),
    [
        ("ssh.service", 0, ["reload sshd.service"], "sshd reloaded"),
        ("sshd.service", 0, ["reload sshd.service"], "sshd reloaded"),
        ("ssh.socket", 0, [], "sshd starts per connection (socket activation)"),
        ("", 1, [], "neither sshd's service nor its socket is active: start sshd"),
    ],
)
def test_authorize_reloads_sshd_only_where_a_daemon_runs(
    tmp_path: Path, active: str, code: int, reloads: list[str], message: str
) -> None:
    """A changed sshd configuration: a running sshd service is reloaded; a socket-activated sshd
    (one ``sshd -i`` per connection, as on the test box) reads it at the next login; with
    neither, one line says so. ``systemctl`` and ``sshd`` are fakes on PATH (shell scripts)."""
    fake_program(tmp_path, "sshd", FAKE_SSHD, "")
    path = fake_program(tmp_path, "systemctl", FAKE_SYSTEMCTL, "/usr/bin:/bin")
    (tmp_path / "root" / "run" / "systemd" / "system").mkdir(parents=True)
    sshd_config = tmp_path / "sshd_config"
    sshd_config.write_text("PermitRootLogin no\n")
    env = {
        "PATH": path,
        "ROOT": str(tmp_path / "root"),
        "SSH_DIR": str(tmp_path / "root-ssh"),
        "SSHD_CONFIG": str(sshd_config),
        "FAKE_DIR": str(tmp_path),
        "FAKE_ACTIVE": active,
    }
    done_code, output = run(COMMON / "authorize.sh", KEY, env=env)
    calls = (tmp_path / "systemctl").read_text().splitlines()
    assert (done_code, message in output) == (code, True), output
    assert [c for c in calls if c.startswith("reload")] == reloads
    assert sshd_config.read_text() == "PermitRootLogin prohibit-password\n"
