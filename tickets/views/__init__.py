"""Pages of the tickets app, one module per area; each module lists its own urlpatterns."""
