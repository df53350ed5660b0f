"""Pages of the vendors app, one module per area; each module lists its own urlpatterns."""
