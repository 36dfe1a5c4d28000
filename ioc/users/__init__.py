"""Accounts, wall and API tokens from a shell: ``python -m ioc.users --help``."""
