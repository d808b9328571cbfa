#!/usr/bin/env bash
# Grow the root partition and filesystem to the disk, then check that / has the planned size.
#
# Usage: grow-root.sh PLANNED_GIB        the disk size the lab planned for this node, in GiB
#
# The CentOS Stream 9 box ships a small root filesystem and no growpart, while the lab gives its
# VMs 40-80 GiB disks that Cinder's and Swift's loop files, packages and instance disks share.
# cloud-utils-growpart is installed when missing, the partition holding / is grown to the end
# of its disk, then the filesystem (xfs_growfs for XFS, resize2fs for ext3/ext4). Fails when /
# is still smaller than PLANNED_GIB minus a margin (a tenth of it, at least 3 GiB), which leaves
# room for /boot and the filesystem's own metadata.
set -euo pipefail

# shellcheck source=provision/lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/../lib.bash"

GIB=$((1024 * 1024 * 1024))

[ $# -eq 1 ] || die "usage: grow-root.sh PLANNED_GIB"
planned=$1
[[ $planned =~ ^[1-9][0-9]{0,5}$ ]] || die "'$planned' is not a disk size in GiB: pass a whole number such as 40"
margin=$((planned / 10 > 3 ? planned / 10 : 3))
wanted=$((planned > margin ? planned - margin : 1))
require_el9
require_root

rpm -q cloud-utils-growpart >/dev/null 2>&1 || dnf -y install cloud-utils-growpart
command -v growpart >/dev/null 2>&1 ||
	die "growpart not found after installing cloud-utils-growpart: install it (dnf -y install cloud-utils-growpart)"

source=$(findmnt -n -o SOURCE /)
fstype=$(findmnt -n -o FSTYPE /)
dev=$(basename "$(resolve "$source")")
sysdev=$(at "/sys/class/block/$dev")
if [ -r "$sysdev/partition" ]; then
	part=$(cat "$sysdev/partition")
	disk=/dev/$(basename "$(readlink -f "$sysdev/..")")
	rc=0
	out=$(growpart "$disk" "$part" 2>&1) || rc=$?
	case $out in
	*NOCHANGE*) log "the root partition already fills $disk" ;;
	*)
		[ "$rc" = 0 ] || die "growpart $disk $part failed (${out##*$'\n'}): grow partition $part of $disk by hand, then run grow-root.sh again"
		log "grew partition $part of $disk"
		;;
	esac
	case $fstype in
	xfs) xfs_growfs / >/dev/null ;;
	ext4 | ext3) resize2fs "$source" >/dev/null 2>&1 ;;
	*) log "the root filesystem is $fstype, which this script does not grow" ;;
	esac
else
	log "root ($source) is not a plain partition; not growing it"
fi

size=$(findmnt -n -b -o SIZE /)
[[ $size =~ ^[0-9]+$ ]] || die "findmnt gave no size for / ('$size'): check 'findmnt -b /'"
have=$((size / GIB))
[ "$have" -ge "$wanted" ] ||
	die "/ is $have GiB but the lab planned a $planned GiB disk (at least $wanted GiB expected): check the VM's disk (lsblk) and the box's partition layout"
log "/ is $have GiB ($fstype on $source; the lab planned $planned GiB)"
