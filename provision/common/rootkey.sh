#!/usr/bin/env bash
# On the controller: make root's SSH key pair if it is missing and print the public key.
#
# Usage: rootkey.sh
#
# Packstack logs in to every node as root with this key (its CONFIG_SSH_KEY defaults to
# ~/.ssh/id_rsa.pub), so it is RSA and has no passphrase. The public key is the only thing
# written to standard output; pass it to authorize.sh on every node.
#
# Environment:
#   SSH_DIR=PATH   directory to use instead of /root/.ssh
set -euo pipefail

# shellcheck source=provision/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/../lib.bash"

ssh_dir=${SSH_DIR:-$(at /root/.ssh)}
key=$ssh_dir/id_rsa

ssh_dir "$ssh_dir"
if [ ! -f "$key" ]; then
	ssh-keygen -q -t rsa -b 3072 -N '' -C "root@$(hostname)" -f "$key" </dev/null
	log "created $key" >&2
fi
if [ ! -s "$key.pub" ]; then
	ssh-keygen -y -f "$key" >"$key.pub"
	log "wrote $key.pub from $key" >&2
fi
cat "$key.pub"
