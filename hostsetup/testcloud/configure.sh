#!/bin/bash
# Runs INSIDE the test cloud's chroot and namespaces (see up.sh): configures and starts an
# all-in-one OpenStack from Debian's packages, without systemd (the packages' init scripts).
# Environment (from up.sh): TC_FQDN TC_IP TC_PREFIX TC_TUNNEL_IP TC_PASSWORD
set -euo pipefail
: "${TC_FQDN:?}" "${TC_IP:?}" "${TC_PREFIX:?}" "${TC_TUNNEL_IP:?}" "${TC_PASSWORD:?}"
PW=$TC_PASSWORD
IP=$TC_IP
DB=127.0.0.1
RABBIT=rabbit://openstack:$PW@127.0.0.1:5672/
T0=$(date +%s)

say() { echo "[$(($(date +%s) - T0))s] $*"; }
ini() { crudini --set "$@"; }
start() { for s in "$@"; do /etc/init.d/"$s" start >/dev/null; done; }
uwsgi_api() { # one process, a few threads (2 shared cores); uwsgi's http-socket does not
    # keep connections alive, so say so (clients would reuse a closed one after a 204)
    sed -i -e 's/^processes = .*/processes = 1/' -e 's/^threads = .*/threads = 4/' "$1"
    echo "add-header = Connection: close" >>"$1"
}
keystone_auth() { # file section user: keystonemiddleware / keystoneauth options
    ini "$1" "$2" www_authenticate_uri "http://$IP:5000"
    ini "$1" "$2" auth_url "http://$IP:5000"
    ini "$1" "$2" memcached_servers 127.0.0.1:11211
    ini "$1" "$2" auth_type password
    ini "$1" "$2" project_domain_name Default
    ini "$1" "$2" user_domain_name Default
    ini "$1" "$2" project_name service
    ini "$1" "$2" username "$3"
    ini "$1" "$2" password "$PW"
    ini "$1" "$2" region_name RegionOne
}
rabbit() { # file: the message bus; uwsgi-hosted APIs need the heartbeat in a pthread
    ini "$1" DEFAULT transport_url "$RABBIT"
    ini "$1" oslo_messaging_rabbit heartbeat_in_pthread true
}

say "base services"
# listen on the node's address, as Packstack's MariaDB does
printf '[mysqld]\nbind-address = 0.0.0.0\n' >/etc/mysql/mariadb.conf.d/99-testcloud.cnf
start memcached mariadb rabbitmq-server
until rabbitmqctl -q status >/dev/null 2>&1; do sleep 1; done
rabbitmqctl -q add_user openstack "$PW" >/dev/null
rabbitmqctl -q set_permissions openstack '.*' '.*' '.*' >/dev/null
for db in keystone glance placement nova_api nova nova_cell0 neutron; do
    user=${db%%_*}
    mysql -e "CREATE DATABASE $db; GRANT ALL ON $db.* TO '$user'@'127.0.0.1' IDENTIFIED BY '$PW'; GRANT ALL ON $db.* TO '$user'@'localhost' IDENTIFIED BY '$PW';"
done

say "keystone"
K=/etc/keystone/keystone.conf
ini $K database connection "mysql+pymysql://keystone:$PW@$DB/keystone"
ini $K token provider fernet
ini $K cache enabled true
ini $K cache backend dogpile.cache.memcached
ini $K cache memcache_servers 127.0.0.1:11211
uwsgi_api /etc/keystone/keystone-uwsgi.ini
su -s /bin/sh -c "keystone-manage db_sync" keystone
keystone-manage fernet_setup --keystone-user keystone --keystone-group keystone
keystone-manage credential_setup --keystone-user keystone --keystone-group keystone
keystone-manage bootstrap --bootstrap-password "$PW" --bootstrap-region-id RegionOne \
    --bootstrap-admin-url "http://$IP:5000/v3/" --bootstrap-internal-url "http://$IP:5000/v3/" \
    --bootstrap-public-url "http://$IP:5000/v3/"
start keystone
export OS_AUTH_URL=http://$IP:5000/v3 OS_USERNAME=admin OS_PASSWORD=$PW OS_PROJECT_NAME=admin \
    OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_IDENTITY_API_VERSION=3 \
    OS_REGION_NAME=RegionOne
until curl -sf "http://$IP:5000/v3" >/dev/null; do sleep 1; done
# the catalog in one process (each openstack-client start costs seconds here)
python3 - "$IP" "$PW" <<'PY'
import sys
import openstack

ip, password = sys.argv[1:]
conn = openstack.connect(cloud="envvars")
ident = conn.identity
service_project = ident.create_project(name="service", domain_id="default")
admin = ident.find_role("admin", ignore_missing=False)
for user, kind, path in (
    ("glance", "image", "9292"),
    ("placement", "placement", "8778"),
    ("nova", "compute", "8774/v2.1"),
    ("neutron", "network", "9696"),
):
    account = ident.create_user(name=user, password=password, domain_id="default")
    ident.assign_project_role_to_user(service_project, account, admin)
    service = ident.create_service(name=user, type=kind)
    for interface in ("public", "internal", "admin"):
        ident.create_endpoint(
            service_id=service.id, interface=interface, url=f"http://{ip}:{path}",
            region_id="RegionOne",
        )
PY

say "glance"
G=/etc/glance/glance-api.conf
ini $G database connection "mysql+pymysql://glance:$PW@$DB/glance"
keystone_auth $G keystone_authtoken glance
ini $G paste_deploy flavor keystone
ini $G DEFAULT enabled_backends fs:file
ini $G glance_store default_backend fs
ini $G fs filesystem_store_datadir /var/lib/glance/images/
uwsgi_api /etc/glance/glance-api-uwsgi.ini
su -s /bin/sh -c "glance-manage db_sync" glance >/dev/null 2>&1
start glance-api

say "placement"
P=/etc/placement/placement.conf
ini $P placement_database connection "mysql+pymysql://placement:$PW@$DB/placement"
ini $P api auth_strategy keystone
keystone_auth $P keystone_authtoken placement
uwsgi_api /etc/placement/placement-api-uwsgi.ini
su -s /bin/sh -c "placement-manage db sync" placement
start placement-api

say "libvirt"
Q=/etc/libvirt/qemu.conf
# no cgroups, namespaces or security driver in here; guests run under TCG
cat >>$Q <<'EOF'
user = "root"
group = "root"
cgroup_controllers = [ ]
namespaces = [ ]
security_driver = "none"
stdio_handler = "file"
EOF
start dbus libvirtd
until virsh -c qemu:///system version >/dev/null 2>&1; do sleep 1; done

say "nova"
N=/etc/nova/nova.conf
rabbit $N
ini $N DEFAULT my_ip "$IP"
ini $N DEFAULT host "$TC_FQDN"
ini $N DEFAULT compute_driver libvirt.LibvirtDriver
ini $N api_database connection "mysql+pymysql://nova:$PW@$DB/nova_api"
ini $N database connection "mysql+pymysql://nova:$PW@$DB/nova"
ini $N api auth_strategy keystone
keystone_auth $N keystone_authtoken nova
keystone_auth $N placement placement
keystone_auth $N neutron neutron
ini $N neutron service_metadata_proxy true
ini $N neutron metadata_proxy_shared_secret "$PW"
ini $N service_user send_service_user_token true
keystone_auth $N service_user nova
ini $N glance api_servers "http://$IP:9292"
ini $N vnc enabled true
ini $N spice enabled false
ini $N vnc server_listen 0.0.0.0
ini $N vnc server_proxyclient_address "$IP"
ini $N oslo_concurrency lock_path /var/lib/nova/tmp
ini $N conductor workers 1
ini $N scheduler workers 1
ini $N scheduler discover_hosts_in_cells_interval 10
ini $N libvirt virt_type qemu
ini $N libvirt cpu_mode none
# nova-compute.conf is read after nova.conf and would set its own driver
ini /etc/nova/nova-compute.conf DEFAULT compute_driver libvirt.LibvirtDriver
ini /etc/nova/nova-compute.conf libvirt virt_type qemu
uwsgi_api /etc/nova/nova-api-uwsgi.ini
# the console proxy Packstack runs (Debian's default is spice)
sed -i 's/^NOVA_CONSOLE_PROXY_TYPE=.*/NOVA_CONSOLE_PROXY_TYPE=novnc/' /etc/default/nova-consoleproxy
uwsgi_api /etc/nova/nova-api-metadata-uwsgi.ini
su -s /bin/sh -c "nova-manage api_db sync" nova
su -s /bin/sh -c "nova-manage cell_v2 map_cell0" nova
su -s /bin/sh -c "nova-manage cell_v2 create_cell --name=cell1" nova >/dev/null
su -s /bin/sh -c "nova-manage db sync" nova >/dev/null 2>&1
start nova-api nova-api-metadata nova-conductor nova-scheduler nova-novncproxy nova-compute

say "open vswitch (userspace datapath)"
mkdir -p /run/openvswitch /var/log/openvswitch
rm -f /etc/openvswitch/conf.db
ovsdb-tool create /etc/openvswitch/conf.db /usr/share/openvswitch/vswitch.ovsschema
ovsdb-server --remote=punix:/run/openvswitch/db.sock \
    --remote=db:Open_vSwitch,Open_vSwitch,manager_options --pidfile --detach \
    --log-file=/var/log/openvswitch/ovsdb-server.log
ovs-vsctl --no-wait init
ovs-vsctl --no-wait set-manager ptcp:6640:127.0.0.1
# no kernel datapath here: TSO must be on before vswitchd starts, or TCP fails (ICMP works)
ovs-vsctl --no-wait set Open_vSwitch . other_config:userspace-tso-enable=true
ovs-vswitchd --disable-system --pidfile --detach --log-file=/var/log/openvswitch/ovs-vswitchd.log
# br-ex holds eth0 and the node's external address, as on a Packstack network node
ethtool -K eth0 tso off gso off gro off tx off >/dev/null 2>&1 || true
ovs-vsctl --may-exist add-br br-ex -- set bridge br-ex datapath_type=netdev
ovs-vsctl --may-exist add-port br-ex eth0
ip addr del "$IP/$TC_PREFIX" dev eth0
ip addr add "$IP/$TC_PREFIX" dev br-ex
ip link set br-ex up

say "neutron"
Q=/etc/neutron/neutron.conf
rabbit $Q
ini $Q database connection "mysql+pymysql://neutron:$PW@$DB/neutron"
ini $Q DEFAULT core_plugin ml2
ini $Q DEFAULT service_plugins router
ini $Q DEFAULT auth_strategy keystone
ini $Q DEFAULT api_workers 1
ini $Q DEFAULT rpc_workers 1
ini $Q DEFAULT rpc_state_report_workers 0
ini $Q DEFAULT notify_nova_on_port_status_changes true
ini $Q DEFAULT notify_nova_on_port_data_changes true
ini $Q DEFAULT host "$TC_FQDN"
# a stopped agent shows as dead within seconds (the suites' failure checks wait for it)
ini $Q DEFAULT agent_down_time 20
ini $Q agent report_interval 5
keystone_auth $Q keystone_authtoken neutron
keystone_auth $Q nova nova
ini $Q oslo_concurrency lock_path /var/lib/neutron/tmp
M=/etc/neutron/plugins/ml2/ml2_conf.ini
ini $M ml2 type_drivers flat,vxlan
ini $M ml2 tenant_network_types vxlan
ini $M ml2 mechanism_drivers openvswitch
ini $M ml2 extension_drivers port_security
ini $M ml2_type_flat flat_networks extnet
ini $M ml2_type_vxlan vni_ranges 1:1000
O=/etc/neutron/plugins/ml2/openvswitch_agent.ini
ini $O ovs bridge_mappings extnet:br-ex
ini $O ovs local_ip "$TC_TUNNEL_IP"
ini $O ovs datapath_type netdev
ini $O agent tunnel_types vxlan
ini $O securitygroup firewall_driver openvswitch
ini /etc/neutron/l3_agent.ini DEFAULT interface_driver openvswitch
ini /etc/neutron/dhcp_agent.ini DEFAULT interface_driver openvswitch
ini /etc/neutron/metadata_agent.ini DEFAULT nova_metadata_host "$IP"
ini /etc/neutron/metadata_agent.ini DEFAULT metadata_proxy_shared_secret "$PW"
uwsgi_api /etc/neutron/neutron-api-uwsgi.ini
su -s /bin/sh -c "neutron-db-manage --config-file $Q --config-file $M upgrade heads" \
    neutron >/dev/null 2>&1
start neutron-api neutron-rpc-server
# agents that call the server before its queues exist wait a whole RPC timeout
until rabbitmqctl -q list_queues name 2>/dev/null | grep -q '^q-l3-plugin$'; do sleep 1; done
start neutron-openvswitch-agent neutron-dhcp-agent neutron-l3-agent neutron-metadata-agent

say "waiting for the agents and the hypervisor"
for _ in $(seq 1 150); do
    agents=$(openstack network agent list -f value -c Alive 2>/dev/null | grep -c True || true)
    computes=$(openstack compute service list -f value -c State 2>/dev/null | grep -c up || true)
    [ "$agents" -ge 4 ] && [ "$computes" -ge 3 ] && break
    sleep 2
done
su -s /bin/sh -c "nova-manage cell_v2 discover_hosts" nova >/dev/null
say "alive: $agents neutron agents, $computes nova services"
[ "$agents" -ge 4 ] && [ "$computes" -ge 3 ]
