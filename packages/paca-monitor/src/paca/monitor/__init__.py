"""Monitoring for PACA clients and connectors: metrics, alerts, Prometheus, dashboard.

DatabaseMonitor and API metrics: latency histograms, slow queries, alerts, Prometheus exposition
and a live dashboard.

This package is being built: its public names (DatabaseMonitor) arrive with the issue that
implements them.
"""

__all__: list[str] = []
