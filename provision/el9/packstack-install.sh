#!/usr/bin/env bash
# On the controller: install Packstack from the RDO repositories that prepare.sh enabled.
#
# Usage: packstack-install.sh
#
# Prints the installed package (NAME-VERSION-RELEASE) as its last line.
set -euo pipefail

# shellcheck source=provision/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/../lib.bash"

[ $# -eq 0 ] || die "usage: packstack-install.sh (no arguments)"
require_el9
require_root
[ -n "$(rpm -qa --qf '%{NAME}\n' 'centos-release-openstack-*')" ] ||
	die "no centos-release-openstack-* package: run prepare.sh RELEASE first"

rpm -q openstack-packstack >/dev/null 2>&1 || dnf -y install openstack-packstack
rpm -q openstack-packstack
