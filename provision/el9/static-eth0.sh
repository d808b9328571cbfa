#!/usr/bin/env bash
# On a node with the network role: give eth0 a static profile with its planned address.
#
# Usage: static-eth0.sh IP PREFIX GATEWAY DNS [DNS ...]
#
# When Packstack moves eth0 into br-ex, a DHCP-managed eth0 loses its lease and the node drops
# off the network; a static profile keeps the address. The profile is "labbuilder-eth0"; other
# profiles bound to eth0 stop autoconnecting so they cannot take the device back. The profile is
# only (re)activated when it changed or is not the active one; the address stays the same, so
# an SSH session over eth0 survives the short re-activation. ONBOOT=yes is what brings the
# address back at boot: first on eth0, and after the move on br-ex, whose ifcfg file Packstack
# copies from this one.
#
# Environment:
#   IFACE=NAME       device to configure instead of eth0
#   IFCFG_DIR=PATH   where the ifcfg file goes (default /etc/sysconfig/network-scripts)
set -euo pipefail

# shellcheck source=provision/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/../lib.bash"

[ $# -ge 4 ] || die "usage: static-eth0.sh IP PREFIX GATEWAY DNS [DNS ...]"
address=$1
prefix=$2
gateway=$3
shift 3
is_ipv4 "$address" || die "'$address' is not an IPv4 address"
if ! [[ $prefix =~ ^[0-9]+$ ]] || [ "$prefix" -lt 1 ] || [ "$prefix" -gt 32 ]; then
	die "'$prefix' is not a prefix length (1-32)"
fi
is_ipv4 "$gateway" || die "'$gateway' is not an IPv4 gateway address"
for server in "$@"; do
	is_ipv4 "$server" || die "'$server' is not an IPv4 DNS server address"
done
dns=$(
	IFS=,
	echo "$*"
)
iface=${IFACE:-eth0}
profile=labbuilder-$iface

require_el9
require_root
command -v nmcli >/dev/null 2>&1 || die "nmcli not found: NetworkManager must manage $iface"
nmcli -t general status >/dev/null 2>&1 ||
	die "NetworkManager is not running: start it (systemctl start NetworkManager)"
ip link show "$iface" >/dev/null 2>&1 || die "no network device $iface on this node"

# The profile is written in ifcfg form (NetworkManager's ifcfg-rh plugin reads it) because that
# is what Packstack's Open vSwitch setup reads when it moves eth0 into br-ex: puppet-vswitch's
# ovs_redhat vs_port provider copies every key of ifcfg-<iface> (IPADDR, PREFIX, GATEWAY, DNS,
# ONBOOT...) into ifcfg-br-ex when the device is up. Without this file the bridge gets
# BOOTPROTO=dhcp, and no address unless eth0 had a DHCP lease (ovs_redhat.rb, create and
# dynamic_default).
ifcfg=${IFCFG_DIR:-$(at /etc/sysconfig/network-scripts)}/ifcfg-$iface
wanted=$(
	printf '%s\n' "# Written by labbuilder (provision/el9/static-eth0.sh)" \
		"NAME=$profile" "DEVICE=$iface" TYPE=Ethernet ONBOOT=yes BOOTPROTO=none \
		"IPADDR=$address" "PREFIX=$prefix" "GATEWAY=$gateway" DEFROUTE=yes PEERDNS=no \
		IPV6INIT=no NM_CONTROLLED=yes AUTOCONNECT_PRIORITY=100
	i=1
	for server in "$@"; do
		echo "DNS$i=$server"
		i=$((i + 1))
	done
)
# After the takeover ifcfg-eth0 makes eth0 a port of br-ex, which now holds the address: a
# provisioning run again must not undo that.
if grep -qsx 'TYPE=OVSPort' "$ifcfg"; then
	log "$iface is already a port of an Open vSwitch bridge ($ifcfg); leaving it as it is"
	exit 0
fi
write_file "$ifcfg" "$wanted"
changed=$CHANGED
if [ "$changed" = 1 ]; then
	nmcli connection load "${ifcfg#"$ROOT"}"
	log "wrote $ifcfg ($address/$prefix via $gateway, DNS $dns)"
fi

# Other profiles for this device (e.g. "System eth0" with DHCP) must not autoconnect any more.
while IFS= read -r uuid; do
	[ -n "$uuid" ] || continue
	[ "$(nmcli -g connection.id connection show "$uuid")" = "$profile" ] && continue
	[ "$(nmcli -g connection.interface-name connection show "$uuid")" = "$iface" ] || continue
	if [ "$(nmcli -g connection.autoconnect connection show "$uuid")" = yes ]; then
		nmcli connection modify "$uuid" connection.autoconnect no
		log "profile $uuid no longer autoconnects on $iface"
	fi
done < <(nmcli -g UUID connection show)

active=$(nmcli -g GENERAL.CONNECTION device show "$iface" 2>/dev/null || true)
if [ "$changed" = 1 ] || [ "$active" != "$profile" ]; then
	nmcli connection up "$profile" >/dev/null
	log "activated $profile on $iface"
fi
[[ "$(ip -4 -o addr show dev "$iface")" == *" $address/$prefix "* ]] ||
	die "$iface does not carry $address/$prefix after activation: check 'nmcli device show $iface'"
log "$iface is $address/$prefix via $gateway (DNS $dns)"
