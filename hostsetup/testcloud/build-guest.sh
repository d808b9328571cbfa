#!/bin/bash
# Build a tiny cirros-like guest image from Debian packages only, with the tools of the test
# cloud's root filesystem (build-rootfs.sh): Debian's cloud kernel and its virtio modules, an
# initramfs with busybox and dropbear that brings eth0 up by DHCP, fetches the SSH key from the
# metadata service into user "cirros" and serves SSH. The disk is MBR + FAT + syslinux
# holding kernel and initramfs; about 15 MB as a compressed qcow2.
# usage: build-guest.sh ROOTFS OUT.qcow2
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOTFS=${1:?usage: build-guest.sh ROOTFS OUT.qcow2}
OUT=${2:?usage: build-guest.sh ROOTFS OUT.qcow2}
WORK=$(mktemp -d "$(dirname "$OUT")/guest.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp "$HERE/guest-init.sh" "$WORK/init"
# the build runs chrooted in the cached root filesystem, writing only to the bound work dir
# shellcheck disable=SC2016 # expanded by the inner shell
unshare --mount bash -c '
    set -e
    mount --bind "$2" "$1/mnt"
    mount -t proc proc "$1/proc"
    chroot "$1" /bin/bash -s
' build "$ROOTFS" "$WORK" <<'EOF'
set -euo pipefail
cd /mnt
K=$(basename /lib/modules/*)
R=/mnt/initrd
mkdir -p $R/{bin,sbin,etc/udhcpc,etc/dropbear,proc,sys,dev,run,tmp,root,lib/modules}
mkdir -p $R/home/cirros/.ssh
cp /bin/busybox $R/bin/busybox
: >$R/lib/modules/order
for m in virtio_pci virtio_net virtio_blk virtio_rng; do
    modprobe -S "$K" --show-depends "$m" | awk '$1 == "insmod" {print $2}' | while read -r p; do
        b=$(basename "$p"); b=${b%%.ko*}
        grep -qx "$b" $R/lib/modules/order && continue
        case $p in
            *.xz) python3 -c 'import lzma,sys; sys.stdout.buffer.write(lzma.open(sys.argv[1]).read())' "$p" ;;
            *) cat "$p" ;;
        esac >"$R/lib/modules/$b.ko"
        echo "$b" >>$R/lib/modules/order
    done
done
cp /usr/sbin/dropbear $R/sbin/
cp /usr/bin/dropbearkey $R/bin/
ldd /usr/sbin/dropbear /usr/bin/dropbearkey | awk '/=> \// {print $3} /^\t\// {print $1}' |
    sort -u | while read -r lib; do cp -L --parents "$lib" $R; done
printf 'root:x:0:0:root:/root:/bin/sh\ncirros:x:1000:1000:cirros:/home/cirros:/bin/sh\n' >$R/etc/passwd
printf 'root:*:19000:0:99999:7:::\ncirros:*:19000:0:99999:7:::\n' >$R/etc/shadow
printf 'root:x:0:\ncirros:x:1000:\n' >$R/etc/group
echo /bin/sh >$R/etc/shells
cat >$R/etc/udhcpc/default.script <<'S'
#!/bin/sh
case "$1" in
    bound|renew)
        ip addr flush dev "$interface"
        ip addr add "$ip/${mask:-24}" dev "$interface"
        [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
        [ -n "$router" ] && ip route add default via "${router%% *}" dev "$interface"
        ;;
esac
exit 0
S
chmod 755 $R/etc/udhcpc/default.script
install -m 755 /mnt/init $R/init
(cd $R && find . | cpio -o -H newc --quiet | gzip -9) >/mnt/initrd.gz
cp "/boot/vmlinuz-$K" /mnt/vmlinuz
cat >/mnt/syslinux.cfg <<'S'
DEFAULT linux
TIMEOUT 0
PROMPT 0
LABEL linux
  KERNEL vmlinuz
  APPEND initrd=initrd.gz console=tty0 console=ttyS0,115200n8 quiet
S
IMG=/mnt/disk.raw
OFFSET=$((2048 * 512))
truncate -s 64M $IMG
printf 'label: dos\nstart=2048, type=6, bootable\n' | sfdisk -q $IMG
mkfs.fat -F 16 -n LBGUEST --offset 2048 $IMG $(((64 * 1024 * 1024 - OFFSET) / 1024)) >/dev/null
dd if=/usr/lib/SYSLINUX/mbr.bin of=$IMG bs=440 count=1 conv=notrunc status=none
syslinux --offset $OFFSET --install $IMG
MTOOLS_SKIP_CHECK=1 mcopy -i $IMG@@$OFFSET /mnt/vmlinuz /mnt/initrd.gz /mnt/syslinux.cfg ::/
qemu-img convert -f raw -O qcow2 -c $IMG /mnt/guest.qcow2
EOF
mv "$WORK/guest.qcow2" "$OUT"
