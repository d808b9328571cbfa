#!/bin/busybox sh
# shellcheck shell=dash
# /init of the test guest (build-guest.sh): virtio modules, DHCP on eth0, the SSH key of the
# metadata service for user cirros, dropbear on port 22. Progress goes to the serial console.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
say() { echo "lbguest: $* ($(cut -d' ' -f1 /proc/uptime)s)" >/dev/console; }
while read -r m; do insmod "/lib/modules/$m.ko" 2>/dev/null; done </lib/modules/order
hostname lbguest
ip link set lo up
ip link set eth0 up
udhcpc -i eth0 -q -n -t 20 -T 3 -s /etc/udhcpc/default.script >/dev/null 2>&1
say "eth0 $(ip -4 -o addr show dev eth0 | awk '{print $4}')"
KEYS=/home/cirros/.ssh/authorized_keys
for _ in $(seq 1 60); do
    # busybox-static's wget needs NSS: plain HTTP/1.0 over nc
    printf 'GET /latest/meta-data/public-keys/0/openssh-key HTTP/1.0\r\nHost: 169.254.169.254\r\n\r\n' |
        nc -w 5 169.254.169.254 80 >/tmp/key.http 2>/dev/null
    if head -1 /tmp/key.http | grep -q ' 200 '; then
        sed '1,/^\r\{0,1\}$/d' /tmp/key.http >"$KEYS"
        say "ssh key from the metadata service"
        break
    fi
    sleep 2
done
chown -R 1000:1000 /home/cirros
chmod 700 /home/cirros/.ssh
chmod 600 "$KEYS" 2>/dev/null
dropbearkey -t ed25519 -f /etc/dropbear/host_key >/dev/null 2>&1
dropbear -r /etc/dropbear/host_key -p 22 && say "sshd up"
while :; do sleep 3600; done
