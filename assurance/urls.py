"""Pages of security audits, findings and deliverables; each area's module in
assurance/views/ lists its own patterns."""

from __future__ import annotations

from assurance.views import deliverables, findings

urlpatterns = [
    *findings.urlpatterns,
    *deliverables.urlpatterns,
]
