"""Admin of security audits, findings and deliverables."""
