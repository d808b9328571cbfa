"""Packstack: its answer-file format, option schema and rules, run control and console output."""
