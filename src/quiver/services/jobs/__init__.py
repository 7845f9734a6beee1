"""Scheduled jobs that run once at a time across every server process."""
