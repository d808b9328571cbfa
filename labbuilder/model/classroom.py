"""A class: students, the lab settings they share, and each student's seat (stable ID, lab name,
subnets). Pure: parsing takes text or loaded YAML, allocation takes what the host already uses.

The allocation is kept in a class state file (``labs/.classes/<class>/allocation.yaml``): a
student keeps their seat for as long as the file exists, so adding a student later changes
nobody else's ID, lab name or subnets. A student dropped from the roster keeps their seat,
marked departed, until ``class down`` removes their lab.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from ipaddress import AddressValueError, IPv4Network, NetmaskValueError
from typing import Any

import yaml

from labbuilder import names
from labbuilder.errors import ConfigError
from labbuilder.model.capacity import Policy
from labbuilder.model.planner import check_lab_name

LAB_NAME_MAX = 20
CLASS_NAME = re.compile(r"^[a-z][a-z0-9]{0,9}$")
SEAT_PREFIX = 24
DEFAULT_EXTERNAL_POOL = "10.200.0.0/16"
DEFAULT_TUNNEL_POOL = "192.168.128.0/17"
PER_STUDENT = ("lab", "external_subnet", "tunnel_subnet", "from_lock")
CLASS_KEYS = ("name", "students", "lab", "pools", "capacity", "concurrency")
STUDENT_KEYS = ("name", "lab", "email")


@dataclass(frozen=True)
class Student:
    name: str
    lab: str = ""
    """A lab name chosen in the class file; empty: derived from the name."""
    email: str = ""
    where: str = ""
    """Where the student is listed (``file:line`` or ``file: students[3]``), for errors."""

    @property
    def key(self) -> str:
        return student_key(self.name)


@dataclass(frozen=True)
class Pools:
    external: IPv4Network
    tunnel: IPv4Network


@dataclass(frozen=True)
class ClassSpec:
    name: str
    source: str
    students: tuple[Student, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)
    """The lab settings every student's lab shares (same keys as a lab file)."""
    pools: Pools = field(
        default_factory=lambda: Pools(
            IPv4Network(DEFAULT_EXTERNAL_POOL), IPv4Network(DEFAULT_TUNNEL_POOL)
        )
    )
    policy: Policy = field(default_factory=Policy)
    concurrency: int | None = None


@dataclass(frozen=True)
class Seat:
    id: int
    student: str
    lab: str
    external: IPv4Network
    tunnel: IPv4Network
    departed: bool = False

    @property
    def key(self) -> str:
        return student_key(self.student)


@dataclass(frozen=True)
class Allocation:
    class_name: str
    seats: tuple[Seat, ...] = ()

    def seat(self, student: str) -> Seat | None:
        """The seat of a student by name (any case/spacing) or by lab name."""
        key = student_key(student)
        return next((s for s in self.seats if key in (s.key, s.lab)), None)

    @property
    def present(self) -> tuple[Seat, ...]:
        return tuple(s for s in self.seats if not s.departed)


def student_key(name: str) -> str:
    """Identity of a student: case and spacing do not matter."""
    return " ".join(name.split()).casefold()


def slug(text: str) -> str:
    """ASCII, lowercase, '-' between words: ``José  Núñez`` -> ``jose-nunez``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def check_class_name(name: str, where: str) -> str:
    if not CLASS_NAME.match(name):
        raise ConfigError(
            f"{where}: class name {name!r} is not usable: use 1-10 lowercase letters or digits, "
            "starting with a letter (it prefixes every lab name)"
        )
    return name


def _subnet(text: Any, what: str, where: str) -> IPv4Network:
    try:
        net = IPv4Network(str(text).strip(), strict=True)
    except (AddressValueError, NetmaskValueError, ValueError):
        raise ConfigError(
            f"{where}: {what} {text!r} is not an IPv4 subnet: write it like 10.200.0.0/16"
        ) from None
    if net.prefixlen > SEAT_PREFIX:
        raise ConfigError(
            f"{where}: {what} {net} is smaller than one lab's /{SEAT_PREFIX}: give a larger pool"
        )
    return net


def parse_pools(data: Any, where: str) -> Pools:
    if data is None:
        data = {}
    if not isinstance(data, Mapping) or set(data) - {"external", "tunnel"}:
        raise ConfigError(f"{where}: 'pools' takes 'external' and 'tunnel' subnets only")
    ext = _subnet(data.get("external", DEFAULT_EXTERNAL_POOL), "external pool", where)
    tun = _subnet(data.get("tunnel", DEFAULT_TUNNEL_POOL), "tunnel pool", where)
    if ext.overlaps(tun):
        raise ConfigError(f"{where}: external pool {ext} overlaps tunnel pool {tun}: separate them")
    return Pools(ext, tun)


def _check_students(students: Sequence[Student], source: str) -> tuple[Student, ...]:
    if not students:
        raise ConfigError(f"{source}: the class has no students: list at least one")
    seen: dict[str, Student] = {}
    labs: dict[str, Student] = {}
    for s in students:
        if not s.name.strip():
            raise ConfigError(f"{s.where}: a student without a name: give every student a name")
        if s.key in seen:
            raise ConfigError(
                f"{s.where}: student {s.name!r} is listed twice (also {seen[s.key].where}): "
                "list each student once, or tell them apart in the name"
            )
        seen[s.key] = s
        if s.lab:
            if not names.LAB.fullmatch(s.lab):
                raise ConfigError(
                    f"{s.where}: lab name {s.lab!r} is not usable: use 1-20 lowercase letters, "
                    "digits or '-', starting with a letter"
                )
            if s.lab in labs:
                raise ConfigError(
                    f"{s.where}: lab name {s.lab!r} is also given to {labs[s.lab].name!r}: "
                    "give each student their own"
                )
            labs[s.lab] = s
    return tuple(students)


def parse_roster_csv(text: str, source: str) -> tuple[Student, ...]:
    """A roster: CSV with a ``name`` column (``lab`` and ``email`` optional)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
    if "name" not in header:
        raise ConfigError(
            f"{source}: a roster needs a 'name' column (first line like 'name,email'): add it"
        )
    students = []
    for row in reader:
        values = {k: (row.get(h) or "").strip() for k, h in header.items()}
        if not any(values.values()):
            continue
        students.append(
            Student(
                name=" ".join(values["name"].split()),
                lab=values.get("lab", ""),
                email=values.get("email", ""),
                where=f"{source}:{reader.line_num}",
            )
        )
    return _check_students(students, source)


def _student(item: Any, where: str) -> Student:
    if isinstance(item, str):
        return Student(name=" ".join(item.split()), where=where)
    if isinstance(item, Mapping):
        unknown = set(item) - set(STUDENT_KEYS)
        if unknown:
            raise ConfigError(
                f"{where}: unknown key {sorted(unknown)[0]!r}: a student takes "
                f"{', '.join(STUDENT_KEYS)}"
            )
        return Student(
            name=" ".join(str(item.get("name") or "").split()),
            lab=str(item.get("lab") or ""),
            email=str(item.get("email") or ""),
            where=where,
        )
    raise ConfigError(f"{where}: a student is a name or a mapping with 'name'")


def _positive(value: Any, what: str, where: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = 0.0
    if isinstance(value, bool) or number <= 0:
        raise ConfigError(f"{where}: {what} must be a positive number, not {value!r}")
    return number


def parse_policy(data: Any, where: str) -> Policy:
    if data is None:
        return Policy()
    known = ("vcpu_overcommit", "memory_headroom_mib", "disk_overcommit")
    if not isinstance(data, Mapping) or set(data) - set(known):
        raise ConfigError(f"{where}: 'capacity' takes {', '.join(known)}")
    base = Policy()
    return Policy(
        vcpu_overcommit=_positive(
            data.get("vcpu_overcommit", base.vcpu_overcommit), "vcpu_overcommit", where
        ),
        memory_headroom_mib=int(
            _positive(
                data.get("memory_headroom_mib", base.memory_headroom_mib),
                "memory_headroom_mib",
                where,
            )
        ),
        disk_overcommit=_positive(
            data.get("disk_overcommit", base.disk_overcommit), "disk_overcommit", where
        ),
    )


def parse_class_yaml(text: str, source: str, default_name: str) -> ClassSpec:
    """A class file: ``name``, ``students``, shared ``lab`` settings, ``pools``, ``capacity``,
    ``concurrency``. Per-student keys (lab name, subnets) are refused in ``lab``."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ConfigError(f"{where}: not valid YAML: fix the class file") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: a class file is a mapping with 'students' (and 'lab')")
    unknown = set(data) - set(CLASS_KEYS)
    if unknown:
        raise ConfigError(
            f"{source}: unknown key {sorted(unknown)[0]!r}: a class file takes "
            f"{', '.join(CLASS_KEYS)}"
        )
    name = check_class_name(str(data.get("name") or default_name), source)
    items = data.get("students") or []
    if not isinstance(items, list):
        raise ConfigError(f"{source}: 'students' must be a list of names")
    students = [_student(item, f"{source}: students[{i + 1}]") for i, item in enumerate(items)]
    settings = data.get("lab") or {}
    if not isinstance(settings, Mapping):
        raise ConfigError(f"{source}: 'lab' must be a mapping of lab settings")
    for key in PER_STUDENT:
        if key in settings:
            raise ConfigError(
                f"{source}: lab.{key} is set per student by the class: remove it "
                "(use 'pools' for the subnets)"
            )
    concurrency = data.get("concurrency")
    return ClassSpec(
        name=name,
        source=source,
        students=_check_students(students, source),
        settings=dict(settings),
        pools=parse_pools(data.get("pools"), source),
        policy=parse_policy(data.get("capacity"), source),
        concurrency=int(_positive(concurrency, "concurrency", source)) if concurrency else None,
    )


def parse_class_file(text: str, source: str, default_name: str) -> ClassSpec:
    """A ``.csv`` roster or a YAML class file, told apart by the file name."""
    if source.lower().endswith(".csv"):
        name = check_class_name(default_name, source)
        return ClassSpec(name=name, source=source, students=parse_roster_csv(text, source))
    return parse_class_yaml(text, source, default_name)


def default_class_name(stem: str) -> str:
    """A class name from a file name: ``Spring 2027.csv`` -> ``spring2027``."""
    return slug(stem).replace("-", "")[:10]


def lab_name_for(student: Student, class_name: str, used: Iterable[str]) -> str:
    """``<class>-<student slug>``, at most 20 characters, unique among ``used``."""
    if student.lab:
        return student.lab
    taken = set(used)
    room = LAB_NAME_MAX - len(class_name) - 1
    base = slug(student.name)[:room].strip("-")
    if not base:
        raise ConfigError(
            f"{student.where}: student {student.name!r} has no letters or digits a lab name can "
            "use: give them a 'lab' (class file key or roster column)"
        )
    candidate = f"{class_name}-{base}"
    n = 2
    while candidate in taken:
        suffix = f"-{n}"
        candidate = f"{class_name}-{base[: room - len(suffix)].strip('-')}{suffix}"
        n += 1
    return check_lab_name(candidate)


def _free_subnets(pool: IPv4Network, taken: Sequence[IPv4Network], count: int) -> list[IPv4Network]:
    out: list[IPv4Network] = []
    if count == 0:
        return out
    for candidate in pool.subnets(new_prefix=SEAT_PREFIX):
        if not any(candidate.overlaps(net) for net in [*taken, *out]):
            out.append(candidate)
            if len(out) == count:
                break
    return out


def allocate(
    spec: ClassSpec, previous: Allocation | None, taken: Sequence[IPv4Network]
) -> Allocation:
    """Seats for every student of ``spec``: the ones in ``previous`` are kept as they are;
    new students get the lowest free ID and the first /24 of each pool that overlaps nothing
    in ``taken`` (host routes, libvirt networks) nor another seat.
    """
    old = previous.seats if previous else ()
    roster = {s.key for s in spec.students}
    kept = [replace(s, departed=s.key not in roster) for s in old]
    have = {s.key for s in kept}
    new = [s for s in spec.students if s.key not in have]
    held = [net for s in kept for net in (s.external, s.tunnel)]
    ext = _free_subnets(spec.pools.external, [*taken, *held], len(new))
    tun = _free_subnets(spec.pools.tunnel, [*taken, *held, *ext], len(new))
    for what, pool, got in (
        ("external", spec.pools.external, ext),
        ("tunnel", spec.pools.tunnel, tun),
    ):
        if len(got) < len(new):
            raise ConfigError(
                f"{spec.source}: the {what} pool {pool} has room for {len(got)} more lab(s) "
                f"next to the host's routes and libvirt networks, the class adds {len(new)}: "
                f"give a larger pools.{what}"
            )
    ids = {s.id for s in kept}
    labs = {s.lab for s in kept}
    seats = list(kept)
    for student, ext_net, tun_net in zip(new, ext, tun, strict=True):
        seat_id = next(i for i in range(1, len(ids) + 2) if i not in ids)
        lab = lab_name_for(student, spec.name, labs)
        if lab in labs:
            raise ConfigError(
                f"{student.where}: lab name {lab!r} already belongs to another student: "
                "choose another"
            )
        ids.add(seat_id)
        labs.add(lab)
        seats.append(Seat(seat_id, student.name, lab, ext_net, tun_net))
    return Allocation(spec.name, tuple(sorted(seats, key=lambda s: s.id)))


def without(allocation: Allocation, labs: Iterable[str]) -> Allocation:
    """The allocation with the departed seats of ``labs`` given up (their labs are gone)."""
    gone = set(labs)
    keep = tuple(s for s in allocation.seats if not (s.departed and s.lab in gone))
    return replace(allocation, seats=keep)


def dumps(allocation: Allocation) -> str:
    seats = [
        {
            "id": s.id,
            "student": s.student,
            "lab": s.lab,
            "external": str(s.external),
            "tunnel": str(s.tunnel),
            "departed": s.departed,
        }
        for s in allocation.seats
    ]
    header = (
        f"# Seats of class {allocation.class_name}: stable lab IDs, names and subnets.\n"
        "# Kept by labbuilder so that adding a student changes nobody else's; do not edit.\n"
    )
    return header + yaml.safe_dump(
        {"class": allocation.class_name, "seats": seats}, sort_keys=False, allow_unicode=True
    )


def loads(text: str, source: str) -> Allocation:
    try:
        data: Any = yaml.safe_load(text)
        seats = tuple(
            Seat(
                id=int(s["id"]),
                student=str(s["student"]),
                lab=str(s["lab"]),
                external=IPv4Network(str(s["external"])),
                tunnel=IPv4Network(str(s["tunnel"])),
                departed=bool(s.get("departed", False)),
            )
            for s in data.get("seats") or []
        )
        return Allocation(str(data["class"]), seats)
    except (yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError):
        raise ConfigError(
            f"{source} is damaged: restore it, or run `invoke class down` and delete it"
        ) from None
