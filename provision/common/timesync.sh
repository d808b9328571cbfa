#!/usr/bin/env bash
# Point chrony at the lab's NTP servers.
#
# Usage: timesync.sh SERVER [SERVER ...]
#
# Works on EL9 (/etc/chrony.conf, unit chronyd) and Debian (/etc/chrony/chrony.conf, unit
# chrony); installs chrony when neither file exists. The servers go into a block between
# "# BEGIN labbuilder" and "# END labbuilder"; pool/server/peer lines outside it are commented out
# ("#labbuilder# ...") so the image's default pools do not compete. Under systemd chrony is
# enabled and started, and restarted when the file changed.
#
# Environment:
#   CHRONY_CONF=PATH  file to edit instead of the distribution's
set -euo pipefail

# shellcheck source=provision/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/../lib.bash"

[ $# -ge 1 ] || die "usage: timesync.sh SERVER [SERVER ...]"
for server in "$@"; do
	[[ $server =~ ^[A-Za-z0-9.:-]+$ ]] || die "bad NTP server name '$server': use a host name or an address"
done

find_conf() {
	local candidate
	for candidate in "$(at /etc/chrony.conf)" "$(at /etc/chrony/chrony.conf)"; do
		if [ -f "$candidate" ]; then
			echo "$candidate"
			return 0
		fi
	done
	return 1
}

conf=${CHRONY_CONF:-}
if [ -z "$conf" ]; then
	if ! conf=$(find_conf); then
		if command -v dnf >/dev/null 2>&1; then
			dnf -y install chrony
		elif command -v apt-get >/dev/null 2>&1; then
			DEBIAN_FRONTEND=noninteractive apt-get install -y chrony ||
				{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chrony; }
		else
			die "chrony is not installed and neither dnf nor apt-get is here: install chrony"
		fi
		conf=$(find_conf) || die "chrony installed but no chrony.conf found: check the chrony package"
	fi
fi
[ -f "$conf" ] || die "$conf does not exist: install chrony or set CHRONY_CONF"

# The image's own pool/server/peer lines are commented out so they do not compete.
# shellcheck disable=SC2317 # called by replace_block
retire_sources() {
	awk '$1 == "pool" || $1 == "server" || $1 == "peer" { print "#labbuilder# " $0; next } { print }'
}

block=$(printf 'server %s iburst\n' "$@")
replace_block "$conf" "$block" retire_sources
changed=$CHANGED
if [ "$changed" = 0 ]; then
	log "$conf already up to date"
else
	log "wrote $# server(s) into $conf"
fi

if [ ! -d "$(at /run/systemd/system)" ]; then
	[ "$changed" = 0 ] || log "systemd is not running; restart chronyd yourself"
	exit 0
fi
for unit in chrony chronyd; do # Debian: chrony (chronyd is an alias there); EL9: chronyd
	if systemctl cat "$unit.service" >/dev/null 2>&1; then
		systemctl enable --now "$unit.service"
		if [ "$changed" = 1 ]; then
			systemctl restart "$unit.service"
			log "restarted $unit"
		fi
		exit 0
	fi
done
die "no chronyd or chrony systemd unit found: install chrony"
