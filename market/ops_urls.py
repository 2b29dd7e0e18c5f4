"""Operator routes (metrics, bus state). Filled in by the resilience work."""

urlpatterns: list = []
