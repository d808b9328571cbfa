#!/bin/bash
# Build a small Debian vagrant-libvirt box for labbuilder's own tests, from the Debian mirror
# only (no Vagrant Cloud): OUTDIR/labbuilder-testbox.box plus OUTDIR/labbuilder-testbox.inputs.
#
# Usage: build-testbox.sh [--if-changed] OUTDIR
#   --if-changed  do nothing when the box exists and its inputs stamp matches this script,
#                 the suite, the package list and the disk size.
#
# The disk is a bare ext4 filesystem (no partition table, no bootloader) made with
# `mkfs.ext4 -d`, so no loop device is needed. The guest boots by direct kernel boot: kernel
# and initrd travel inside the box and the box's own Vagrantfile points libvirt at them, which
# is why VAGRANT_HOME must be traversable by the user QEMU runs as.
#
# Environment: TESTBOX_SUITE (bookworm), TESTBOX_MIRROR (http://deb.debian.org/debian),
# TESTBOX_DISK_GB (4, virtual disk size), TESTBOX_VAGRANT_PUBKEY (vagrant's insecure public
# key; found in the installed vagrant when unset).
set -euo pipefail

readonly BOX_NAME=labbuilder-testbox
readonly SUITE=${TESTBOX_SUITE:-bookworm}
readonly MIRROR=${TESTBOX_MIRROR:-http://deb.debian.org/debian}
readonly DISK_GB=${TESTBOX_DISK_GB:-4}
# Everything the lab's tests use inside the guests; nothing is installed at test time.
readonly PACKAGES=(
    systemd systemd-sysv systemd-resolved udev kmod dbus
    linux-image-cloud-amd64 initramfs-tools zstd
    openssh-server openssh-client sudo
    iproute2 iputils-ping netbase procps
    python3 openvswitch-switch chrony
)
# Units that only slow a boot under emulation, or wait for things a lab guest never has.
readonly MASKED_UNITS=(
    systemd-networkd-wait-online.service systemd-firstboot.service
    apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer
)
readonly KERNEL_CMDLINE="root=/dev/vda rw console=ttyS0 net.ifnames=0 biosdevname=0 quiet"

SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
readonly SCRIPT_PATH
WORKDIR=""

die() {
    echo "build-testbox.sh: $*" >&2
    exit 1
}

timing() {
    echo "TIMING $1 $(($(date +%s) - $2))s"
}

# The stamp describes every input that changes the box; equal stamps mean an equal box.
inputs_stamp() {
    local script_sha
    script_sha=$(sha256sum "$SCRIPT_PATH")
    printf 'script_sha256=%s\nsuite=%s\ndisk_gb=%s\npackages=%s\n' \
        "${script_sha%% *}" "$SUITE" "$DISK_GB" "${PACKAGES[*]}" | sha256sum | cut -d' ' -f1
}

find_vagrant_pubkey() {
    local candidate
    if [[ -n ${TESTBOX_VAGRANT_PUBKEY:-} ]]; then
        [[ -r $TESTBOX_VAGRANT_PUBKEY ]] || die "TESTBOX_VAGRANT_PUBKEY=$TESTBOX_VAGRANT_PUBKEY is not readable; point it at vagrant's keys/vagrant.pub"
        echo "$TESTBOX_VAGRANT_PUBKEY"
        return 0
    fi
    for candidate in /usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub \
        /opt/vagrant/embedded/gems/gems/vagrant-*/keys/vagrant.pub \
        /opt/vagrant/embedded/gems/*/gems/vagrant-*/keys/vagrant.pub; do
        if [[ -r $candidate ]]; then
            echo "$candidate"
            return 0
        fi
    done
    die "vagrant's insecure public key (keys/vagrant.pub) not found; install vagrant or set TESTBOX_VAGRANT_PUBKEY"
}

check_host() {
    [[ $EUID -eq 0 ]] || die "debootstrap needs root; run it with sudo"
    [[ $DISK_GB =~ ^[1-9][0-9]*$ ]] || die "TESTBOX_DISK_GB=$DISK_GB is not a positive whole number of GB; use e.g. 4"
    local tool package
    for tool in debootstrap:debootstrap qemu-img:qemu-utils mkfs.ext4:e2fsprogs; do
        package=${tool#*:}
        command -v "${tool%%:*}" >/dev/null || die "${tool%%:*} not found; install it with: apt-get install $package"
    done
}

# Unmount anything an interrupted debootstrap left mounted inside the rootfs, then delete.
cleanup_workdir() {
    local mnt
    [[ -n $WORKDIR && -d $WORKDIR ]] || return 0
    for mnt in dev/pts dev sys proc; do
        if mountpoint -q "$WORKDIR/rootfs/$mnt"; then
            umount -l "$WORKDIR/rootfs/$mnt"
        fi
    done
    rm -rf --one-file-system "$WORKDIR"
}

bootstrap_rootfs() {
    local rootfs=$1 packages
    packages=$(
        IFS=,
        echo "${PACKAGES[*]}"
    )
    debootstrap --variant=minbase --include="$packages" "$SUITE" "$rootfs" "$MIRROR"
}

write_network_config() {
    local rootfs=$1
    mkdir -p "$rootfs/etc/systemd/network"
    # eth0 is the management NIC. Identify by MAC, never by the machine-id-derived DUID, so
    # clones of one image get distinct leases. Other NICs stay unmanaged unless vagrant
    # configures them (its 50-vagrant-ethN.network files).
    cat >"$rootfs/etc/systemd/network/90-eth0-dhcp.network" <<'EOF'
[Match]
Name=eth0

[Network]
DHCP=ipv4

[DHCPv4]
ClientIdentifier=mac
UseDomains=true
UseHostname=false
EOF
    # Name resolution follows the DNS server DHCP hands out; resolv.conf lists it directly.
    ln -sf ../run/systemd/resolve/resolv.conf "$rootfs/etc/resolv.conf"
    chroot "$rootfs" systemctl enable systemd-networkd.service systemd-resolved.service
}

write_vagrant_access() {
    local rootfs=$1 pubkey=$2
    chroot "$rootfs" useradd --create-home --shell /bin/bash --user-group vagrant
    printf 'vagrant:vagrant\nroot:vagrant\n' | chroot "$rootfs" chpasswd
    printf 'vagrant ALL=(ALL) NOPASSWD:ALL\n' >"$rootfs/etc/sudoers.d/vagrant"
    chmod 0440 "$rootfs/etc/sudoers.d/vagrant"
    local uid gid
    uid=$(chroot "$rootfs" id -u vagrant)
    gid=$(chroot "$rootfs" id -g vagrant)
    install -d -m 0700 -o "$uid" -g "$gid" "$rootfs/home/vagrant/.ssh"
    install -m 0600 -o "$uid" -g "$gid" "$pubkey" "$rootfs/home/vagrant/.ssh/authorized_keys"
    printf 'UseDNS no\nHostKey /etc/ssh/ssh_host_ed25519_key\nHostKey /etc/ssh/ssh_host_ecdsa_key\n' \
        >"$rootfs/etc/ssh/sshd_config.d/labbuilder-testbox.conf"
}

# Host keys and the Open vSwitch database would otherwise be shared by every clone. Only
# ed25519 and ECDSA host keys: an RSA key takes ~20 s to generate under emulation.
write_first_boot_identity() {
    local rootfs=$1
    : >"$rootfs/etc/machine-id"
    rm -f "$rootfs/var/lib/dbus/machine-id"
    ln -s /etc/machine-id "$rootfs/var/lib/dbus/machine-id"
    rm -f "$rootfs"/etc/ssh/ssh_host_*
    cat >"$rootfs/etc/systemd/system/ssh-hostkeys.service" <<'EOF'
[Unit]
Description=Generate SSH host keys on first boot
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key
ExecStart=/usr/bin/ssh-keygen -q -t ecdsa -N "" -f /etc/ssh/ssh_host_ecdsa_key

[Install]
WantedBy=multi-user.target
EOF
    # Port 22 listens from early boot (socket activation, one `sshd -i` per connection), not
    # from network.target on. Under emulation a guest's reserved address comes seconds before
    # that target, and Vagrant retries a refused SSH connection without a pause
    # (hashicorp/vagrant#10776), taking a host core from the booting guests. A connection that
    # arrives before the host keys exist waits for them.
    mkdir -p "$rootfs/etc/systemd/system/ssh@.service.d"
    printf '[Unit]\nAfter=ssh-hostkeys.service\n' \
        >"$rootfs/etc/systemd/system/ssh@.service.d/labbuilder-hostkeys.conf"
    chroot "$rootfs" systemctl disable ssh.service
    chroot "$rootfs" systemctl enable ssh-hostkeys.service ssh.socket openvswitch-switch.service chrony.service
    rm -f "$rootfs"/etc/openvswitch/conf.db "$rootfs"/etc/openvswitch/system-id.conf \
        "$rootfs"/etc/openvswitch/.conf.db.~lock~
}

configure_rootfs() {
    local rootfs=$1 pubkey=$2
    printf 'testbox\n' >"$rootfs/etc/hostname"
    printf '127.0.0.1 localhost\n127.0.1.1 testbox\n' >"$rootfs/etc/hosts"
    printf '/dev/vda / ext4 defaults,noatime 0 0\n' >"$rootfs/etc/fstab"
    printf 'deb %s %s main\n' "$MIRROR" "$SUITE" >"$rootfs/etc/apt/sources.list"
    write_network_config "$rootfs"
    write_vagrant_access "$rootfs" "$pubkey"
    write_first_boot_identity "$rootfs"
    chroot "$rootfs" systemctl mask "${MASKED_UNITS[@]}"
}

# Move kernel and initrd out of the rootfs into the box directory, then slim the rootfs.
extract_boot_files() {
    local rootfs=$1 boxdir=$2 kernels
    kernels=("$rootfs"/boot/vmlinuz-*)
    [[ ${#kernels[@]} -eq 1 && -f ${kernels[0]} ]] || die "expected one kernel in $rootfs/boot, found: ${kernels[*]}"
    local version=${kernels[0]##*/vmlinuz-}
    install -m 0644 "${kernels[0]}" "$boxdir/vmlinuz"
    install -m 0644 "$rootfs/boot/initrd.img-$version" "$boxdir/initrd.img"
    rm -rf "${rootfs:?}"/boot/* "$rootfs"/vmlinuz* "$rootfs"/initrd.img* \
        "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
        "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
}

make_disk_image() {
    local rootfs=$1 boxdir=$2 raw=$1.raw
    truncate -s "${DISK_GB}G" "$raw"
    mkfs.ext4 -q -F -L root -d "$rootfs" "$raw"
    qemu-img convert -c -O qcow2 "$raw" "$boxdir/box.img"
    rm -f "$raw"
}

write_box_metadata() {
    local boxdir=$1
    printf '{"provider": "libvirt", "format": "qcow2", "virtual_size": %s}\n' "$DISK_GB" \
        >"$boxdir/metadata.json"
    cat >"$boxdir/Vagrantfile" <<EOF
# Direct kernel boot: kernel and initrd ship inside this box, so QEMU reads them from the box
# directory under VAGRANT_HOME, which must be traversable by the user QEMU runs as.
Vagrant.configure("2") do |config|
  config.vm.synced_folder ".", "/vagrant", disabled: true
  config.vm.provider :libvirt do |libvirt|
    libvirt.kernel = File.expand_path("vmlinuz", __dir__)
    libvirt.initrd = File.expand_path("initrd.img", __dir__)
    libvirt.cmd_line = "$KERNEL_CMDLINE"
    libvirt.disk_bus = "virtio"
  end
end
EOF
}

main() {
    local if_changed=false
    if [[ ${1:-} == --if-changed ]]; then
        if_changed=true
        shift
    fi
    [[ $# -eq 1 && $1 != -* ]] || die "usage: build-testbox.sh [--if-changed] OUTDIR"
    local outdir=$1
    local box=$outdir/$BOX_NAME.box stamp=$outdir/$BOX_NAME.inputs inputs
    inputs=$(inputs_stamp)
    if [[ $if_changed == true && -f $box && -f $stamp && $(<"$stamp") == "$inputs" ]]; then
        echo "test box up to date: $box"
        return 0
    fi
    check_host
    local pubkey
    pubkey=$(find_vagrant_pubkey)

    mkdir -p "$outdir"
    WORKDIR=$(mktemp -d "$outdir/.$BOX_NAME-build.XXXXXX")
    trap cleanup_workdir EXIT
    local rootfs=$WORKDIR/rootfs boxdir=$WORKDIR/box
    mkdir -p "$rootfs" "$boxdir"

    local start step
    start=$(date +%s)
    step=$start
    bootstrap_rootfs "$rootfs"
    timing debootstrap "$step"

    step=$(date +%s)
    configure_rootfs "$rootfs" "$pubkey"
    extract_boot_files "$rootfs" "$boxdir"
    timing configure "$step"

    step=$(date +%s)
    make_disk_image "$rootfs" "$boxdir"
    timing image "$step"

    step=$(date +%s)
    write_box_metadata "$boxdir"
    tar -C "$boxdir" -cf "$WORKDIR/$BOX_NAME.box" metadata.json Vagrantfile vmlinuz initrd.img box.img
    rm -f "$stamp"
    mv "$WORKDIR/$BOX_NAME.box" "$box"
    printf '%s\n' "$inputs" >"$stamp"
    timing package "$step"
    timing total "$start"
    echo "built $box ($(du -h "$box" | cut -f1))"
}

main "$@"
