#!/usr/bin/env bash
# Prepare a CentOS Stream 9 node for Packstack (the RDO "Packstack" install steps).
#
# Usage: prepare.sh RELEASE          RELEASE: antelope | caracal | dalmatian | epoxy
#
# In order: SELinux to permissive (now and in /etc/selinux/config: RDO documents a known
# SELinux/RabbitMQ problem on CentOS Stream 9), the CRB repository on, the RDO release package
# centos-release-openstack-RELEASE, the mariadb dnf module disabled when the system has one (as
# Packstack's own CentOS Stream 9 jobs do) and a package update. Every step is a no-op when
# already done. The root disk is grown by grow-root.sh.
#
# Environment:
#   UPDATE_POLICY=all|security|none   what "dnf update" installs (default all). CentOS Stream
#                                     publishes no security advisories, so "security" usually
#                                     installs nothing there.
set -euo pipefail

# shellcheck source=provision/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/../lib.bash"

[ $# -eq 1 ] || die "usage: prepare.sh RELEASE (antelope, caracal, dalmatian or epoxy)"
release=$1
case $release in
antelope | caracal | dalmatian | epoxy) ;;
*) die "unknown RDO release '$release': use antelope, caracal, dalmatian or epoxy" ;;
esac
policy=${UPDATE_POLICY:-all}
case $policy in
all | security | none) ;;
*) die "UPDATE_POLICY must be all, security or none, not '$policy'" ;;
esac
require_el9
require_root

# SELinux: permissive now and after reboot (a disabled SELinux stays disabled).
if command -v getenforce >/dev/null 2>&1 && [ "$(getenforce)" = Enforcing ]; then
	setenforce 0
	log "SELinux set to permissive"
fi
selinux_config=$(at /etc/selinux/config)
if [ -f "$selinux_config" ] && grep -q '^SELINUX=enforcing' "$selinux_config"; then
	sed -i 's/^SELINUX=enforcing.*/SELINUX=permissive/' "$selinux_config"
fi

# Repositories: CRB, then the RDO release package (which enables the OpenStack repositories).
rpm -q dnf-plugins-core >/dev/null 2>&1 || dnf -y install dnf-plugins-core
dnf config-manager --set-enabled crb
wanted=centos-release-openstack-$release
installed=$(rpm -qa --qf '%{NAME}\n' 'centos-release-openstack-*')
for name in $installed; do
	[ "$name" = "$wanted" ] ||
		die "$name is installed but this lab wants $wanted: remove it (dnf remove $name) or use that release"
done
rpm -q "$wanted" >/dev/null 2>&1 || dnf -y install "$wanted"

# The distribution's mariadb module would hide RDO's MariaDB packages.
if dnf -q module list mariadb >/dev/null 2>&1; then
	dnf -y module disable mariadb
fi

case $policy in
all) dnf -y update ;;
security) dnf -y update --security ;;
none) log "UPDATE_POLICY=none, packages not updated" ;;
esac

latest_kernel=$(rpm -q --last kernel | awk 'NR == 1 { print $1 }')
if [ "$latest_kernel" != "kernel-$(uname -r)" ]; then
	log "$latest_kernel is installed but $(uname -r) is running: reboot to use it"
fi
log "node ready for Packstack ($wanted)"
