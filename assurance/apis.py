"""Read endpoints of audits, findings and deliverables."""
