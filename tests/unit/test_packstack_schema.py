"""The answer-file check against the real schema of the installed Packstack 26.0.0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from labbuilder.adapters.packstack.answerfile import KEY_PATTERN, parse
from labbuilder.adapters.packstack.rules import INERT_HINTS, REMOVED
from labbuilder.adapters.packstack.schema import Problem, Schema, load_schema, removal_note
from tests.conftest import FIXTURES

ANSWERS = FIXTURES / "answers"
OVS_SWITCH = {
    "CONFIG_NEUTRON_L2_AGENT": "openvswitch",
    "CONFIG_NEUTRON_ML2_MECHANISM_DRIVERS": "openvswitch",
}
SEED_OVS_KEYS = [
    "CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS",
    "CONFIG_NEUTRON_OVS_BRIDGE_IFACES",
    "CONFIG_NEUTRON_OVS_TUNNEL_IF",
    "CONFIG_NEUTRON_OVS_TUNNEL_SUBNETS",
]


@pytest.fixture(scope="module")
def schema() -> Schema:
    return load_schema()


def fixture_answers(name: str) -> dict[str, str]:
    path = ANSWERS / name
    return parse(path.read_text(encoding="utf-8"), str(path))


def summary(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.key, p.severity) for p in problems]


def test_schema_is_packstack_26(schema: Schema) -> None:
    assert schema.version == "26.0.0"
    assert len(schema.options) == 292
    assert [key for key in schema.options if not KEY_PATTERN.fullmatch(key)] == []


@pytest.mark.parametrize(
    ("key", "field", "expected"),
    [
        ("CONFIG_HEAT_INSTALL", "choices", ("y", "n")),
        ("CONFIG_HEAT_INSTALL", "cmd_option", "os-heat-install"),
        ("CONFIG_HEAT_INSTALL", "group", "GLOBAL"),
        ("CONFIG_NEUTRON_L2_AGENT", "default", "ovn"),
        ("CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS", "group", "NEUTRON_OVS_AGENT"),
        ("CONFIG_KEYSTONE_ADMIN_PW", "secret", True),
        ("CONFIG_HEAT_INSTALL", "secret", False),
        ("CONFIG_CONTROLLER_HOST", "validators", ("validate_ssh",)),
        ("CONFIG_CONTROLLER_HOST", "default", "<expr> utils.get_localhost_ip()"),
        ("CONFIG_CONTROLLER_HOST", "default_known", False),
        ("CONFIG_NOVA_LIBVIRT_VIRT_TYPE", "default_known", False),
        ("CONFIG_HORIZON_SECRET_KEY", "default_known", False),
        ("CONFIG_REDIS_PORT", "default", "6379"),
        ("CONFIG_REDIS_PORT", "default_known", True),
        (
            "CONFIG_NETWORK_HOSTS",
            "deprecates",
            (
                "CONFIG_NEUTRON_L3_HOSTS",
                "CONFIG_NEUTRON_DHCP_HOSTS",
                "CONFIG_NEUTRON_METADATA_HOSTS",
                "CONFIG_NOVA_NETWORK_HOSTS",
            ),
        ),
    ],
)
def test_option_fields(schema: Schema, key: str, field: str, expected: object) -> None:
    assert getattr(schema.options[key], field) == expected


def test_validators_in_schema_are_all_accounted_for(schema: Schema) -> None:
    """A new Packstack validator must be placed: run, substituted or skipped on purpose."""
    names = {name for option in schema.options.values() for name in option.validators}
    assert names == {
        "validate_not_empty", "validate_options", "validate_multi_options", "validate_integer",
        "validate_float", "validate_port", "validate_ip", "validate_regexp",
        "validate_multi_export", "validate_neutron", "validate_storage", "validate_storage_size",
        "validate_ldap_url", "validate_ldap_dn",
        "validate_ssh", "validate_multi_ssh",
        "validate_file", "validate_sshkey", "validate_multi_ping", "validate_writeable_directory",
    }  # fmt: skip


@pytest.mark.parametrize(("name", "note"), REMOVED)
def test_removed_keys_are_gone_from_the_schema(schema: Schema, name: str, note: str) -> None:
    assert [key for key in schema.options if removal_note(key)] == []
    assert note.startswith("removed from Packstack")
    if not name.endswith("_"):
        [problem] = schema.check({name: "y"})
        assert problem.message.startswith(f"{name}: {note}; Packstack would silently ignore it")


def test_inert_hints_name_real_preconditions(schema: Schema) -> None:
    functions = {
        f"{group.precondition.__module__}.{group.precondition.__name__}"
        for group in schema._groups.values()
        if callable(group.precondition)
    }
    assert set(INERT_HINTS) <= functions


def test_seed_file(schema: Schema) -> None:
    problems = schema.check(fixture_answers("seed-answers.txt"))
    assert summary(problems) == [
        ("CONFIG_LBAAS_INSTALL", "error"),
        *[(key, "warning") for key in SEED_OVS_KEYS],
    ]
    assert problems[0].message == (
        "CONFIG_LBAAS_INSTALL: removed from Packstack in 2019 (neutron-lbaas retired; Octavia "
        "has no Packstack plugin); Packstack would silently ignore it - remove the key"
    )
    assert problems[1].message.startswith(
        "CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS: only acts when CONFIG_NEUTRON_L2_AGENT=openvswitch "
        "(now CONFIG_NEUTRON_L2_AGENT=ovn); Packstack ignores it"
    )


def test_seed_file_with_openvswitch_has_no_inert_keys(schema: Schema) -> None:
    answers = fixture_answers("seed-answers.txt") | OVS_SWITCH
    assert summary(schema.check(answers)) == [("CONFIG_LBAAS_INSTALL", "error")]


def test_full_valid_lab_file(schema: Schema) -> None:
    assert schema.check(fixture_answers("lab-ovs-valid.txt")) == []


def test_packstack_defaults_pass(schema: Schema) -> None:
    """Every key at Packstack's own default (computed ones filled in) raises no error."""
    filled = {
        "utils.get_localhost_ip()": "10.1.1.10",
        "ldap://utils.get_localhost_ip()": "ldap://10.1.1.10",
    }
    answers = {}
    for key, option in schema.options.items():
        expr = option.default.removeprefix("<expr> ")
        answers[key] = filled.get(expr, "x") if not option.default_known else option.default
    problems = schema.check(answers)
    assert [p for p in problems if p.severity == "error"] == []
    assert {p.message.split(": ", 1)[1][:15] for p in problems} == {"only acts when "}


@pytest.mark.parametrize(
    ("answers", "key", "severity", "text"),
    [
        ({"CONFIG_HEAT_INSTALL": "maybe"}, "CONFIG_HEAT_INSTALL", "error",
         "CONFIG_HEAT_INSTALL: 'maybe' is not one of y, n - use one of them"),
        ({"CONFIG_HEAT_INSTALL": ""}, "CONFIG_HEAT_INSTALL", "error",
         "use one of y, n, or remove the key to get the default n"),
        ({"CONFIG_NEUTRON_ML2_TYPE_DRIVERS": "vxlan,bogus"}, "CONFIG_NEUTRON_ML2_TYPE_DRIVERS",
         "error", "'bogus' not among local, flat, vlan, gre, vxlan, geneve"),
        ({"CONFIG_CONTROLLER_HOST": "10.1.1.300"}, "CONFIG_CONTROLLER_HOST", "error",
         "CONFIG_CONTROLLER_HOST: Given host is not in IP address format: 10.1.1.300 - use an"),
        ({"CONFIG_CONTROLLER_HOST": "controller.lab"}, "CONFIG_CONTROLLER_HOST", "error",
         "not in IP address format"),
        ({"CONFIG_COMPUTE_HOSTS": "10.1.1.20,10.1.1.x"}, "CONFIG_COMPUTE_HOSTS", "error",
         "not in IP address format: 10.1.1.x - use comma-separated IPv4 or IPv6 addresses"),
        ({"CONFIG_REDIS_PORT": "65535"}, "CONFIG_REDIS_PORT", "error",
         "outside the range of (0, 65535): 65535 - use a port number from 0 to 65534"),
        ({"CONFIG_REDIS_PORT": "http"}, "CONFIG_REDIS_PORT", "error",
         "not an integer: http"),
        ({"CONFIG_SWIFT_STORAGE_ZONES": "two"}, "CONFIG_SWIFT_STORAGE_ZONES", "error",
         "Given value is not an integer: two - use a whole number"),
        ({"CONFIG_NOVA_SCHED_CPU_ALLOC_RATIO": "lots"}, "CONFIG_NOVA_SCHED_CPU_ALLOC_RATIO",
         "error", "not a float: lots - use a number"),
        ({"CONFIG_SWIFT_STORAGE_SIZE": "big"}, "CONFIG_SWIFT_STORAGE_SIZE", "error",
         "use a size such as 2G"),
        ({"CONFIG_NEUTRON_INSTALL": "n"}, "CONFIG_NEUTRON_INSTALL", "error",
         "Nova network support has been removed in Ocata"),
        ({"CONFIG_NOVA_DB_PURGE_ENABLE": "maybe"}, "CONFIG_NOVA_DB_PURGE_ENABLE", "error",
         "'maybe' is not a yes/no value - use y or n"),
        ({"CONFIG_KEYSTONE_ADMIN_PW": ""}, "CONFIG_KEYSTONE_ADMIN_PW", "error",
         "set a value, or remove the key to get the default"),
        ({"CONFIG_NOVA_INSTAL": "y"}, "CONFIG_NOVA_INSTAL", "error",
         "did you mean CONFIG_NOVA_INSTALL?"),
        ({"CONFIG_WIDGET_FACTORY": "y"}, "CONFIG_WIDGET_FACTORY", "error",
         "not a Packstack 26.0.0 option, so Packstack would silently ignore it - remove it"),
        ({"CONFIG_NEUTRON_LB_INTERFACE_MAPPINGS": "x"}, "CONFIG_NEUTRON_LB_INTERFACE_MAPPINGS",
         "error", "removed from Packstack in 2025 with the linuxbridge agent"),
        ({"CONFIG_NOVA_NETWORK_MANAGER": "x"}, "CONFIG_NOVA_NETWORK_MANAGER", "error",
         "removed from Packstack in Ocata (2017) with nova-network"),
        ({"CONFIG_PANKO_DB_PW": "x"}, "CONFIG_PANKO_DB_PW", "error", "Panko"),
        ({"CONFIG_SAHARA_INSTALL": "y"}, "CONFIG_SAHARA_INSTALL", "error", "Sahara"),
        ({"CONFIG_NOVA_NETWORK_HOSTS": "10.1.1.10"}, "CONFIG_NOVA_NETWORK_HOSTS", "warning",
         "deprecated name of CONFIG_NETWORK_HOSTS - rename it to CONFIG_NETWORK_HOSTS"),
        ({"CONFIG_NETWORK_HOSTS": "10.1.1.10", "CONFIG_NEUTRON_L3_HOSTS": "10.1.1.11"},
         "CONFIG_NEUTRON_L3_HOSTS", "warning", "which is also set, so Packstack ignores this one"),
        ({"CONFIG_NEUTRON_L3_HOSTS": "10.1.1.10", "CONFIG_NEUTRON_DHCP_HOSTS": "10.1.1.11"},
         "CONFIG_NEUTRON_L3_HOSTS", "error", "(old names of CONFIG_NETWORK_HOSTS) disagree"),
        ({"CONFIG_AMQP_AUTH_USER": "rabbit"}, "CONFIG_AMQP_AUTH_USER", "warning",
         "only acts when CONFIG_AMQP_ENABLE_AUTH=y (now CONFIG_AMQP_ENABLE_AUTH=n)"),
        ({"CONFIG_STORAGE_HOST": "10.1.1.30"}, "CONFIG_STORAGE_HOST", "warning",
         "only acts when CONFIG_UNSUPPORTED=y"),
        ({"CONFIG_NEUTRON_OVS_VXLAN_UDP_PORT": "4789", **OVS_SWITCH},
         "CONFIG_NEUTRON_OVS_VXLAN_UDP_PORT", "warning",
         "vxlan in CONFIG_NEUTRON_ML2_TENANT_NETWORK_TYPES (now CONFIG_NEUTRON_L2_AGENT="),
        ({"CONFIG_GNOCCHI_DB_PW": "x", "CONFIG_CEILOMETER_INSTALL": "n"}, "CONFIG_GNOCCHI_DB_PW",
         "warning", "only acts when CONFIG_CEILOMETER_INSTALL=y (now CONFIG_CEILOMETER_INSTALL=n)"),
    ],
)  # fmt: skip
def test_check_finds(
    schema: Schema, answers: dict[str, str], key: str, severity: str, text: str
) -> None:
    found = [p for p in schema.check(answers) if p.key == key]
    assert [p.severity for p in found] == [severity], found
    assert text in found[0].message
    assert found[0].message.startswith(f"{key}: ")
    assert "\n" not in found[0].message


def test_deprecated_name_is_validated_as_the_new_key(schema: Schema) -> None:
    assert schema.check({"CONFIG_NAGIOS_HOST": "10.1.1.999"}) == [
        Problem(
            "CONFIG_NAGIOS_HOST",
            "CONFIG_NAGIOS_HOST: deprecated name of CONFIG_CONTROLLER_HOST - "
            "rename it to CONFIG_CONTROLLER_HOST",
            "warning",
        ),
        Problem(
            "CONFIG_NAGIOS_HOST",
            "CONFIG_NAGIOS_HOST: Given host is not in IP address format: 10.1.1.999 - "
            "use an IPv4 or IPv6 address",
        ),
    ]


@pytest.mark.parametrize(
    "answers",
    [
        {"CONFIG_CONTROLLER_HOST": "192.0.2.1", "CONFIG_COMPUTE_HOSTS": "192.0.2.1,2001:db8::5"},
        {"CONFIG_KEYSTONE_ADMIN_PW": "PW_PLACEHOLDER", "CONFIG_NOVA_KS_PW": "PW_PLACEHOLDER"},
        {"CONFIG_NTP_SERVERS": ""},
        {"CONFIG_SSH_KEY": "/no/such/key.pub"},
        {"CONFIG_NEUTRON_ML2_TYPE_DRIVERS": "vxlan, flat,"},
        {"CONFIG_NOVA_DB_PURGE_ENABLE": "TRUE"},
        {"CONFIG_AMQP_ENABLE_AUTH": "y", "CONFIG_AMQP_AUTH_USER": "rabbit"},
        {"CONFIG_KEYSTONE_IDENTITY_BACKEND": "ldap", "CONFIG_KEYSTONE_LDAP_URL": "not a url"},
    ],
)
def test_check_passes(schema: Schema, answers: dict[str, str]) -> None:
    assert schema.check(answers) == []


@pytest.mark.parametrize(
    ("answers", "text"),
    [
        ({"CONFIG_SATELLITE_FLAGS": "hunter2"}, "CONFIG_SATELLITE_FLAGS: ******** not among"),
        ({"CONFIG_SATELLITE_FLAGS": "norhnsd,hunter2"}, "CONFIG_SATELLITE_FLAGS: ******** not"),
    ],
)
def test_secret_values_are_masked(schema: Schema, answers: dict[str, str], text: str) -> None:
    messages = [p.message for p in schema.check(answers) if p.severity == "error"]
    assert len(messages) == 1
    assert messages[0].startswith(text)
    assert "hunter2" not in messages[0]


def test_loading_leaves_no_trace() -> None:
    """Importing Packstack makes a log directory and re-points ``latest``; both are undone."""
    var = Path("/var/tmp/packstack")  # Packstack's own fixed path
    before = sorted(var.iterdir()) if var.is_dir() else None
    link = str((var / "latest").readlink()) if (var / "latest").is_symlink() else None
    code = "from labbuilder.adapters.packstack.schema import load_schema; print(len(load_schema().options))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout == "292\n"
    assert (sorted(var.iterdir()) if var.is_dir() else None) == before
    assert (str((var / "latest").readlink()) if (var / "latest").is_symlink() else None) == link
