"""A class: students, the lab settings they share, and each student's seat (stable ID, lab name,
subnets). Pure: allocation takes what the host already uses (``classfile`` reads the files).

The allocation is kept in a class state file (``labs/.classes/<class>/allocation.yaml``): a
student keeps their seat for as long as the file exists, so adding a student later changes
nobody else's ID, lab name or subnets. A student dropped from the roster keeps their seat,
marked departed, until ``class.down`` removes their lab.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Network
from typing import Any

import yaml

from labbuilder.errors import ConfigError
from labbuilder.model.capacity import Policy
from labbuilder.model.planner import check_lab_name

LAB_NAME_MAX = 20
CLASS_NAME = re.compile(r"^[a-z][a-z0-9]{0,9}$")
SEAT_PREFIX = 24
DEFAULT_EXTERNAL_POOL = "10.200.0.0/16"
DEFAULT_TUNNEL_POOL = "192.168.128.0/17"


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
    horizon_ports: int = 0
    """First host port of the dashboard forwards: a student's is this plus their lab ID; 0:
    none."""


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
