"""The names a lab's OpenStack is reached with: the Keystone domain of its users and
projects, and the demo project and user the record step creates (clouds.yaml's ``<lab>-demo``)."""

from __future__ import annotations

DOMAIN = "Default"
DEMO = "demo"
MEMBER_ROLE = "member"
