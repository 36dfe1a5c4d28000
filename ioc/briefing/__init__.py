"""Briefing snapshots from the command line (``__main__``) and on a timetable (``schedule``).

What a snapshot is and how it is kept: ``ioc.model.snapshot`` (the stored row, the
list's filter, the canonical text and its digest), ``ioc.services.briefing`` (taking
and finding), ``ioc.services.briefing_record`` (the record), ``ioc.services.briefing_compare``
(two records compared) and ``ioc.store.snapshots`` (its SQL).

On the web, in ``pages.briefing``: ``routes`` (every route), ``listing`` (the list page
and its filters), ``page`` (the page frame, who may see which snapshot, refusals),
``guard`` (the one check before every state-changing request: same origin, JSON, the
form token, ``limits``' rate), ``pdf`` (printing with headless Chromium) and ``pdf_pool``
(a cap, a queue and a cache for it). How it looks: ``widgets.briefing`` (the document),
with ``briefing_blocks``, ``briefing_charts``, ``briefing_compare`` and ``briefing_pieces``;
the list page and the pages' frame: ``widgets.briefing_list``.
"""
