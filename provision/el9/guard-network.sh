#!/usr/bin/env bash
# On a node with the network role, last before Packstack: check that eth0 can move into br-ex.
#
# Usage: guard-network.sh IP NAMESERVER      (eth0's planned address, the lab's name server)
#
# Packstack's Open vSwitch port provider (puppet-vswitch ovs_redhat) runs `ifdown`/`ifup` on
# Open vSwitch ifcfg files. Checked, each failure being one line that names the missing piece
# and the fix:
#   ifup and ifdown resolve to the legacy network-scripts (not NetworkManager's, not absent);
#   ifup-ovs and ifdown-ovs are executable; ovs-vsctl is installed;
#   the legacy network service is installed and enabled (it brings br-ex back at boot);
#   NetworkManager has dns=none and /etc/resolv.conf names NAMESERVER;
#   ifcfg-eth0 is the static profile: BOOTPROTO=none, IPADDR=IP, ONBOOT=yes (once Packstack
#   moved eth0 into br-ex: ifcfg-br-ex has OVSBOOTPROTO=none, IPADDR=IP, ONBOOT=yes).
set -euo pipefail

# shellcheck source=provision/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/../lib.bash"

SCRIPTS_DIR=/etc/sysconfig/network-scripts
FIX_SCRIPTS="run network-scripts.sh (dnf -y install openstack-network-scripts)"

[ $# -eq 2 ] || die "usage: guard-network.sh IP NAMESERVER"
address=$1
nameserver=$2
is_ipv4 "$address" || die "'$address' is not an IPv4 address"
is_ipv4 "$nameserver" || die "'$nameserver' is not an IPv4 name server address"

# The first COMMAND on root's PATH, or nothing.
find_command() {
	local dir
	for dir in /usr/sbin /usr/bin /sbin /bin; do
		if [ -e "$(at "$dir/$1")" ] || [ -L "$(at "$dir/$1")" ]; then
			echo "$dir/$1"
			return 0
		fi
	done
}

for command in ifup ifdown; do
	found=$(find_command "$command")
	[ -n "$found" ] ||
		die "no $command command: Packstack would leave eth0's address off br-ex; $FIX_SCRIPTS"
	target=$(resolve "$found")
	if [ "$target" != "$SCRIPTS_DIR/$command" ]; then
		if grep -q nmcli "$(at "$target")" 2>/dev/null; then
			die "$command is NetworkManager's ($found -> $target), which cannot handle Open vSwitch ifcfg files: $FIX_SCRIPTS, or: update-alternatives --set ifup $SCRIPTS_DIR/ifup"
		fi
		die "$command is $found -> $target, not the legacy $SCRIPTS_DIR/$command: $FIX_SCRIPTS, or: update-alternatives --set ifup $SCRIPTS_DIR/ifup"
	fi
	[ -x "$(at "$target")" ] || die "$target is not executable: reinstall openstack-network-scripts (dnf -y reinstall openstack-network-scripts)"
done
for script in ifup-ovs ifdown-ovs; do
	[ -x "$(at "$SCRIPTS_DIR/$script")" ] ||
		die "$SCRIPTS_DIR/$script is missing or not executable: run network-scripts.sh (dnf -y install openstack-network-scripts-openvswitchX.Y matching the installed openvswitch)"
done
[ -x "$(at /usr/bin/ovs-vsctl)" ] || die "ovs-vsctl is not installed: run network-scripts.sh (dnf -y install openvswitch)"
[ -x "$(at /etc/rc.d/init.d/network)" ] ||
	die "the legacy network service (/etc/rc.d/init.d/network) is missing, so br-ex would not come back after a reboot: $FIX_SCRIPTS"
compgen -G "$(at /etc/rc.d/rc3.d)/S*network" >/dev/null ||
	die "the legacy network service is not enabled, so br-ex would not come back after a reboot: systemctl enable network"

grep -qsx 'dns=none' "$(at /etc/NetworkManager/conf.d/90-labbuilder-dns.conf)" ||
	die "NetworkManager still writes /etc/resolv.conf and would drop the name server when eth0 moves: run dns-pin.sh DOMAIN $nameserver"
grep -qsxF "nameserver $nameserver" "$(at /etc/resolv.conf)" ||
	die "/etc/resolv.conf does not name $nameserver: run dns-pin.sh DOMAIN $nameserver"

# The address is in ifcfg-eth0 before the takeover, in ifcfg-br-ex (OVSBOOTPROTO) after it.
name=eth0
bootproto=BOOTPROTO
if grep -qsx 'TYPE=OVSPort' "$(at "$SCRIPTS_DIR/ifcfg-eth0")"; then
	name=br-ex
	bootproto=OVSBOOTPROTO
fi
ifcfg=$(at "$SCRIPTS_DIR/ifcfg-$name")
[ -f "$ifcfg" ] || die "no $SCRIPTS_DIR/ifcfg-$name: Packstack would give br-ex no address; run static-eth0.sh"
for wanted in "$bootproto=none" "IPADDR=$address" ONBOOT=yes; do
	grep -qxF "$wanted" "$ifcfg" ||
		die "$SCRIPTS_DIR/ifcfg-$name lacks $wanted, which br-ex needs: run static-eth0.sh"
done
log "ready for br-ex: legacy ifup/ifdown with ifup-ovs, network service enabled, DNS pinned to $nameserver, $name static at $address"
