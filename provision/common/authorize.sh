#!/usr/bin/env bash
# On every node: let the controller's root key log in as root.
#
# Usage: authorize.sh "PUBKEY"     (one line as printed by rootkey.sh: TYPE BASE64 [COMMENT])
#
# Adds the key to root's authorized_keys once. A copy of the same key behind options (cloud
# images put "no-port-forwarding,...,command=..." in front of root's keys) is removed, since it
# would refuse the login. sshd is made to permit root key logins ("PermitRootLogin
# prohibit-password": a drop-in that sorts first when sshd_config includes sshd_config.d, and any
# "no" or "forced-commands-only" in sshd_config itself replaced); the configuration is checked
# with "sshd -t" and sshd reloaded when something changed (a socket-activated sshd, started per
# connection, needs no reload).
#
# Environment:
#   SSH_DIR=PATH       directory to use instead of /root/.ssh
#   SSHD_CONFIG=PATH   sshd configuration to edit instead of /etc/ssh/sshd_config
#   SSHD_RELOAD=0      neither check nor reload sshd
set -euo pipefail

# shellcheck source=provision/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/../lib.bash"

[ $# -ge 1 ] || die "usage: authorize.sh 'TYPE BASE64 [COMMENT]'"
pubkey="$*"
read -r key_type key_body _ <<<"$pubkey" || true
[[ $key_type =~ ^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+)$ ]] ||
	die "'$key_type' is not an SSH public key type: pass the line rootkey.sh printed"
[[ ${key_body:-} =~ ^[A-Za-z0-9+/]+=*$ ]] || die "the key body is not base64: pass the line rootkey.sh printed"

ssh_dir=${SSH_DIR:-$(at /root/.ssh)}
auth=$ssh_dir/authorized_keys
ssh_dir "$ssh_dir"
[ -e "$auth" ] || install -m 600 /dev/null "$auth"
chmod go-rwx "$auth"

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
# Keep every line except copies of this key that carry options in front of the key type.
awk -v type="$key_type" -v body="$key_body" '
index($0, body) && !($1 == type && $2 == body) { next }
{ print }
' "$auth" >"$tmp"
if ! awk -v type="$key_type" -v body="$key_body" '$1 == type && $2 == body { found = 1 } END { exit !found }' "$tmp"; then
	printf '%s\n' "$pubkey" >>"$tmp"
fi
if cmp -s "$tmp" "$auth"; then
	log "key already authorized in $auth"
else
	cat "$tmp" >"$auth"
	log "authorized the key in $auth"
fi
if command -v restorecon >/dev/null 2>&1; then
	restorecon -R "$ssh_dir"
fi

sshd_config=${SSHD_CONFIG:-$(at /etc/ssh/sshd_config)}
[ -f "$sshd_config" ] || die "$sshd_config not found: install openssh-server or set SSHD_CONFIG"
wanted="PermitRootLogin prohibit-password"
sshd_changed=0

# sshd keeps the first value it reads, so a refusal anywhere in sshd_config must go.
if grep -Eiq '^[[:space:]]*PermitRootLogin[[:space:]]+(no|forced-commands-only)([[:space:]]|$)' "$sshd_config"; then
	sed -Ei "s/^([[:space:]]*)PermitRootLogin[[:space:]]+(no|forced-commands-only)([[:space:]].*)?$/\\1$wanted/I" "$sshd_config"
	sshd_changed=1
fi
if grep -Eiq '^[[:space:]]*Include[[:space:]]+.*sshd_config\.d/' "$sshd_config"; then
	dropin=$(dirname "$sshd_config")/sshd_config.d/01-labbuilder-root.conf
	if [ "$(cat "$dropin" 2>/dev/null || true)" != "$wanted" ]; then
		mkdir -p "$(dirname "$dropin")"
		printf '%s\n' "$wanted" >"$dropin"
		sshd_changed=1
	fi
elif ! grep -Eiq '^[[:space:]]*PermitRootLogin[[:space:]]' "$sshd_config"; then
	# At the top: anything appended at the end could land inside a Match block.
	sed -i "1i $wanted" "$sshd_config"
	sshd_changed=1
fi

if [ "${SSHD_RELOAD:-1}" = 0 ]; then
	exit 0
fi
sshd_bin=$(command -v sshd || echo /usr/sbin/sshd)
"$sshd_bin" -t -f "$sshd_config" || die "sshd rejects $sshd_config after the edit: check it with 'sshd -t'"
effective=$("$sshd_bin" -T -f "$sshd_config" 2>/dev/null | awk 'tolower($1) == "permitrootlogin" { print $2 }')
case $effective in
prohibit-password | without-password | yes) ;;
*) die "sshd still says 'PermitRootLogin ${effective:-?}': look for an earlier setting in $sshd_config or its includes" ;;
esac
if [ "$sshd_changed" = 1 ]; then
	if [ -d "$(at /run/systemd/system)" ]; then
		if systemctl is-active --quiet sshd.service || systemctl is-active --quiet ssh.service; then
			systemctl reload sshd.service 2>/dev/null || systemctl reload ssh.service
		elif systemctl is-active --quiet sshd.socket || systemctl is-active --quiet ssh.socket; then
			log "sshd starts per connection (socket activation): the next login reads the new configuration"
			exit 0
		else
			die "neither sshd's service nor its socket is active: start sshd and run this again"
		fi
	elif [ -s /run/sshd.pid ]; then
		kill -HUP "$(cat /run/sshd.pid)"
	else
		log "sshd is not running under systemd and has no pid file; reload it yourself"
		exit 0
	fi
	log "sshd reloaded"
fi
