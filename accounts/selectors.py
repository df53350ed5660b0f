"""Reads of accounts for the users page."""
