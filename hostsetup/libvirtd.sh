#!/bin/bash
# Start, stop or query the libvirt daemons that labbuilder needs (qemu:///system).
#
# Usage: libvirtd.sh start|stop|status
#
# On a host booted with systemd, `start` and `stop` go through systemctl. Without systemd
# (containers, CI machines; Debian 12 ships no init script for libvirtd) the daemons are
# started directly with `virtlogd -d` and `libvirtd -d`, which write their own pidfiles, and
# are stopped by those pidfiles only. `start` is idempotent: a running daemon is left alone.
# After start, the `default` directory storage pool exists, is autostarted and is active.
#
# Environment: LIBVIRTD_WAIT_SECONDS (default 60) bounds the wait for libvirtd to answer.
set -euo pipefail

readonly URI=qemu:///system
readonly POOL_NAME=default
readonly POOL_DIR=/var/lib/libvirt/images
readonly RUN_DIR=/run                         # virtlogd and libvirtd write RUN_DIR/<name>.pid
readonly NETWORK_RUN_DIR=/run/libvirt/network # libvirt's dnsmasq writes <network>.pid here
readonly WAIT_SECONDS=${LIBVIRTD_WAIT_SECONDS:-60}

die() {
    echo "libvirtd.sh: $*" >&2
    exit 1
}

# sd_booted(3): the host runs systemd as its init if this directory exists.
systemd_booted() {
    [[ -d /run/systemd/system ]]
}

# Print the PID recorded in pidfile $1 if that process is alive and runs program $2.
pid_from_file() {
    local pidfile=$1 program=$2 pid comm
    [[ -s $pidfile ]] || return 1
    pid=$(<"$pidfile")
    pid=${pid//[^0-9]/}
    [[ -n $pid ]] || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [[ $comm == "$program" ]] || return 1
    echo "$pid"
}

# `virsh uri` opens a connection, which libvirtd accepts only once its drivers are initialised;
# it is cheap, unlike `virsh version`, which probes the QEMU binary (~4 s here).
libvirt_answers() {
    virsh -c "$URI" uri >/dev/null 2>&1
}

wait_for_libvirt() {
    local deadline=$((SECONDS + WAIT_SECONDS))
    until libvirt_answers; do
        if ((SECONDS >= deadline)); then
            die "libvirtd did not answer on $URI within ${WAIT_SECONDS}s; see /var/log/libvirt/libvirtd.log or raise LIBVIRTD_WAIT_SECONDS"
        fi
        sleep 0.5
    done
}

# Start daemon $1 (from /usr/sbin) unless its pidfile names a live process.
start_daemon() {
    local name=$1
    if pid_from_file "$RUN_DIR/$name.pid" "$name" >/dev/null; then
        return 0
    fi
    command -v "/usr/sbin/$name" >/dev/null \
        || die "/usr/sbin/$name not found; install it with: apt-get install libvirt-daemon-system"
    "/usr/sbin/$name" -d
}

ensure_default_pool() {
    if ! virsh -c "$URI" pool-info "$POOL_NAME" >/dev/null 2>&1; then
        mkdir -p "$POOL_DIR"
        virsh -c "$URI" pool-define-as "$POOL_NAME" dir --target "$POOL_DIR" >/dev/null
        echo "defined storage pool $POOL_NAME on $POOL_DIR"
    fi
    local info
    info=$(virsh -c "$URI" pool-info "$POOL_NAME")
    if ! [[ $info =~ Autostart:[[:space:]]+yes ]]; then
        virsh -c "$URI" pool-autostart "$POOL_NAME" >/dev/null
    fi
    if ! [[ $info =~ State:[[:space:]]+running ]]; then
        virsh -c "$URI" pool-start "$POOL_NAME" >/dev/null
        echo "started storage pool $POOL_NAME"
    fi
}

# Send SIGTERM to the process in pidfile $2 (if it runs $1) and wait for it to exit.
stop_by_pidfile() {
    local name=$1 pidfile=$2 pid
    pid=$(pid_from_file "$pidfile" "$name") || return 0
    kill "$pid"
    local deadline=$((SECONDS + 15))
    while kill -0 "$pid" 2>/dev/null; do
        ((SECONDS < deadline)) || die "$name (pid $pid) did not exit after SIGTERM; check it with: ps -p $pid"
        sleep 0.2
    done
    echo "stopped $name (pid $pid)"
}

# Without udev, /dev/kvm keeps the kernel's root-only mode. libvirtd (root) then probes QEMU
# with KVM enabled but finds KVM unusable for the QEMU user on every later call, discards its
# capabilities cache and re-probes QEMU each time (seconds per API call). Give the device the
# owner and mode Debian's udev rules give it; this does not make KVM usable where it is not.
grant_kvm_group_access() {
    [[ -c /dev/kvm ]] && getent group kvm >/dev/null || return 0
    if [[ $(stat -c %G:%a /dev/kvm) != kvm:660 ]]; then
        chgrp kvm /dev/kvm
        chmod 0660 /dev/kvm
        echo "set /dev/kvm to group kvm, mode 0660"
    fi
}

cmd_start() {
    if systemd_booted; then
        systemctl start libvirtd.service
    else
        mkdir -p /run/libvirt /var/log/libvirt/qemu "$POOL_DIR"
        grant_kvm_group_access
        start_daemon virtlogd
        start_daemon libvirtd
    fi
    wait_for_libvirt
    ensure_default_pool
    cmd_status
}

cmd_stop() {
    if systemd_booted; then
        systemctl stop libvirtd.service
        return 0
    fi
    stop_by_pidfile libvirtd "$RUN_DIR/libvirtd.pid"
    stop_by_pidfile virtlogd "$RUN_DIR/virtlogd.pid"
    # libvirt's per-network dnsmasq outlives libvirtd. Its run dir also holds driver.pid, which
    # names libvirtd itself: pid_from_file skips any pidfile whose process is not dnsmasq.
    local pidfile
    for pidfile in "$NETWORK_RUN_DIR"/*.pid; do
        [[ -e $pidfile ]] || continue
        stop_by_pidfile dnsmasq "$pidfile"
    done
}

# Exit 0 when libvirt answers on qemu:///system, 3 (LSB "not running") otherwise.
cmd_status() {
    local name pid
    if ! systemd_booted; then
        for name in virtlogd libvirtd; do
            if pid=$(pid_from_file "$RUN_DIR/$name.pid" "$name"); then
                echo "$name running (pid $pid)"
            else
                echo "$name not running"
            fi
        done
    fi
    if libvirt_answers; then
        echo "libvirt answers on $URI"
        return 0
    fi
    echo "libvirt does not answer on $URI"
    return 3
}

main() {
    [[ $# -eq 1 ]] || die "usage: libvirtd.sh start|stop|status"
    case $1 in
        start | stop | status)
            if [[ $1 != status && $EUID -ne 0 ]]; then
                die "$1 needs root; run it with sudo"
            fi
            command -v virsh >/dev/null || die "virsh not found; install it with: apt-get install libvirt-clients"
            "cmd_$1"
            ;;
        *) die "unknown command '$1'; use start, stop or status" ;;
    esac
}

main "$@"
