#!/usr/bin/env bash
# On the controller: give eth0 a static NetworkManager profile with its planned address.
#
# Usage: static-eth0.sh IP PREFIX GATEWAY DNS [DNS ...]
#
# When Packstack moves eth0 into br-ex, a DHCP-managed eth0 loses its lease and the node drops
# off the network; a static profile keeps the address. The profile is "labbuilder-eth0"; other
# profiles bound to eth0 stop autoconnecting so they cannot take the device back. The profile is
# only (re)activated when it changed or is not the active one; the address stays the same, so
# an SSH session over eth0 survives the short re-activation.
#
# Environment:
#   IFACE=NAME   device to configure instead of eth0
set -euo pipefail

die() {
	echo "static-eth0.sh: $*" >&2
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

ipv4_re='^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$'

[ $# -ge 4 ] || die "usage: static-eth0.sh IP PREFIX GATEWAY DNS [DNS ...]"
address=$1
prefix=$2
gateway=$3
shift 3
[[ $address =~ $ipv4_re ]] || die "'$address' is not an IPv4 address"
if ! [[ $prefix =~ ^[0-9]+$ ]] || [ "$prefix" -lt 1 ] || [ "$prefix" -gt 32 ]; then
	die "'$prefix' is not a prefix length (1-32)"
fi
[[ $gateway =~ $ipv4_re ]] || die "'$gateway' is not an IPv4 gateway address"
for server in "$@"; do
	[[ $server =~ $ipv4_re ]] || die "'$server' is not an IPv4 DNS server address"
done
dns=$(
	IFS=,
	echo "$*"
)
iface=${IFACE:-eth0}
profile=labbuilder-$iface

require_el9
[ "$(id -u)" = 0 ] || die "run as root"
command -v nmcli >/dev/null 2>&1 || die "nmcli not found: NetworkManager must manage $iface"
nmcli -t general status >/dev/null 2>&1 ||
	die "NetworkManager is not running: start it (systemctl start NetworkManager)"
ip link show "$iface" >/dev/null 2>&1 || die "no network device $iface on this node"

settings=(connection.autoconnect yes connection.autoconnect-priority 100 ipv4.method manual
	ipv4.addresses "$address/$prefix" ipv4.gateway "$gateway" ipv4.dns "$dns"
	ipv4.ignore-auto-dns yes ipv6.method ignore)
changed=0
if ! nmcli -g connection.id connection show "$profile" >/dev/null 2>&1; then
	nmcli connection add type ethernet con-name "$profile" ifname "$iface" "${settings[@]}" >/dev/null
	changed=1
	echo "static-eth0.sh: created profile $profile"
else
	current=$(nmcli -g ipv4.method,ipv4.addresses,ipv4.gateway,ipv4.dns connection show "$profile")
	wanted=$(printf '%s\n' manual "$address/$prefix" "$gateway" "$dns")
	if [ "$current" != "$wanted" ]; then
		nmcli connection modify "$profile" connection.interface-name "$iface" "${settings[@]}"
		changed=1
		echo "static-eth0.sh: updated profile $profile"
	fi
fi

# Other profiles for this device (e.g. "System eth0" with DHCP) must not autoconnect any more.
while IFS= read -r uuid; do
	[ -n "$uuid" ] || continue
	[ "$(nmcli -g connection.id connection show "$uuid")" = "$profile" ] && continue
	[ "$(nmcli -g connection.interface-name connection show "$uuid")" = "$iface" ] || continue
	if [ "$(nmcli -g connection.autoconnect connection show "$uuid")" = yes ]; then
		nmcli connection modify "$uuid" connection.autoconnect no
		echo "static-eth0.sh: profile $uuid no longer autoconnects on $iface"
	fi
done < <(nmcli -g UUID connection show)

active=$(nmcli -g GENERAL.CONNECTION device show "$iface" 2>/dev/null || true)
if [ "$changed" = 1 ] || [ "$active" != "$profile" ]; then
	nmcli connection up "$profile" >/dev/null
	echo "static-eth0.sh: activated $profile on $iface"
fi
[[ "$(ip -4 -o addr show dev "$iface")" == *" $address/$prefix "* ]] ||
	die "$iface does not carry $address/$prefix after activation: check 'nmcli device show $iface'"
echo "static-eth0.sh: $iface is $address/$prefix via $gateway (DNS $dns)"
