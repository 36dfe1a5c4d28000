"""Services: what pages and the API ask of the store. The bundle one app holds: ``container``."""
