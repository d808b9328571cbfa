"""Pure data and planning: the lab, its addressing, settings, boxes, lock and secrets.

Imports nothing of labbuilder but ``errors`` and ``names``; no I/O.
"""
