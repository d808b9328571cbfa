"""Known boxes and the node sizes that go with them.

The default box is the CentOS project's own CentOS Stream 9 vagrant-libvirt image at a pinned,
dated build (reproducible labs); its CHECKSUM file sits beside it on the mirror. The test box is
built locally by ``invoke test-box`` (Debian, no download) and cannot run Packstack for real.
"""

from __future__ import annotations

from labbuilder.model.lab import Box, Sizes

CENTOS_IMAGES = "https://cloud.centos.org/centos/9-stream/x86_64/images"
CENTOS_BUILD = "20250326.0"
CENTOS_FILE = "CentOS-Stream-Vagrant-9-{build}.x86_64.vagrant-libvirt.box"

#: Where CentOS keeps every build after the mirror prunes it: the build system's archive.
CENTOS_ARCHIVE = "https://kojihub.stream.centos.org/kojifiles/packages/CentOS-Stream-Vagrant/9"
#: sha256 of the ``.vagrant-libvirt.box`` of each build labbuilder pins, so a build is checked
#: against the project and not only against a CHECKSUM file the mirror may change or drop.
#: Add a build's digest when pinning it (labbuilder prints it after a download verified
#: against the mirror's CHECKSUM).
CENTOS_SHA256: dict[str, str] = {}

TEST_BOX_NAME = "labbuilder/testbox"


def centos_stream9(build: str = CENTOS_BUILD) -> Box:
    filename = CENTOS_FILE.format(build=build)
    dated = build != "latest"
    return Box(
        name=f"labbuilder/centos-stream-9-{build}",
        os_family="el9",
        url=f"{CENTOS_IMAGES}/{filename}",
        checksum_url=f"{CENTOS_IMAGES}/CHECKSUM",
        version=build,
        latest_url=f"{CENTOS_IMAGES}/{CENTOS_FILE.format(build='latest')}",
        sha256=CENTOS_SHA256.get(build),
        archive_url=f"{CENTOS_ARCHIVE}/{build}/images/{filename}" if dated else None,
    )


TEST_BOX = Box(name=TEST_BOX_NAME, os_family="debian")

ALIASES = {"centos-stream-9": centos_stream9(), "testbox": TEST_BOX}
DEFAULT_BOX = "centos-stream-9"

# Sizes per node kind for a Packstack lab that comes up: RDO asks 16 GB for an all-in-one;
# a controller with every service of the notes (MariaDB, RabbitMQ, Swift, Ceilometer/Gnocchi,
# Heat, Horizon) stays below 12 GB; a compute needs room for a few cirros instances.
EL9_SIZES = {
    "aio": Sizes(vcpus=4, memory_mib=16384, disk_gib=80),
    "controller": Sizes(vcpus=4, memory_mib=12288, disk_gib=60),
    "network": Sizes(vcpus=2, memory_mib=2048, disk_gib=20),
    "compute": Sizes(vcpus=2, memory_mib=4096, disk_gib=40),
}
EL9_MIN_MEMORY = {
    "aio": 8192,
    "controller": 8192,
    "network": 1536,
    "compute": 2048,
}

# The Debian test box boots under emulation in 512 MiB; its disk is the box's own 4 GiB.
TEST_SIZES = {kind: Sizes(vcpus=1, memory_mib=512, disk_gib=4) for kind in EL9_SIZES}
TEST_MIN_MEMORY = dict.fromkeys(EL9_SIZES, 384)


def resolve(name: str) -> Box:
    """A catalog alias, a known box name, or any other Vagrant box (assumed CentOS Stream 9)."""
    if name in ALIASES:
        return ALIASES[name]
    for box in ALIASES.values():
        if box.name == name:
            return box
    if name.startswith("labbuilder/centos-stream-9-"):
        return centos_stream9(name.removeprefix("labbuilder/centos-stream-9-"))
    return Box(name=name, os_family="el9")


def default_sizes(box: Box) -> dict[str, Sizes]:
    return dict(TEST_SIZES if box.os_family == "debian" else EL9_SIZES)


def min_memory(box: Box) -> dict[str, int]:
    return dict(TEST_MIN_MEMORY if box.os_family == "debian" else EL9_MIN_MEMORY)
