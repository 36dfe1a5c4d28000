"""Briefing snapshots on the web (``routes``), on paper (``pdf``) and on a timetable (``schedule``).

The web side: ``routes`` (every route), ``listing`` (the list page and its filters),
``page`` (the page frame and refusals), ``guard`` (the one check before every
state-changing request: same origin, JSON, the form token, ``limits``' rate) and
``pdf_pool`` (a cap, a queue and a cache for PDF printing).

What a snapshot holds and how it is kept: ``ioc.services.briefing``. How it looks:
``widgets.briefing``.
"""
