"""A student's OpenStack account as ``class.up`` makes it on a deployed lab, against a real
Keystone 30 (the keystone module's fixture): their own project, a member user, twice without
change, and the clouds.yaml of their handout logs them in without admin rights."""

from __future__ import annotations

import contextlib
from dataclasses import astuple
from pathlib import Path

import pytest
from keystoneauth1.exceptions import Unauthorized
from openstack.exceptions import ForbiddenException

from labbuilder.adapters import openstack
from labbuilder.render import cloudconfig

from .test_suites_keystone import PASSWORD, Keystone, keystone, keystone_venv, site  # noqa: F401

pytestmark = [
    pytest.mark.keystone,
    pytest.mark.filterwarnings("ignore::openstack.warnings.RemovedInSDK50Warning"),
]


def test_student_account_is_a_member_of_their_own_project(keystone: Keystone, tmp_path: Path):  # noqa: F811
    admin = cloudconfig.Account("admin", "admin", PASSWORD)
    demo = cloudconfig.Account("demo", "demo", "demo-s3cret")
    student = cloudconfig.Account("cl-alice", "cl-alice", "alice-s3cret")
    admin_yaml = tmp_path / "clouds.yaml"
    admin_yaml.write_text(cloudconfig.build_clouds_yaml("ks", keystone.url, admin, demo))
    done = []
    for _ in range(2):
        conn = openstack.connect(admin_yaml, "ks")
        done.append(openstack.ensure_member(conn, *astuple(student), "Project of Alice"))
        conn.close()
    assert done == [
        [
            "created project cl-alice",
            "created user cl-alice",
            "gave user cl-alice the member role in project cl-alice",
        ],
        [],
    ]
    handout_yaml = tmp_path / "student.yaml"
    handout_yaml.write_text(cloudconfig.build_member_clouds_yaml("cl-alice", keystone.url, student))
    as_student = openstack.connect(handout_yaml, "cl-alice")
    assert as_student.current_project.name == "cl-alice"
    with pytest.raises(ForbiddenException):
        list(as_student.identity.users())  # a member, not an admin
    as_student.close()


def test_a_new_password_is_set_and_reported_and_the_old_one_stops_working(
    keystone: Keystone,  # noqa: F811
    tmp_path: Path,
):
    admin_yaml = tmp_path / "clouds.yaml"
    admin = cloudconfig.Account("admin", "admin", PASSWORD)
    admin_yaml.write_text(cloudconfig.build_clouds_yaml("ks", keystone.url, admin, admin))
    done = []
    for password in ("first-s3cret", "second-s3cret", "second-s3cret"):
        conn = openstack.connect(admin_yaml, "ks")
        done.append(openstack.ensure_member(conn, "cl-bob", "cl-bob", password, "Bob"))
        conn.close()
    assert done[1:] == [["set the password of user cl-bob"], []]

    def login(password: str) -> str:
        student = cloudconfig.Account("cl-bob", "cl-bob", password)
        handout_yaml = tmp_path / "bob.yaml"
        handout_yaml.write_text(
            cloudconfig.build_member_clouds_yaml("cl-bob", keystone.url, student)
        )
        with contextlib.closing(openstack.connect(handout_yaml, "cl-bob")) as as_student:
            return str(as_student.current_project.name)

    assert login("second-s3cret") == "cl-bob"
    with pytest.raises(Unauthorized):
        login("first-s3cret")
