"""Pages of the scorecards app, one module per area; each module lists its own urlpatterns."""
