#!/usr/bin/env bash
# On a node with the network role: install what Packstack's Open vSwitch port provider needs to
# move eth0 into br-ex, and let br-ex come back after a reboot.
#
# Usage: network-scripts.sh
#
# Packstack declares `vs_port { 'eth0': bridge => 'br-ex' }`; on EL9 puppet-vswitch picks its
# ovs_redhat provider, which rewrites ifcfg-eth0 and ifcfg-br-ex as Open vSwitch types and runs
# `ifdown br-ex; ifdown eth0; ifup eth0; ifup br-ex` (lib/puppet/provider/vs_port/ovs_redhat.rb).
# Only the legacy network-scripts' ifup with ifup-ovs handles those files; NetworkManager's ifup
# fails on them and without any ifup the address stays on eth0. Installed here, from the RDO
# repositories prepare.sh enabled:
#   openvswitch                  (RDO's rdo-openvswitch wrapper provides it)
#   openstack-network-scripts    (ifup/ifdown through alternatives, above NetworkManager's, and
#                                 the legacy "network" service its %post enables)
#   ifup-ovs/ifdown-ovs          from the package matching the installed openvswitchX.Y, when
#                                 openvswitch did not pull it in: tried in order
#                                 openstack-network-scripts-openvswitchX.Y,
#                                 network-scripts-openvswitchX.Y, rdo-network-scripts-openvswitch.
# Then openvswitch and the legacy network service are enabled: on boot NetworkManager leaves the
# Open vSwitch ifcfg files alone and the network service brings br-ex up with its address.
# guard-network.sh checks the result.
set -euo pipefail

# shellcheck source=provision/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/../lib.bash"

SCRIPTS_DIR=/etc/sysconfig/network-scripts

[ $# -eq 0 ] || die "usage: network-scripts.sh (no arguments)"
require_el9
require_root
[ -n "$(rpm -qa --qf '%{NAME}\n' 'centos-release-openstack-*')" ] ||
	die "no centos-release-openstack-* package: run prepare.sh RELEASE first"

missing=()
rpm -q --whatprovides openvswitch >/dev/null 2>&1 || missing+=(openvswitch)
rpm -q openstack-network-scripts >/dev/null 2>&1 || missing+=(openstack-network-scripts)
if [ ${#missing[@]} -gt 0 ]; then
	dnf -y install "${missing[@]}"
	log "installed ${missing[*]}"
fi

if [ ! -x "$(at "$SCRIPTS_DIR/ifup-ovs")" ]; then
	ovs=$(rpm -qa --qf '%{NAME}\n' 'openvswitch[0-9]*' | grep -E '^openvswitch[0-9]+\.[0-9]+$' | sort -V | tail -n 1 || true)
	candidates=(rdo-network-scripts-openvswitch)
	[ -z "$ovs" ] || candidates=("openstack-network-scripts-$ovs" "network-scripts-$ovs" "${candidates[@]}")
	for package in "${candidates[@]}"; do
		if dnf -y install "$package"; then
			log "installed $package"
			break
		fi
	done
	[ -x "$(at "$SCRIPTS_DIR/ifup-ovs")" ] ||
		die "no $SCRIPTS_DIR/ifup-ovs after trying ${candidates[*]}: install the Open vSwitch network-scripts package matching ${ovs:-openvswitch} (dnf list '*network-scripts-openvswitch*')"
fi

if [ -d "$(at /run/systemd/system)" ]; then
	systemctl enable --now openvswitch.service
	systemctl enable network.service
	log "openvswitch running and enabled; the legacy network service enabled for boot"
else
	log "systemd is not running: enable openvswitch and network yourself"
fi
log "legacy network-scripts with ifup-ovs in place for br-ex"
