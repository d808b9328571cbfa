"""openstacksdk adapter: the only module that imports ``openstack`` (and ``keystoneauth1``).

The SDK takes a quarter of a second to import, so it is imported inside the functions that
talk to a cloud, never at module load: commands that do not (``plan``, ``--list``...) do not
pay for it. The SDK types other modules annotate with are re-exported here for type checking
only. SDK and Keystone failures a caller acts on come out as ``ToolError``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, cast

from labbuilder.errors import ToolError
from labbuilder.model.cloud import DEMO, DOMAIN, MEMBER_ROLE

if TYPE_CHECKING:
    from openstack import connection
    from openstack.block_storage.v3 import _proxy as block_storage
    from openstack.identity.v3 import _proxy as identity
    from openstack.image.v2 import _proxy as image

    Connection: TypeAlias = connection.Connection
    BlockStorage: TypeAlias = block_storage.Proxy
    Identity: TypeAlias = identity.Proxy
    Images: TypeAlias = image.Proxy

T = TypeVar("T")


def _failures() -> tuple[type[Exception], ...]:
    """What the SDK raises when a cloud refuses or cannot be reached."""
    from keystoneauth1.exceptions import ClientException
    from openstack.exceptions import SDKException

    return (SDKException, ClientException)


def connect(clouds_yaml: Path, cloud: str) -> Connection:
    """A connection to ``cloud`` of that clouds.yaml only (ignores the user's own files).

    Nothing is sent until the first call: a connection that cannot authenticate fails there.
    """
    from openstack.config.loader import OpenStackConfig
    from openstack.connection import Connection
    from openstack.exceptions import ConfigException

    try:
        region = OpenStackConfig(config_files=[str(clouds_yaml)]).get_one(cloud=cloud)
    except ConfigException as err:
        raise ToolError(f"{clouds_yaml}: {err}: re-run `invoke deploy` to write it") from None
    return Connection(config=region)


def service_catalog(conn: Connection) -> list[dict[str, Any]]:
    """The catalog of the connection's token (authenticates when needed)."""
    try:
        return list(conn.service_catalog)
    except _failures() as err:
        raise ToolError(f"cannot read the Keystone catalog: {err}") from None


def is_gone(get: Callable[[], object]) -> bool:
    """True when ``get()`` answers Not Found (the resource is deleted); its other errors
    propagate."""
    from openstack.exceptions import NotFoundException

    try:
        get()
    except NotFoundException:
        return True
    return False


def ensure_demo(conn: Connection, password: str) -> list[str]:
    """Project demo and user demo (member of it, with ``password``); what had to be done."""
    return ensure_member(conn, DEMO, DEMO, password, "Demo project of the lab")


def ensure_member(
    conn: Connection, user: str, project: str, password: str, description: str
) -> list[str]:
    """The project and the user (a member of it, with ``password``); what had to be done.

    Idempotent: what exists is kept. An existing user's password is set only when logging in
    with ``password`` fails, because Keystone revokes every token of a user whose password is
    set, even to the same value: a re-run must not log students out of Horizon, nor refuse a
    login made in the same second (token times are whole seconds). ToolError when Keystone
    refuses or cannot be reached.
    """
    try:
        identity = cast("Identity", conn.identity)  # clouds.yaml: v3
        return _ensure_member(
            identity, user, project, password, description, lambda: _logs_in(conn, user, password)
        )
    except _failures() as err:
        raise ToolError(str(err)) from None


def _logs_in(conn: Connection, user: str, password: str) -> bool:
    """True when ``user`` of the default domain gets a token with ``password`` (unscoped)."""
    from keystoneauth1 import session
    from keystoneauth1.exceptions import Unauthorized
    from keystoneauth1.identity import v3

    auth_url = conn.config.get_auth_args()["auth_url"]
    login = v3.Password(
        auth_url=auth_url, username=user, password=password, user_domain_name=DOMAIN
    )
    verify, cert = conn.config.get_requests_verify_args()
    try:
        login.get_access(session.Session(verify=verify, cert=cert))
    except Unauthorized:
        return False
    return True


def _ensure_member(
    identity: Identity,
    user_name: str,
    project_name: str,
    password: str,
    description: str,
    password_works: Callable[[], bool],
) -> list[str]:
    done: list[str] = []
    domain = identity.find_domain(DOMAIN, ignore_missing=False)
    project = _existing(identity.find_project, project_name, domain_id=domain.id)
    if project is None:
        project = identity.create_project(
            name=project_name, domain_id=domain.id, description=description
        )
        done.append(f"created project {project_name}")
    user = _existing(identity.find_user, user_name, domain_id=domain.id)
    if user is None:
        user = identity.create_user(
            name=user_name, domain_id=domain.id, password=password, default_project_id=project.id
        )
        done.append(f"created user {user_name}")
    elif not password_works():
        identity.update_user(user, password=password)
        done.append(f"set the password of user {user_name}")
    role = identity.find_role(MEMBER_ROLE, ignore_missing=False)
    if not identity.validate_user_has_project_role(project, user, role):
        identity.assign_project_role_to_user(project, user, role)
        done.append(f"gave user {user_name} the member role in project {project_name}")
    return done


def _existing(find: Callable[..., T], name: str, **query: str) -> T | None:
    from openstack.exceptions import NotFoundException

    try:
        return find(name, ignore_missing=False, **query)
    except NotFoundException:
        return None
