"""Routes of the notice context, mounted at the site root by market.urls."""

from django.urls import path

from notice import api

urlpatterns = [
    path("api/notifications/", api.NotificationListApi.as_view(), name="notification-list"),
    path("api/notifications/<int:pk>/", api.NotificationDetailApi.as_view(), name="notification-detail"),
    path("api/notifications/<int:pk>/read/", api.NotificationReadApi.as_view(), name="notification-read"),
]
