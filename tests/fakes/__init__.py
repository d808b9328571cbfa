"""Fakes for what cannot run in unit tests: in-memory libvirt and Vagrant (``host``) and the
``packstack`` command (a script run on the Debian test VMs)."""
