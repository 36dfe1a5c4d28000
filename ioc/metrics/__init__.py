"""Database metrics: a declared catalogue of SQL metrics, evaluated on a schedule."""
