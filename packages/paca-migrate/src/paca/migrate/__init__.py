"""Versioned, checksummed, locked SQL migrations.

MigrationManager: versioned, checksummed, locked SQL migrations with up/down, status, dry-run
and a CLI.

This package is being built: its public names (MigrationManager) arrive with the issue that
implements them.
"""

__all__: list[str] = []
