"""Every REST route in one place: /api/v1/ endpoints, the OpenAPI schema and its docs.

The Swagger UI is served from drf-spectacular-sidecar's own static files (no CDN), its script
from a separate URL, so the content security policy needs no inline script.
"""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from assurance.apis.audits import FindingViewSet, SecurityAuditViewSet
from assurance.apis.deliverables import DeliverableViewSet
from scorecards.apis.breaches import AlertViewSet, BreachViewSet, DisputeViewSet
from scorecards.apis.money import CostPerTicketViewSet, SavingsViewSet, ServiceCreditViewSet
from scorecards.apis.ratings import ReviewRatingViewSet
from scorecards.apis.restatements import RestatementViewSet
from scorecards.apis.review import ActionItemViewSet
from scorecards.apis.scorecards import ScorecardViewSet
from tickets.apis.bulk import TicketBulkApi
from tickets.apis.tickets import OutageViewSet, SurveyViewSet, TicketEventViewSet, TicketViewSet
from vendors.apis import ContractViewSet, InvoiceViewSet, TechnicianViewSet, VendorViewSet

router = SimpleRouter()
router.register("vendors", VendorViewSet, basename="vendor")
router.register("contracts", ContractViewSet, basename="contract")
router.register("technicians", TechnicianViewSet, basename="technician")
router.register("tickets", TicketViewSet, basename="ticket")
router.register("breaches", BreachViewSet, basename="breach")
router.register("alerts", AlertViewSet, basename="alert")
router.register("scorecards", ScorecardViewSet, basename="scorecard")
router.register("service-credits", ServiceCreditViewSet, basename="service-credit")
router.register("cost-per-ticket", CostPerTicketViewSet, basename="cost-per-ticket")
router.register("savings", SavingsViewSet, basename="savings")
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("survey-answers", SurveyViewSet, basename="survey-answer")
router.register("outages", OutageViewSet, basename="outage")
router.register("action-items", ActionItemViewSet, basename="action-item")
router.register("disputes", DisputeViewSet, basename="dispute")
router.register("restatements", RestatementViewSet, basename="restatement")
router.register("review-ratings", ReviewRatingViewSet, basename="review-rating")
router.register("deliverables", DeliverableViewSet, basename="deliverable")
router.register("security-audits", SecurityAuditViewSet, basename="security-audit")
router.register("findings", FindingViewSet, basename="finding")

v1 = [
    # Before the router, so "bulk" is never read as a ticket id.
    path("tickets/bulk", TicketBulkApi.as_view(), name="tickets-bulk"),
    path(
        "tickets/<int:ticket_id>/events/",
        TicketEventViewSet.as_view({"get": "list"}),
        name="ticket-events",
    ),
    *router.urls,
]

urlpatterns = [
    path("api/v1/", include((v1, "api"), namespace="api")),
    path("api/sources/", include("tickets.apis.webhooks")),  # signed by the source, no login
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
