"""Lab -> text: the Vagrantfile, the answer file, clouds.yaml/openrc, the plan view, lab files.

Imports only ``model`` and the base modules; templates stay logic-free (StrictUndefined).
"""
