"""Secrets out of bug bundles: which values are secret, and every copy of them replaced."""

from __future__ import annotations

import pytest

from labbuilder.commands.bundle import known_secrets, redact_tree
from labbuilder.labdir import LabDir
from labbuilder.model import redaction
from labbuilder.model.secrets import dump


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("CONFIG_KEYSTONE_ADMIN_PW", True),
        ("CONFIG_AMQP_AUTH_PASSWORD", True),
        ("CONFIG_NEUTRON_METADATA_PW", True),
        ("CONFIG_KEYSTONE_LDAP_USER_PASSWORD", True),
        ("CONFIG_SWIFT_HASH_SECRET", True),
        ("CONFIG_SSL_CACERT_KEY", True),
        ("CONFIG_KEYSTONE_FERNET_TOKEN_ROTATE_ENABLE", False),
        ("CONFIG_NOVA_COMPUTE_HOSTS", False),
        ("CONFIG_DEFAULT_PASSWORD", True),
        ("CONFIG_AMQP_ENABLE_SSL", False),
    ],
)
def test_secret_keys(key, secret):
    assert redaction.is_secret_key(key) is secret


def test_secrets_in_answer_files_and_hieradata():
    answers = "[general]\nCONFIG_KEYSTONE_ADMIN_PW=Lab%pass-1\nCONFIG_NOVA_KS_PW=PW_PLACEHOLDER\n"
    answers += "CONFIG_AMQP_AUTH_PASSWORD=n\nCONFIG_CONTROLLER_HOST=10.1.1.10\n"
    hiera = "CONFIG_NOVA_DB_PW: 0f3c9a1e2b7d4c55\n'CONFIG_GLANCE_KS_PW': 'a1b2c3d4e5'\nCONFIG_DEBUG_MODE: n\n"
    assert redaction.secrets_in(answers) == {"Lab%pass-1"}
    assert redaction.secrets_in(hiera) == {"0f3c9a1e2b7d4c55", "a1b2c3d4e5"}


@pytest.mark.parametrize(
    ("text", "values", "expected", "count"),
    [
        (
            b"connection=mysql://nova:s3cret@10.1.1.10/nova",
            ["s3cret"],
            b"connection=mysql://nova:[REDACTED]@10.1.1.10/nova",
            1,
        ),
        (
            b"a=longsecret b=longsecret c=secret",
            ["secret", "longsecret"],
            b"a=[REDACTED] b=[REDACTED] c=[REDACTED]",
            3,
        ),
        (b"nothing here", ["s3cret"], b"nothing here", 0),
        (b"pw=ab y", ["ab", "y"], b"pw=ab y", 0),  # too short to redact safely
    ],
)
def test_redact_replaces_every_copy_longest_first(text, values, expected, count):
    assert redaction.redact(text, values) == (expected, count)


def test_planted_secrets_survive_in_no_file(tmp_path):
    """Each secret planted in several collected files, some only Packstack itself knew."""
    labdir = LabDir(tmp_path / "lab")
    labdir.root.mkdir()
    labdir.secrets.write_text(dump("Lab-Password_42"))
    labdir.answers.write_text(
        "CONFIG_KEYSTONE_ADMIN_PW=Admin-Only-9\nCONFIG_NOVA_KS_PW=Lab-Password_42\n"
    )
    staged = tmp_path / "bundle"
    files = {
        "lab/answers.txt": labdir.answers.read_text(),
        "nodes/controller/files/etc/nova/nova.conf": "[database]\nconnection=mysql+pymysql://nova:Lab-Password_42@10.1.1.10/nova\n",
        "nodes/controller/files/var/log/keystone/keystone.log": "auth admin Admin-Only-9 ok\n",
        "nodes/controller/files/var/tmp/packstack/20261129/hieradata/defaults.yaml": "CONFIG_CINDER_DB_PW: 9c0ffee0d15ea5e\n",
        "nodes/compute1/files/etc/nova/nova.conf": "transport_url=rabbit://guest:9c0ffee0d15ea5e@10.1.1.10\n",
        "nodes/compute1/journal.txt": "Nov 29 sshd: Lab-Password_42 Admin-Only-9 9c0ffee0d15ea5e\n",
    }
    for name, text in files.items():
        (staged / name).parent.mkdir(parents=True, exist_ok=True)
        (staged / name).write_text(text)
    values = known_secrets(labdir, staged)
    assert values == {"Lab-Password_42", "Admin-Only-9", "9c0ffee0d15ea5e"}
    assert redact_tree(staged, values) == 9
    for path in staged.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert not any(v in text for v in values), path
    assert (
        "nova:[REDACTED]@10.1.1.10"
        in (staged / "nodes/controller/files/etc/nova/nova.conf").read_text()
    )
