#!/usr/bin/env bash
# Give this node its FQDN hostname and write the lab's name table into /etc/hosts.
#
# Usage: hosts.sh FQDN "IP FQDN SHORT" ["IP FQDN SHORT" ...]
#        hosts.sh FQDN < table        (one "IP FQDN SHORT" per line, when no entry is given)
#
# Packstack and RabbitMQ need this node's FQDN to resolve to its real address. Vagrant and cloud
# images map the hostname to loopback (127.0.1.1 or 127.0.0.1), so lab names are taken off every
# loopback line, and a loopback line left with no name is dropped. The lab's entries live between
# "# BEGIN labbuilder" and "# END labbuilder"; a re-run rewrites that block and nothing else.
#
# Environment:
#   HOSTS_FILE=PATH   file to edit instead of /etc/hosts
#   SKIP_HOSTNAME=1   leave the hostname alone
set -euo pipefail

# shellcheck source=provision/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/../lib.bash"

[ $# -ge 1 ] || die "usage: hosts.sh FQDN 'IP FQDN SHORT'... (or the entries on standard input)"
fqdn=$1
shift
hosts_file=${HOSTS_FILE:-$(at /etc/hosts)}

case $fqdn in
*.*) ;;
*) die "'$fqdn' is not a fully qualified name: pass NAME.DOMAIN" ;;
esac

entries=()
if [ $# -gt 0 ]; then
	entries=("$@")
else
	while IFS= read -r line || [ -n "$line" ]; do
		[ -n "${line//[[:space:]]/}" ] && entries+=("$line")
	done
fi
[ ${#entries[@]} -gt 0 ] || die "no 'IP FQDN SHORT' entries given"

block=""
names=""
found_self=0
for entry in "${entries[@]}"; do
	read -r ip name short extra <<<"$entry" || true
	if [ -z "${short:-}" ] || [ -n "${extra:-}" ]; then
		die "bad entry '$entry': write exactly 'IP FQDN SHORT'"
	fi
	[[ $ip =~ ^[0-9A-Fa-f.:]+$ ]] || die "bad address '$ip' in entry '$entry'"
	[ "$name" = "$fqdn" ] && found_self=1
	block+="${block:+$'\n'}$ip $name $short"
	names+=" $name $short"
done
[ "$found_self" = 1 ] || die "this node's FQDN '$fqdn' is not among the entries: add its 'IP FQDN SHORT'"

# Lab names come off loopback lines (keeping any other name and comment); a loopback line left
# with no name is dropped.
# shellcheck disable=SC2317 # called by replace_block
unloop() {
	awk -v names="$names" '
	BEGIN { n = split(names, list, " "); for (i = 1; i <= n; i++) lab[list[i]] = 1 }
	$1 ~ /^127\./ || $1 == "::1" {
		out = $1; kept = 0; dropped = 0
		for (i = 2; i <= NF; i++) {
			if ($i ~ /^#/) { for (j = i; j <= NF; j++) out = out " " $j; break }
			if ($i in lab) { dropped++ } else { out = out " " $i; kept++ }
		}
		if (!dropped) { print; next }
		if (kept) print out
		next
	}
	{ print }
	'
}

replace_block "$hosts_file" "$block" unloop
if [ "$CHANGED" = 0 ]; then
	log "$hosts_file already up to date"
else
	log "wrote the lab block into $hosts_file"
fi

if [ "${SKIP_HOSTNAME:-0}" != 1 ] && [ "$(hostname)" != "$fqdn" ]; then
	if command -v hostnamectl >/dev/null 2>&1 && [ -d "$(at /run/systemd/system)" ]; then
		hostnamectl set-hostname "$fqdn"
	else
		printf '%s\n' "$fqdn" >"$(at /etc/hostname)"
		hostname "$fqdn"
	fi
	log "hostname set to $fqdn"
fi
