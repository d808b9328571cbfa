#!/usr/bin/env bash
# On the controller: record the lab nodes' SSH host keys for root.
#
# Usage: known_hosts.sh HOST [HOST ...]      (each node's address and FQDN)
#
# Afterwards "ssh root@HOST" works without a host-key question. Each host is scanned; when all
# its scanned keys are already known nothing changes, otherwise its old entries are removed
# (a rebuilt VM has new keys) and the scanned ones added.
#
# Environment:
#   SSH_DIR=PATH          directory to use instead of /root/.ssh
#   KEYSCAN_ATTEMPTS=N    scans per host before giving up (default 5, 3 s apart)
set -euo pipefail

# shellcheck source=provision/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/../lib.bash"

[ $# -ge 1 ] || die "usage: known_hosts.sh HOST [HOST ...]"
ssh_dir=${SSH_DIR:-$(at /root/.ssh)}
known=$ssh_dir/known_hosts
attempts=${KEYSCAN_ATTEMPTS:-5}
[[ $attempts =~ ^[1-9][0-9]*$ ]] || die "KEYSCAN_ATTEMPTS must be a positive number, not '$attempts'"
ssh_dir "$ssh_dir"
[ -e "$known" ] || install -m 644 /dev/null "$known"

for host in "$@"; do
	scanned=""
	for ((try = 1; try <= attempts; try++)); do
		scanned=$(ssh-keyscan -T 5 -t rsa,ecdsa,ed25519 "$host" 2>/dev/null | grep -v '^#' || true)
		[ -n "$scanned" ] && break
		[ "$try" -lt "$attempts" ] && sleep 3
	done
	[ -n "$scanned" ] || die "no SSH host key from $host after $attempts scans: check that sshd runs there and port 22 is reachable"

	current=$(ssh-keygen -F "$host" -f "$known" 2>/dev/null || true)
	missing=0
	while read -r _ type body; do
		grep -qF "$type $body" <<<"$current" || missing=1
	done <<<"$scanned"
	if [ "$missing" = 0 ]; then
		log "$host already known"
		continue
	fi
	ssh-keygen -R "$host" -f "$known" >/dev/null 2>&1 || true
	printf '%s\n' "$scanned" >>"$known"
	log "recorded the host keys of $host"
done
