#!/usr/bin/env bash
# Prepare a CentOS Stream 9 node for Packstack (the RDO "Packstack" install steps).
#
# Usage: prepare.sh RELEASE          RELEASE: antelope | caracal | dalmatian | epoxy
#
# In order: SELinux to permissive (now and in /etc/selinux/config: RDO documents a known
# SELinux/RabbitMQ problem on CentOS Stream 9), the CRB repository on, the RDO release package
# centos-release-openstack-RELEASE, the mariadb dnf module disabled when the system has one (as
# Packstack's own CentOS Stream 9 jobs do), a package update, and the root partition grown to
# the disk when growpart is installed. Every step is a no-op when already done.
#
# Environment:
#   UPDATE_POLICY=all|security|none   what "dnf update" installs (default all). CentOS Stream
#                                     publishes no security advisories, so "security" usually
#                                     installs nothing there.
set -euo pipefail

# shellcheck source=provision/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/../lib.bash"

grow_root() {
	local source fstype dev part disk out rc
	if ! command -v growpart >/dev/null 2>&1; then
		log "growpart not installed; root filesystem left as it is"
		return 0
	fi
	source=$(findmnt -n -o SOURCE /)
	fstype=$(findmnt -n -o FSTYPE /)
	dev=$(basename "$(readlink -f "$source")")
	if [ ! -r "/sys/class/block/$dev/partition" ]; then
		log "root ($source) is not a plain partition; not growing it"
		return 0
	fi
	part=$(cat "/sys/class/block/$dev/partition")
	disk=/dev/$(basename "$(readlink -f "/sys/class/block/$dev/..")")
	rc=0
	out=$(growpart "$disk" "$part" 2>&1) || rc=$?
	case $out in
	*NOCHANGE*) log "root partition already fills $disk" ;;
	*) [ "$rc" = 0 ] || die "growpart $disk $part failed: $out" ;;
	esac
	case $fstype in
	xfs) xfs_growfs / >/dev/null ;;
	ext4 | ext3) resize2fs "$source" >/dev/null 2>&1 ;;
	*) log "root filesystem is $fstype; grow it yourself" ;;
	esac
}

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
if [ -f /etc/selinux/config ] && grep -q '^SELINUX=enforcing' /etc/selinux/config; then
	sed -i 's/^SELINUX=enforcing.*/SELINUX=permissive/' /etc/selinux/config
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

grow_root

latest_kernel=$(rpm -q --last kernel | awk 'NR == 1 { print $1 }')
if [ "$latest_kernel" != "kernel-$(uname -r)" ]; then
	log "$latest_kernel is installed but $(uname -r) is running: reboot to use it"
fi
log "node ready for Packstack ($wanted)"
