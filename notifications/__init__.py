"""Notifications (email alerts and digests). Filled in by a later issue; empty on purpose."""
