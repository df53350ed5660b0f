"""REST API v1 on security audits, findings and deliverables: one module per area."""
