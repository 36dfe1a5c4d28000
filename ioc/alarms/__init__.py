"""Alarms: the rule file, the evaluator (``python -m ioc.alarms``), notifications."""
