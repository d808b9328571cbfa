# shellcheck shell=bash
# Shared by the provision/el9 scripts (sourced, not run): error exit and the CentOS Stream 9 guard.

die() {
	echo "$(basename "$0"): $*" >&2
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
