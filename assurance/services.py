"""Writes of security audits, findings and deliverables."""
