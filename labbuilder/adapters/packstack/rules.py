"""Fixed knowledge about Packstack's answer-file options that its schema does not carry:
removed keys and what happened to them, what group preconditions mean in words, computed
defaults, and which validators can run away from the machine Packstack runs on."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: Defaults Packstack computes when it loads, from randomness or the machine it runs on.
COMPUTED_DEFAULTS = {
    "CONFIG_CEILOMETER_SECRET": "uuid.uuid4().hex[:16]",
    "CONFIG_HEAT_AUTH_ENC_KEY": "uuid.uuid4().hex[:16]",
    "CONFIG_HORIZON_SECRET_KEY": "uuid.uuid4().hex",
    "CONFIG_SWIFT_HASH": "uuid.uuid4().hex[:16]",
    "CONFIG_SSH_KEY": "default_ssh_key",
    "CONFIG_SSL_CERT_SUBJECT_CN": "gethostname()",
    "CONFIG_SSL_CERT_SUBJECT_MAIL": "'admin@%s' % gethostname()",
}
#: Validators that look at the machine Packstack runs on or at the network.
SKIPPED = frozenset(
    (
        "validate_file",
        "validate_ping",
        "validate_multi_ping",
        "validate_sshkey",
        "validate_writeable_directory",
    )
)
#: labbuilder writes IP addresses where Packstack probes TCP/22, so check the format instead.
INSTEAD = {"validate_ssh": "validate_ip", "validate_multi_ssh": "validate_multi_ip"}
CHOICE_VALIDATORS = frozenset({"validate_options", "validate_multi_options"})
BOOL_WORDS = frozenset({"y", "yes", "true", "n", "no", "false"})
MASK = "********"

#: Keys Packstack once read and no longer knows: an exact key, or a prefix ending in "_".
REMOVED: tuple[tuple[str, str], ...] = (
    (
        "CONFIG_LBAAS_INSTALL",
        "removed from Packstack in 2019 (neutron-lbaas retired; Octavia has no Packstack plugin)",
    ),
    ("CONFIG_NEUTRON_LB_", "removed from Packstack in 2025 with the linuxbridge agent"),
    ("CONFIG_NEUTRON_FWAAS", "removed from Packstack in Victoria (2020) with neutron-fwaas"),
    ("CONFIG_NAGIOS_INSTALL", "removed from Packstack in Pike (2017) with Nagios"),
    ("CONFIG_NAGIOS_PW", "removed from Packstack in Pike (2017) with Nagios"),
    ("CONFIG_PANKO_", "removed from Packstack in Xena (2021) when Panko was retired"),
    ("CONFIG_SAHARA_", "removed from Packstack when Sahara was retired upstream"),
    ("CONFIG_NOVA_NETWORK_", "removed from Packstack in Ocata (2017) with nova-network"),
    ("CONFIG_NOVA_COMPUTE_PRIVIF", "removed from Packstack in Ocata (2017) with nova-network"),
    ("CONFIG_MONGODB_HOST", "removed from Packstack with MongoDB support in telemetry"),
    ("CONFIG_CEILOMETER_METERING_BACKEND", "removed from Packstack with MongoDB support"),
    ("CONFIG_CEILOMETER_EVENTS_BACKEND", "removed from Packstack with MongoDB support"),
    ("CONFIG_HEAT_CLOUDWATCH_INSTALL", "removed from Packstack with Heat's CloudWatch API"),
    ("CONFIG_GNOCCHI_INSTALL", "removed from Packstack; CONFIG_CEILOMETER_INSTALL=y has Gnocchi"),
)

#: What a group's precondition function requires, keyed by "plugin_module.function".
INERT_HINTS: Mapping[str, str] = MappingProxyType(
    {
        "neutron_350.neutron_install": "CONFIG_NEUTRON_INSTALL=y",
        "neutron_350.use_ml2_with_ovs": "CONFIG_NEUTRON_L2_AGENT=openvswitch",
        "neutron_350.use_ml2_with_ovn": "CONFIG_NEUTRON_L2_AGENT=ovn",
        "neutron_350.use_openvswitch_vxlan": (
            "CONFIG_NEUTRON_L2_AGENT=openvswitch and vxlan in "
            "CONFIG_NEUTRON_ML2_TENANT_NETWORK_TYPES"
        ),
        "cinder_250.check_lvm_options": "CONFIG_CINDER_INSTALL=y and CONFIG_CINDER_BACKEND=lvm",
        "cinder_250.check_lvm_vg_options": "CONFIG_CINDER_INSTALL=y and CONFIG_CINDER_BACKEND=lvm",
        "cinder_250.check_nfs_options": "CONFIG_CINDER_INSTALL=y and CONFIG_CINDER_BACKEND=nfs",
        "gnocchi_790.use_gnocchi": "CONFIG_CEILOMETER_INSTALL=y",
        "aodh_810.use_aodh": "CONFIG_CEILOMETER_INSTALL=y and CONFIG_AODH_INSTALL=y",
        "provision_700.check_provisioning_demo": "CONFIG_PROVISION_DEMO=y",
        "provision_700.check_provisioning_tempest": "CONFIG_PROVISION_TEMPEST=y",
        "provision_700.allow_all_in_one_ovs_bridge": "CONFIG_NEUTRON_INSTALL=y",
        "prescript_000.use_vcenter": "CONFIG_NOVA_INSTALL=y and CONFIG_VMWARE_BACKEND=y",
        "prescript_000.unsupported_enabled": "CONFIG_UNSUPPORTED=y",
    }
)

#: How to fix a value a Packstack validator rejected.
FIXES = {
    "validate_ip": "use an IPv4 or IPv6 address",
    "validate_multi_ip": "use comma-separated IPv4 or IPv6 addresses",
    "validate_port": "use a port number from 0 to 65534",
    "validate_integer": "use a whole number",
    "validate_float": "use a number such as 1.5",
    "validate_not_empty": "set a value, or remove the key to get the default",
    "validate_regexp": "use a value of the documented form",
    "validate_export": "use HOST:/path, with an IPv6 host in [brackets]",
    "validate_multi_export": "use comma-separated HOST:/path, IPv6 hosts in [brackets]",
    "validate_neutron": "set it to y",
    "validate_storage": "use a device path such as /dev/vdb",
    "validate_storage_size": "use a size such as 2G or 1000M",
}
