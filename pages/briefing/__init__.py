"""Briefing snapshots on the web: routes, the list page, the guard, PDF printing."""
