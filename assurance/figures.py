"""Figures of security audits, findings and deliverables: pure math, no Django."""
