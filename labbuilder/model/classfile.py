"""Reading a class: a YAML class file (students, shared lab settings, pools, capacity policy,
concurrency) or a roster CSV with a ``name`` column. Pure: text in, ``ClassSpec`` out; every
problem is one ``ConfigError`` line naming the file, the place and the fix."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from ipaddress import AddressValueError, IPv4Network, NetmaskValueError
from typing import Any

import yaml

from labbuilder import names
from labbuilder.errors import ConfigError
from labbuilder.model.capacity import Policy
from labbuilder.model.classroom import (
    DEFAULT_EXTERNAL_POOL,
    DEFAULT_TUNNEL_POOL,
    SEAT_PREFIX,
    ClassSpec,
    Pools,
    Student,
    check_class_name,
    slug,
)

PER_STUDENT = ("lab", "external_subnet", "tunnel_subnet", "from_lock", "horizon_port")
CLASS_KEYS = ("name", "students", "lab", "pools", "capacity", "concurrency", "horizon_ports")
STUDENT_KEYS = ("name", "lab", "email")


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
    ports = data.get("horizon_ports") or 0
    if ports and (
        isinstance(ports, bool) or not isinstance(ports, int) or not 1024 <= ports <= 65000
    ):
        raise ConfigError(
            f"{source}: horizon_ports {ports!r} is not a port: give the first host port of "
            "the dashboard forwards, 1024 to 65000 (a student's is it plus their lab ID)"
        )
    return ClassSpec(
        name=name,
        source=source,
        students=_check_students(students, source),
        settings=dict(settings),
        pools=parse_pools(data.get("pools"), source),
        policy=parse_policy(data.get("capacity"), source),
        concurrency=int(_positive(concurrency, "concurrency", source)) if concurrency else None,
        horizon_ports=int(ports),
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
