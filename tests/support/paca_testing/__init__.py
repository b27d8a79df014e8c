"""Test support shared by every package's tests and ``tests/`` (not shipped)."""
