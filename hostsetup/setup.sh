#!/bin/bash
# Prepare this host for labbuilder, idempotently: host packages (qemu, libvirt, vagrant,
# vagrant-libvirt, debootstrap, Open vSwitch...), the libvirt daemons, and the project's
# virtualenv (.venv) with every Python dependency. Run as root (or through sudo).
#
# Usage: hostsetup/setup.sh            (Debian 12; other hosts: see README)
# Environment: LABBUILDER_SKIP_APT=1 skips the package step (packages already present).
set -euo pipefail

cd "$(dirname "$0")/.."

PACKAGES=(
    qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-clients libvirt-dev pkg-config
    vagrant vagrant-libvirt debootstrap e2fsprogs dnsmasq-base iptables ebtables
    openssh-client iputils-ping ethtool python3-venv python3-dev gcc openvswitch-switch shellcheck
    shfmt curl puppet chromium
)

if [[ $(id -u) -ne 0 ]]; then
    echo "setup.sh: run as root (sudo hostsetup/setup.sh): it installs packages and starts libvirtd" >&2
    exit 1
fi

if [[ ${LABBUILDER_SKIP_APT:-0} != 1 ]]; then
    if ! command -v apt-get >/dev/null; then
        echo "setup.sh: no apt-get here; install the equivalents of: ${PACKAGES[*]}, then rerun with LABBUILDER_SKIP_APT=1" >&2
        exit 1
    fi
    missing=()
    for pkg in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    if ((${#missing[@]})); then
        echo "setup.sh: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
fi

bash hostsetup/libvirtd.sh start

python=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
    "$python" -m venv .venv
fi
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[dev]'
echo "setup.sh: ready (.venv/bin/invoke --list)"
