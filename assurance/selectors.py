"""Reads of security audits, findings and deliverables."""
