"""Routes of the payment context, mounted at the site root by market.urls."""

from django.urls import path

from payment import api, reference_api

urlpatterns = [
    path("api/payments/", api.PaymentListApi.as_view(), name="payment-list"),
    path("api/payments/<int:pk>/", api.PaymentDetailApi.as_view(), name="payment-detail"),
    path("api/payments/<int:pk>/pay/", api.PaymentPayApi.as_view(), name="payment-pay"),
    # A reservation's payment, linked from the reservation (the payment context answers it).
    path("api/reservations/<int:pk>/payment/", api.ReservationPaymentApi.as_view(), name="reservation-payment"),
    # The reference's routes (Spring Data REST), same paths, bodies and status codes.
    path("paid", reference_api.HalPaidApi.as_view(), name="hal-paid"),
    path("payments", reference_api.HalPaymentListApi.as_view(), name="hal-payment-list"),
]
