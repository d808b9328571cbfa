"""The only importers of outside tools: processes, ssh, libvirt, Vagrant, OpenStack, HTTP,
host facts, and Packstack. Each pairs pure ``build_*``/``parse_*`` functions with a thin runner
and turns the tool's exceptions into labbuilder's own errors.
"""
