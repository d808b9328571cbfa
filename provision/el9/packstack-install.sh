#!/usr/bin/env bash
# On the controller: install Packstack from the RDO repositories that prepare.sh enabled.
#
# Usage: packstack-install.sh
#
# Prints the installed package (NAME-VERSION-RELEASE) as its last line.
set -euo pipefail

die() {
	echo "packstack-install.sh: $*" >&2
	exit 1
}

require_el9() {
	local os
	[ -r /etc/os-release ] || die "no /etc/os-release: this script is for CentOS Stream 9 only"
	os=$(
		# shellcheck disable=SC1091
		. /etc/os-release
		echo "${ID:-?} ${VERSION_ID:-?} (${PRETTY_NAME:-unknown})"
	)
	case $os in
	"centos 9 "*) ;;
	*) die "this script is for CentOS Stream 9 (ID=centos, VERSION_ID=9); this host is $os" ;;
	esac
}

[ $# -eq 0 ] || die "usage: packstack-install.sh (no arguments)"
require_el9
[ "$(id -u)" = 0 ] || die "run as root"
[ -n "$(rpm -qa --qf '%{NAME}\n' 'centos-release-openstack-*')" ] ||
	die "no centos-release-openstack-* package: run prepare.sh RELEASE first"

rpm -q openstack-packstack >/dev/null 2>&1 || dnf -y install openstack-packstack
rpm -q openstack-packstack
