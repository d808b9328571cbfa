"""clouds.yaml and openrc as openstacksdk's own config loader and bash read them."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest
from openstack.config.loader import OpenStackConfig

from labbuilder.adapters.packstack import answerfile
from labbuilder.labdir import LabDir
from labbuilder.model import secrets
from labbuilder.model.planner import plan
from labbuilder.model.settings import resolve
from labbuilder.render import cloudconfig
from labbuilder.render.cloudconfig import Account

URL = "http://10.1.1.10:5000/v3"
ADMIN = Account("admin", "admin", "Adm1n-pw_x")
DEMO = Account("demo", "demo", "lab$pw 'quoted'")


@pytest.fixture(autouse=True)
def no_os_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OS_CLOUD", "OS_CLIENT_CONFIG_FILE", "OS_AUTH_URL", "OS_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("cloud", "user", "project", "password"),
    [("poc", "admin", "admin", ADMIN.password), ("poc-demo", "demo", "demo", DEMO.password)],
)
def test_clouds_yaml_loads_in_openstacksdk(
    tmp_path: Path, cloud: str, user: str, project: str, password: str
) -> None:
    path = tmp_path / "clouds.yaml"
    path.write_text(cloudconfig.build_clouds_yaml("poc", URL, ADMIN, DEMO))
    region = OpenStackConfig(config_files=[str(path)]).get_one(cloud=cloud)
    assert region.config["auth"] == {
        "auth_url": URL,
        "username": user,
        "password": password,
        "project_name": project,
        "user_domain_name": "Default",
        "project_domain_name": "Default",
    }
    assert region.get_region_name() == "RegionOne"
    assert region.get_interface() == "public"
    assert region.get_api_version("identity") == "3"


def test_openrc_as_bash_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "openrc"
    path.write_text(cloudconfig.build_openrc("poc", URL, Account("admin", "admin", DEMO.password)))
    shown = subprocess.run(
        ["env", "-i", "OS_CLOUD=other", "bash", "-c", f". {path}; env"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    env = dict(line.split("=", 1) for line in shown.splitlines() if line.startswith("OS_"))
    assert env == {
        "OS_USERNAME": "admin",
        "OS_PASSWORD": DEMO.password,
        "OS_PROJECT_NAME": "admin",
        "OS_USER_DOMAIN_NAME": "Default",
        "OS_PROJECT_DOMAIN_NAME": "Default",
        "OS_AUTH_URL": URL,
        "OS_IDENTITY_API_VERSION": "3",
        "OS_REGION_NAME": "RegionOne",
    }


@pytest.mark.parametrize(
    ("answers", "admin_password"),
    [
        ("[general]\nCONFIG_DEFAULT_PASSWORD=lab-pw\nCONFIG_KEYSTONE_ADMIN_PW=lab-pw\n", "lab-pw"),
        ("[general]\nCONFIG_KEYSTONE_ADMIN_PW=set-by-user\n", "set-by-user"),
        ("[general]\nCONFIG_CONTROLLER_HOST=10.1.1.10\n", "lab-pw"),
    ],
)
def test_write(tmp_path: Path, answers: str, admin_password: str) -> None:
    lab = plan(resolve(("test", {"lab": "poc", "nodes": 3})), kvm=True, nested=True)
    labdir = LabDir(tmp_path)
    labdir.secrets.write_text(secrets.dump("lab-pw"))
    labdir.answers.write_text(answers)
    clouds, openrc = cloudconfig.write(lab, labdir, answerfile.parse(answers, "answers.txt"))
    assert [stat.S_IMODE(p.stat().st_mode) for p in (clouds, openrc)] == [0o600, 0o600]
    config = OpenStackConfig(config_files=[str(clouds)])
    admin = config.get_one(cloud="poc").config["auth"]
    demo = config.get_one(cloud="poc-demo").config["auth"]
    assert (admin["auth_url"], admin["password"]) == (URL, admin_password)
    assert (demo["username"], demo["password"]) == ("demo", "lab-pw")
    assert f"export OS_PASSWORD={admin_password}\n" in openrc.read_text()
