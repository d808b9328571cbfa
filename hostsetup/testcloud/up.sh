#!/bin/bash
# Bring the test cloud up: an all-in-one OpenStack (Debian 13 packages, 2025.1 Epoxy) in the
# cached root filesystem of build-rootfs.sh, inside private mount, network, PID, UTS and IPC
# namespaces. Its only link to the host is a veth pair: the host side holds the gateway
# address, the cloud side is eth0 in the cloud's br-ex, so the host reaches the node (SSH,
# APIs) and the floating IPs, and nothing leaves this machine.
#
# usage: up.sh RUN_DIR ROOTFS
# Environment: TC_FQDN TC_IP TC_PREFIX TC_GATEWAY TC_TUNNEL_IP TC_TUNNEL_PREFIX TC_PASSWORD
#              TC_HOST_LINK
#              TC_AUTHORIZED_KEY (public key line for root's SSH login)
# Writes RUN_DIR/holder.pid: the PID (on the host) of the namespaces' init, and
# RUN_DIR/unshare.pid: its parent (which kills it when killed); down.sh ends them.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RUN=${1:?usage: up.sh RUN_DIR ROOTFS}
ROOTFS=${2:?usage: up.sh RUN_DIR ROOTFS}
: "${TC_FQDN:?}" "${TC_IP:?}" "${TC_PREFIX:?}" "${TC_GATEWAY:?}" "${TC_TUNNEL_IP:?}" "${TC_TUNNEL_PREFIX:?}"
: "${TC_PASSWORD:?}" "${TC_HOST_LINK:?}" "${TC_AUTHORIZED_KEY:?}"
SHORT=${TC_FQDN%%.*}

if [ -e "$RUN/holder.pid" ]; then
    echo "up.sh: $RUN/holder.pid exists: the test cloud is up (down.sh removes it)" >&2
    exit 1
fi
mkdir -p "$RUN/upper/etc/ssh/sshd_config.d" "$RUN/upper/root/.ssh" \
    "$RUN/upper/usr/local/sbin" "$RUN/work" "$RUN/root"

# the node's own files, laid into the overlay's upper layer before it is mounted
printf '127.0.0.1 localhost\n%s %s %s\n' "$TC_IP" "$TC_FQDN" "$SHORT" >"$RUN/upper/etc/hosts"
echo "$TC_FQDN" >"$RUN/upper/etc/hostname"
echo "$TC_AUTHORIZED_KEY" >"$RUN/upper/root/.ssh/authorized_keys"
chmod 700 "$RUN/upper/root/.ssh"
chmod 600 "$RUN/upper/root/.ssh/authorized_keys"
printf 'ListenAddress %s\nPermitRootLogin prohibit-password\nUseDNS no\n' "$TC_IP" \
    >"$RUN/upper/etc/ssh/sshd_config.d/testcloud.conf"
install -m 755 "$HERE/configure.sh" "$RUN/upper/usr/local/sbin/testcloud-configure"

# the namespaces' init: mounts the overlay and the kernel filesystems, then reaps orphans
# shellcheck disable=SC2016 # expanded by the inner shell
setsid unshare --mount --net --pid --uts --ipc --fork --kill-child=SIGKILL --propagation private \
    bash -c '
    set -e
    R=$1
    mount -t overlay overlay -o "lowerdir=$2,upperdir=$3/upper,workdir=$3/work" "$R"
    mount -t proc proc "$R/proc"
    mount -t sysfs sysfs "$R/sys"
    mount --rbind /dev "$R/dev"
    mount -t tmpfs -o mode=755 tmpfs "$R/run"
    mkdir -p "$R/run/lock" "$R/run/sshd"
    mount -t tmpfs tmpfs "$R/tmp"
    chmod 1777 "$R/tmp"
    hostname "$4"
    ip link set lo up
    touch "$3/ready"
    trap "exit 0" TERM
    while :; do sleep 3600 & wait $! || true; done
' init "$RUN/root" "$ROOTFS" "$RUN" "$TC_FQDN" </dev/null >"$RUN/init.log" 2>&1 &
UNSHARE=$!
echo "$UNSHARE" >"$RUN/unshare.pid"
for _ in $(seq 1 100); do
    [ -e "$RUN/ready" ] && break
    kill -0 "$UNSHARE" 2>/dev/null || { cat "$RUN/init.log" >&2; exit 1; }
    sleep 0.1
done
[ -e "$RUN/ready" ] || { echo "up.sh: the namespaces did not come up" >&2; exit 1; }
HOLDER=$(tr -d ' ' <"/proc/$UNSHARE/task/$UNSHARE/children")
echo "$HOLDER" >"$RUN/holder.pid"

inside() { nsenter --target "$HOLDER" --mount --net --pid --uts --ipc -- chroot "$RUN/root" "$@"; }

# the link to the host, and a tunnel address for Neutron's vxlan endpoint (no dummy
# interfaces in this kernel: one end of an internal veth pair)
ip link add "$TC_HOST_LINK" type veth peer name eth0 netns "$HOLDER"
ip addr add "$TC_GATEWAY/$TC_PREFIX" dev "$TC_HOST_LINK"
ethtool -K "$TC_HOST_LINK" tso off gso off gro off tx off >/dev/null 2>&1 || true
ip link set "$TC_HOST_LINK" up
inside ip addr add "$TC_IP/$TC_PREFIX" dev eth0
inside ip link set eth0 up
inside ip link add eth1 type veth peer name eth1-end
inside ip link set eth1-end up
inside ip addr add "$TC_TUNNEL_IP/$TC_TUNNEL_PREFIX" dev eth1
inside ip link set eth1 up
inside /etc/init.d/ssh start >/dev/null

inside env TC_FQDN="$TC_FQDN" TC_IP="$TC_IP" TC_PREFIX="$TC_PREFIX" \
    TC_TUNNEL_IP="$TC_TUNNEL_IP" TC_PASSWORD="$TC_PASSWORD" /usr/local/sbin/testcloud-configure
