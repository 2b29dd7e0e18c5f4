"""Routes of the reservation context, mounted at the site root by market.urls."""

from django.urls import path

from reservation import api, reference_api

urlpatterns = [
    path("api/reservations/", api.ReservationListApi.as_view(), name="reservation-list"),
    path("api/reservations/<int:pk>/", api.ReservationDetailApi.as_view(), name="reservation-detail"),
    path("api/reservations/<int:pk>/cancel/", api.ReservationCancelApi.as_view(), name="reservation-cancel"),
    path("api/reservations/<int:pk>/decline/", api.ReservationDeclineApi.as_view(), name="reservation-decline"),
    # The reference's routes (Spring Data REST), same paths, bodies and status codes.
    path("reservation", reference_api.HalReservationPlaceApi.as_view(), name="hal-reservation-place"),
    path("reservations", reference_api.HalReservationListApi.as_view(), name="hal-reservation-list"),
    path("reservationupdate", reference_api.HalReservationUpdateApi.as_view(), name="hal-reservation-update"),
]
