#!/bin/bash
# Remove the test cloud of up.sh: kill the namespaces' init recorded in RUN_DIR/holder.pid
# (the kernel then ends every process in its PID namespace, unmounts its mounts and deletes
# its network namespace with the veth pair) and its parent unshare (RUN_DIR/unshare.pid, which
# kills the init when it dies, should up.sh have stopped before recording it), then delete the
# overlay's layers. Only those recorded PIDs are signalled, and only while they are still the
# processes up.sh started.
# usage: down.sh RUN_DIR       (nothing to do when the cloud is not up)
set -euo pipefail
RUN=${1:?usage: down.sh RUN_DIR}

ours() { # pid: still the process up.sh recorded (unshare, or the init in another PID namespace)?
    [ -n "$1" ] && [ -e "/proc/$1" ] || return 1
    [ "$(readlink "/proc/$1/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] && return 0
    [ "$(tr '\0' ' ' <"/proc/$1/cmdline" | cut -d' ' -f1)" = unshare ]
}

pids=()
for file in holder.pid unshare.pid; do
    [ -f "$RUN/$file" ] || continue
    pid=$(tr -d ' \n' <"$RUN/$file")
    if ours "$pid"; then
        kill -KILL "$pid"
        pids+=("$pid")
    fi
done
for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do
        [ -e "/proc/$pid" ] || break
        sleep 0.1
    done
    if [ -e "/proc/$pid" ]; then
        echo "down.sh: process $pid did not end" >&2
        exit 1
    fi
done
rm -rf "$RUN"
