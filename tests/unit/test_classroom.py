"""Class files and rosters, lab names, seat allocation (stable, never overlapping what the host
uses), the capacity plan, handouts and the batch runner: pure, no libvirt."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from ipaddress import IPv4Network

import pytest

from labbuilder.commands import classdesk
from labbuilder.commands.flags import Flags
from labbuilder.errors import ConfigError, LabError
from labbuilder.model import capacity, classfile, classroom
from labbuilder.model.classroom import Allocation, ClassSpec, Pools, Student
from labbuilder.model.lab import Sizes
from labbuilder.render import cloudconfig, handout
from labbuilder.stages import batch

N = IPv4Network
POOLS = Pools(N("10.80.0.0/16"), N("192.168.180.0/22"))


def spec(*names: str, pools: Pools = POOLS, name: str = "cl") -> ClassSpec:
    return ClassSpec(
        name=name,
        source="class.yaml",
        students=tuple(Student(n, where=f"class.yaml: students[{i}]") for i, n in enumerate(names)),
        pools=pools,
    )


# --- rosters and class files ----------------------------------------------------------------


def test_roster_csv_reads_names_labs_and_emails():
    text = "\ufeffName,Email,lab\nAlice  Martin,a@x.org,\n\n  Bob ,b@x.org,bobs-lab\n"
    students = classfile.parse_roster_csv(text, "r.csv")
    assert [(s.name, s.email, s.lab, s.where) for s in students] == [
        ("Alice Martin", "a@x.org", "", "r.csv:2"),
        ("Bob", "b@x.org", "bobs-lab", "r.csv:4"),
    ]


CLASS_YAML = """
name: cl
students: [Alice, {name: Bob, lab: cl-robert}]
lab: {box: testbox, nodes: 1}
pools: {external: 10.80.0.0/16, tunnel: 192.168.180.0/22}
capacity: {vcpu_overcommit: 2, memory_headroom_mib: 1024}
concurrency: 3
"""


def test_class_yaml_reads_everything():
    got = classfile.parse_class_yaml(CLASS_YAML, "c.yaml", "ignored")
    assert got.name == "cl"
    assert [(s.name, s.lab) for s in got.students] == [("Alice", ""), ("Bob", "cl-robert")]
    assert got.settings == {"box": "testbox", "nodes": 1}
    assert got.pools == POOLS
    assert got.policy == capacity.Policy(2.0, 1024, 2.0)
    assert got.concurrency == 3


def test_file_kind_follows_the_name_and_the_class_name_the_file():
    got = classfile.parse_class_file("name\nAlice\n", "Spring 2027.csv", "spring2027")
    assert (got.name, [s.name for s in got.students]) == ("spring2027", ["Alice"])
    assert classfile.default_class_name("Spring 2027") == "spring2027"


@pytest.mark.parametrize(
    ("filename", "text", "message"),
    [
        ("r.csv", "email\na@x\n", "a roster needs a 'name' column"),
        ("r.csv", "name\n", "the class has no students"),
        (
            "r.csv",
            "name\nAlice\nalice \n",
            "r.csv:3: student 'alice' is listed twice (also r.csv:2)",
        ),
        ("r.csv", "name,email\n,a@x\n", "r.csv:2: a student without a name"),
        ("r.csv", "name,lab\nAlice,Alice Lab\n", "lab name 'Alice Lab' is not usable"),
        ("r.csv", "name,lab\nA,cl-x\nB,cl-x\n", "lab name 'cl-x' is also given to 'A'"),
        ("c.yaml", "students: [A]\nteacher: me\n", "unknown key 'teacher'"),
        ("c.yaml", "students: A\n", "'students' must be a list"),
        ("c.yaml", "students: [{name: A, age: 3}]\n", "students[1]: unknown key 'age'"),
        (
            "c.yaml",
            "students: [A]\nlab: {external_subnet: 10.1.0.0/24}\n",
            "lab.external_subnet is set per student",
        ),
        ("c.yaml", "students: [A]\nlab: [1]\n", "'lab' must be a mapping"),
        (
            "c.yaml",
            "students: [A]\npools: {external: 10.80.0.0/25}\n",
            "smaller than one lab's /24",
        ),
        ("c.yaml", "students: [A]\npools: {tunnel: 10.80.1.1/24}\n", "is not an IPv4 subnet"),
        (
            "c.yaml",
            "students: [A]\npools: {external: 10.0.0.0/8, tunnel: 10.1.0.0/16}\n",
            "overlaps tunnel pool",
        ),
        ("c.yaml", "students: [A]\npools: {internal: 10.0.0.0/8}\n", "'pools' takes"),
        (
            "c.yaml",
            "students: [A]\ncapacity: {vcpu_overcommit: 0}\n",
            "vcpu_overcommit must be a positive",
        ),
        ("c.yaml", "students: [A]\ncapacity: {ram: 1}\n", "'capacity' takes"),
        ("c.yaml", "students: [A]\nconcurrency: many\n", "concurrency must be a positive"),
        ("c.yaml", "students: [A]\nhorizon_ports: 80\n", "horizon_ports 80 is not a port"),
        ("c.yaml", "students: [A]\nhorizon_ports: web\n", "horizon_ports 'web' is not a port"),
        (
            "c.yaml",
            "students: [A]\nlab: {horizon_port: 8080}\n",
            "lab.horizon_port is set per student",
        ),
        ("c.yaml", "name: Class-1\nstudents: [A]\n", "class name 'Class-1' is not usable"),
        ("c.yaml", "students: [A\n", "c.yaml:2: not valid YAML"),
        ("c.yaml", "- A\n", "a class file is a mapping"),
    ],
)
def test_bad_class_files_are_one_line(filename, text, message):
    with pytest.raises(ConfigError) as err:
        classfile.parse_class_file(text, filename, "cl")
    assert message in err.value.message
    assert "\n" not in err.value.message


# --- lab names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "used", "lab"),
    [
        ("Alice Martin", (), "cl-alice-martin"),
        ("José  Núñez", (), "cl-jose-nunez"),
        ("Anne-Marie O'Neil-Fitzgerald", (), "cl-anne-marie-o-neil"),
        ("Alice", ("cl-alice",), "cl-alice-2"),
        ("Alice", ("cl-alice", "cl-alice-2"), "cl-alice-3"),
        ("Anne-Marie O'Neil-Fitzgerald", ("cl-anne-marie-o-neil",), "cl-anne-marie-o-ne-2"),
        ("007", (), "cl-007"),
    ],
)
def test_lab_names_are_dns_safe_unique_and_short(name, used, lab):
    got = classroom.lab_name_for(Student(name), "cl", used)
    assert got == lab
    assert len(got) <= 20


def test_a_name_without_letters_or_digits_cannot_become_a_lab_name():
    with pytest.raises(ConfigError, match=r"r.csv:4: student '李雷' has no letters or digits"):
        classroom.lab_name_for(Student("李雷", where="r.csv:4"), "cl", ())


# --- seats ----------------------------------------------------------------------------------


def seats(allocation: Allocation) -> list[tuple[int, str, str, str, str, bool]]:
    return [
        (s.id, s.student, s.lab, str(s.external), str(s.tunnel), s.departed)
        for s in allocation.seats
    ]


def test_first_allocation_takes_the_lowest_free_subnets():
    got = classroom.allocate(spec("Alice", "Bob"), None, [])
    assert seats(got) == [
        (1, "Alice", "cl-alice", "10.80.0.0/24", "192.168.180.0/24", False),
        (2, "Bob", "cl-bob", "10.80.1.0/24", "192.168.181.0/24", False),
    ]


def test_allocation_never_overlaps_host_routes_or_libvirt_networks():
    taken = [N("10.80.0.0/23"), N("10.80.2.128/25"), N("192.168.180.0/24")]
    got = classroom.allocate(spec("Alice", "Bob"), None, taken)
    for s in got.seats:
        assert not any(s.external.overlaps(t) or s.tunnel.overlaps(t) for t in taken)
    assert [str(s.external) for s in got.seats] == ["10.80.3.0/24", "10.80.4.0/24"]
    assert [str(s.tunnel) for s in got.seats] == ["192.168.181.0/24", "192.168.182.0/24"]


def test_reallocating_keeps_every_seat_even_when_the_host_changed():
    first = classroom.allocate(spec("Alice", "Bob"), None, [])
    taken_now = [first.seats[0].external, N("10.80.5.0/24")]  # own bridge route + a newcomer
    again = classroom.allocate(spec("Alice", "Bob"), first, taken_now)
    assert again == first
    assert classroom.loads(classroom.dumps(again), "a.yaml") == again


def test_adding_a_student_keeps_everyone_elses_seat():
    first = classroom.allocate(spec("Alice", "Bob"), None, [])
    added = classroom.allocate(spec("Carol", "alice", "Bob"), first, [N("10.80.2.0/24")])
    assert seats(added)[:2] == seats(first)
    assert seats(added)[2] == (3, "Carol", "cl-carol", "10.80.3.0/24", "192.168.182.0/24", False)


def test_a_departed_student_keeps_the_seat_until_their_lab_is_removed():
    first = classroom.allocate(spec("Alice", "Bob", "Carol"), None, [])
    left = classroom.allocate(spec("Alice", "Carol"), first, [])
    assert [(s.lab, s.departed) for s in left.seats] == [
        ("cl-alice", False),
        ("cl-bob", True),
        ("cl-carol", False),
    ]
    assert [s.lab for s in left.present] == ["cl-alice", "cl-carol"]
    dan = classroom.allocate(spec("Alice", "Carol", "Dan"), left, [])
    assert seats(dan)[3][:4] == (4, "Dan", "cl-dan", "10.80.3.0/24")  # Bob's seat still held
    freed = classroom.without(dan, ["cl-bob"])
    eve = classroom.allocate(spec("Alice", "Carol", "Dan", "Eve"), freed, [])
    assert seats(eve)[1][:4] == (2, "Eve", "cl-eve", "10.80.1.0/24")  # lowest free ID again
    back = classroom.allocate(spec("Alice", "Bob", "Carol"), left, [])
    assert back == first  # Bob came back before his lab was removed: same seat


def test_same_slug_students_get_distinct_labs_and_keep_them():
    first = classroom.allocate(spec("Ann Lee", "Ann-Lee"), None, [])
    assert [s.lab for s in first.seats] == ["cl-ann-lee", "cl-ann-lee-2"]
    again = classroom.allocate(spec("Ann-Lee", "Ann Lee"), first, [])
    assert again == first


@pytest.mark.parametrize(
    ("pools", "taken", "message"),
    [
        (
            Pools(N("10.80.0.0/23"), N("192.168.180.0/22")),
            [],
            "the external pool 10.80.0.0/23 has room for 2 more lab(s) next to the host's "
            "routes and libvirt networks, the class adds 3: give a larger pools.external",
        ),
        (
            Pools(N("10.80.0.0/16"), N("192.168.180.0/22")),
            [N("192.168.180.0/23")],
            "the tunnel pool 192.168.180.0/22 has room for 2 more lab(s)",
        ),
    ],
)
def test_a_pool_too_small_is_refused(pools, taken, message):
    with pytest.raises(ConfigError) as err:
        classroom.allocate(spec("A", "B", "C", pools=pools), None, taken)
    assert message in err.value.message


def test_a_damaged_allocation_file_is_named():
    with pytest.raises(ConfigError, match=r"a\.yaml is damaged"):
        classroom.loads("class: cl\nseats: [{id: x}]\n", "a.yaml")


# --- capacity -------------------------------------------------------------------------------

HOST = capacity.Host(cpus=8, mem_total_mib=65536, mem_available_mib=60000, disk_free_gib=500)
AIO = Sizes(vcpus=4, memory_mib=16384, disk_gib=80)


@pytest.mark.parametrize(
    ("per_lab", "labs", "running", "host", "policy", "fits", "binding"),
    [
        # RAM: 60000 - max(2048, 6553) = 53447 MiB -> 3 AIO labs of 16 GiB
        (AIO, 3, 0, HOST, capacity.Policy(), 3, "RAM"),
        (AIO, 5, 0, HOST, capacity.Policy(), 3, "RAM"),
        # running labs are already out of the available memory: 3 more still fit
        (AIO, 5, 2, HOST, capacity.Policy(), 3, "RAM"),
        # vCPUs: 8 x 2 = 16, 2 running labs hold 8 -> 2 more
        (AIO, 5, 2, HOST, capacity.Policy(vcpu_overcommit=2), 2, "vCPUs"),
        # disk: 500 GiB x 1 / 80 -> 6; RAM no limit here
        (
            Sizes(1, 512, 80),
            10,
            0,
            HOST,
            capacity.Policy(disk_overcommit=1),
            6,
            "disk",
        ),
        # headroom: the policy's 8 GiB beats 10% of RAM
        (
            Sizes(1, 1000, 1),
            100,
            0,
            capacity.Host(64, 16000, 12000, 500),
            capacity.Policy(memory_headroom_mib=8192),
            3,
            "RAM",
        ),
    ],
)
def test_capacity(per_lab, labs, running, host, policy, fits, binding):
    got = capacity.fit(per_lab, labs, running, host, policy)
    assert got.fits == min(fits, labs - running)
    assert got.binding.resource == binding
    assert got.ok == (fits >= labs - running)


def test_over_capacity_refusal_names_the_number_that_fits_and_what_to_change():
    got = capacity.fit(AIO, 5, 0, HOST, capacity.Policy())
    message = capacity.refusal(got, "cl")
    assert message == (
        "class cl does not fit this host: 3 of the 5 labs to start fit (RAM: 60000 MiB "
        "available - 6553 MiB headroom, 16384 MiB per lab): use fewer nodes or smaller "
        "--memory/--vcpus/--disk, change capacity.memory_headroom_mib in the class file, or "
        "move 2 student(s) to another host"
    )
    assert capacity.lines(got)[-1] == "5 labs to start, 3 fit: the class does NOT fit"


# --- flags ----------------------------------------------------------------------------------


def test_retry_flags_repeat_what_was_given():
    flags = Flags(nodes=1, box="testbox", network_node=False, memory=("aio=1024",), set=("A=b",))
    assert classdesk.flag_args(flags) == [
        "--nodes", "1", "--box", "testbox", "--memory", "aio=1024", "--set", "A=b"
    ]  # fmt: skip


# --- handouts -------------------------------------------------------------------------------

INVENTORY = {
    "domain": "cl-alice.test",
    "external": {"subnet": "10.80.0.0/24"},
    "tunnel": {"subnet": "192.168.180.0/24"},
    "nodes": [
        {
            "name": "controller",
            "fqdn": "controller.cl-alice.test",
            "roles": ["compute", "controller"],
            "external_ip": "10.80.0.10",
            "tunnel_ip": "192.168.180.10",
        }
    ],
}


def sheet(account: cloudconfig.Account | None) -> handout.Sheet:
    return handout.Sheet(
        class_name="cl",
        student="Alice <Admin> & Co",
        lab="cl-alice",
        stage="deploy" if account else "vms",
        inventory=INVENTORY,
        ssh_config="Host controller\n  HostName 10.80.0.10\n",
        account=account,
        reset="invoke class.reset cl.yaml --student Alice",
    )


def test_handout_markdown_has_nodes_access_credentials_and_reset():
    text = handout.markdown(sheet(cloudconfig.Account("cl-alice", "cl-alice", "s3cret")))
    for expected in (
        "# Lab cl-alice for Alice <Admin> & Co (class cl)",
        "| controller | controller.cl-alice.test | compute, controller | 10.80.0.10 | "
        "192.168.180.10 |",
        "    ssh -F ssh-config controller",
        "Horizon (dashboard): http://10.80.0.10/dashboard",
        "ssh -L 8080:10.80.0.10:80 YOU@THIS-HOST",
        "- user: cl-alice\n- project: cl-alice\n- password: s3cret\n",
        "auth_url: http://10.80.0.10:5000/v3",
        "Host controller\n  HostName 10.80.0.10\n",
        "    invoke class.reset cl.yaml --student Alice",
    ):
        assert expected in text
    assert "user: admin" not in text and "project: admin" not in text


def test_handout_of_a_forwarded_dashboard_gives_its_url_instead_of_a_tunnel():
    forwarded = replace(sheet(None), forwarded_url="http://labhost.example:8101/dashboard/")
    text = handout.markdown(forwarded)
    assert "forwarded by the lab host:\n\n    http://labhost.example:8101/dashboard/" in text
    assert "ssh -L" not in text
    assert "http://labhost.example:8101/dashboard/" in handout.html(forwarded)


def test_handout_before_deploy_says_when_the_account_comes():
    text = handout.markdown(sheet(None))
    assert "created when the lab is deployed (it is at stage vms)" in text
    assert "password:" not in text


def test_handout_html_is_escaped():
    text = handout.html(sheet(None))
    assert "Alice &lt;Admin&gt; &amp; Co" in text
    assert "<Admin>" not in text
    assert "<td>10.80.0.10</td>" in text


# --- batch ----------------------------------------------------------------------------------


def test_a_failing_job_does_not_stop_the_others_and_the_limit_holds():
    active, peak = [0], [0]
    lock = threading.Lock()

    def job(name: str, fail: bool) -> batch.Job:
        def run() -> str:
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.05)
            with lock:
                active[0] -= 1
            if fail:
                raise LabError(f"{name} broke")
            if name == "d":
                raise KeyError("surprise")
            return f"{name} done"

        return batch.Job(name, run)

    seen: list[str] = []
    outcomes = batch.run(
        [job("a", False), job("b", True), job("c", False), job("d", False)],
        2,
        lambda o: seen.append(o.name),
    )
    assert [(o.name, o.ok, o.detail) for o in outcomes] == [
        ("a", True, "a done"),
        ("b", False, "b broke"),
        ("c", True, "c done"),
        ("d", False, "unexpected KeyError: 'surprise'"),
    ]
    assert sorted(seen) == ["a", "b", "c", "d"]
    assert peak[0] == 2


@pytest.mark.parametrize(("cpus", "limit"), [(1, 1), (2, 1), (3, 1), (8, 4), (64, 32)])
def test_default_limit_is_half_the_cpus(cpus, limit):
    assert batch.default_limit(cpus) == limit


# --- settings of each lab -------------------------------------------------------------------


def test_each_lab_is_config_then_class_file_then_flags_then_its_seat(tmp_path):
    from labbuilder.classdir import ClassDir
    from labbuilder.commands import classroom as verbs

    klass_spec = classfile.parse_class_yaml(
        "name: cl\nstudents: [Alice]\nlab: {nodes: 2, release: caracal, box: testbox}\n",
        "c.yaml",
        "cl",
    )
    allocation = classroom.allocate(klass_spec, None, [])
    klass = verbs.Class("c.yaml", klass_spec, ClassDir.of(tmp_path, "cl"), allocation)
    config = {"lab": {"nodes": 1, "release": "epoxy", "ntp_servers": ["ntp.example"]}}
    got = verbs.seat_settings(config, klass, Flags(nodes=3), allocation.seats[0])
    assert (got.lab, got.nodes, got.release, got.box, got.ntp_servers) == (
        "cl-alice", 3, "caracal", "testbox", ("ntp.example",)
    )  # fmt: skip
    assert (got.external_subnet, got.tunnel_subnet) == ("10.200.0.0/24", "192.168.128.0/24")
    with pytest.raises(ConfigError, match="--tunnel-subnet is set per student"):
        verbs.seat_settings(config, klass, Flags(tunnel_subnet="10.9.0.0/24"), allocation.seats[0])
    assert got.horizon_port == 0  # no forward unless the class asks


def test_each_student_gets_the_dashboard_port_of_their_lab_id(tmp_path):
    from labbuilder.classdir import ClassDir
    from labbuilder.commands import classroom as verbs

    spec = classfile.parse_class_yaml(
        "students: [Alice, Bob]\nhorizon_ports: 8100\n", "c.yaml", "cl"
    )
    allocation = classroom.allocate(spec, None, [])
    klass = verbs.Class("c.yaml", spec, ClassDir.of(tmp_path, "cl"), allocation)
    got = {
        s.lab: (s.id, verbs.seat_settings({}, klass, Flags(), s).horizon_port)
        for s in allocation.seats
    }
    assert got == {"cl-alice": (1, 8101), "cl-bob": (2, 8102)}
    with pytest.raises(ConfigError, match="--horizon-port is set per student"):
        verbs.seat_settings({}, klass, Flags(horizon_port=9000), allocation.seats[0])


def test_class_reset_restores_only_a_written_stage_snapshot(tmp_path):
    """What class.reset asks before choosing restore over rebuild: a snapshot folder without its
    record (a save that failed half-way) and a snapshot saved by hand do not count."""
    from labbuilder.labdir import LabDir
    from labbuilder.model import snapshots as model
    from labbuilder.stages.snapshots import RECORD, resettable

    def record(name: str, auto: bool) -> str:
        taken = model.Record(name, "alice", "warm", "provision", "2026-11-29T00:00:00+00:00",
                             ("labbuilder-alice-controller",), 512, 0.4, auto)  # fmt: skip
        return model.dumps(taken)

    labdir = LabDir.of(tmp_path, "alice")
    assert not resettable(labdir)
    (labdir.root / "snapshots" / "provisioned").mkdir(parents=True)
    assert not resettable(labdir)
    (labdir.root / "snapshots" / "mine").mkdir(parents=True)
    (labdir.root / "snapshots" / "mine" / RECORD).write_text(record("mine", auto=False))
    assert not resettable(labdir)
    (labdir.root / "snapshots" / "provisioned" / RECORD).write_text(record("provisioned", True))
    assert resettable(labdir)
