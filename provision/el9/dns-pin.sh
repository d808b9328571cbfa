#!/usr/bin/env bash
# On a node with the network role: pin /etc/resolv.conf outside NetworkManager and ifcfg files.
#
# Usage: dns-pin.sh DOMAIN NAMESERVER [NAMESERVER ...]
#
# When Packstack moves eth0 into br-ex, the static profile's PEERDNS=no is copied into
# ifcfg-br-ex, so the legacy scripts never write resolv.conf, and NetworkManager, no longer
# managing the device, drops its name servers. Packstack runs dnf on every host at the start of
# each run (and installs compute packages after the network manifest on an all-in-one), so the
# node must keep resolving. A NetworkManager drop-in ([main] dns=none) stops NetworkManager from
# writing /etc/resolv.conf, which then names the lab's NAMESERVERs and search DOMAIN.
set -euo pipefail

# shellcheck source=provision/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/../lib.bash"

DROPIN=/etc/NetworkManager/conf.d/90-labbuilder-dns.conf

[ $# -ge 2 ] || die "usage: dns-pin.sh DOMAIN NAMESERVER [NAMESERVER ...]"
domain=$1
shift
[[ $domain =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]] || die "'$domain' is not a DNS domain name"
for server in "$@"; do
	is_ipv4 "$server" || die "'$server' is not an IPv4 name server address"
done
require_el9
require_root

write_file "$(at "$DROPIN")" "# Written by labbuilder (provision/el9/dns-pin.sh): /etc/resolv.conf is the lab's.
[main]
dns=none"
if [ "$CHANGED" = 1 ]; then
	log "wrote $DROPIN (NetworkManager leaves /etc/resolv.conf alone)"
	if [ -d "$(at /run/systemd/system)" ]; then
		systemctl reload NetworkManager.service
	fi
fi

resolv=$(at /etc/resolv.conf)
# A link (to NetworkManager's or systemd-resolved's file) would be rewritten behind our back.
[ ! -L "$resolv" ] || rm -f "$resolv"
write_file "$resolv" "# Written by labbuilder (provision/el9/dns-pin.sh); NetworkManager has dns=none ($DROPIN)
search $domain
$(printf 'nameserver %s\n' "$@")"
if [ "$CHANGED" = 1 ]; then
	log "wrote /etc/resolv.conf (name servers $*, search $domain)"
else
	log "/etc/resolv.conf already names $*"
fi
