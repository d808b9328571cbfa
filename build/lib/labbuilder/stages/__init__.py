"""Lifecycle steps of a lab, each small and idempotent: render, networks, vms, provision, deploy."""
