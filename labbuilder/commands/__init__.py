"""What each ``invoke`` task does; ``tasks.py`` imports only this package and ``errors``."""
