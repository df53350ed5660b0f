"""Pages for security audits, findings and deliverables; each area's module lists its patterns."""
