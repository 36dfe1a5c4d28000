"""Briefing snapshots on the web (``routes``), on paper (``pdf``) and on a timetable (``schedule``).

What a snapshot holds and how it is kept: ``ioc.services.briefing``. How it looks:
``widgets.briefing``.
"""
