from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from market.accounts.services import user_change_phone, user_register
from market.errors import DomainError

PHONE_REGEX = r"^01[0-9]{8,9}$"


class InvalidCredentials(DomainError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid_credentials"
    default_message = _("Unable to sign in with these credentials.")


class UserOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    phone = serializers.CharField()


def _user_output(user) -> dict:
    profile = getattr(user, "profile", None)
    return {"id": user.pk, "username": user.username, "phone": profile.phone if profile else ""}


class RegisterApi(APIView):
    """Create an account. The phone number (Korean mobile, digits only) receives KakaoTalk notices."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_scope = "register"

    class RegisterInput(serializers.Serializer):
        username = serializers.RegexField(r"^[\w.@+-]{3,30}$", max_length=30)
        password = serializers.CharField(min_length=6, max_length=128, write_only=True)
        phone = serializers.RegexField(PHONE_REGEX, required=False, allow_blank=True, default="")

    @extend_schema(request=RegisterInput, responses={201: UserOutput})
    def post(self, request):
        data = self._validated(request)
        user = user_register(username=data["username"], password=data["password"], phone=data["phone"])
        token, _created = Token.objects.get_or_create(user=user)
        return Response({**_user_output(user), "token": token.key}, status=status.HTTP_201_CREATED)

    def _validated(self, request) -> dict:
        serializer = self.RegisterInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class TokenLoginApi(APIView):
    """Exchange username and password for an API token (``Authorization: Token <key>``)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_scope = "token"

    class TokenLoginInput(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=128, write_only=True)

    @extend_schema(
        request=TokenLoginInput, responses={200: inline_serializer("TokenOutput", {"token": serializers.CharField()})}
    )
    def post(self, request):
        serializer = self.TokenLoginInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request, **serializer.validated_data)
        if user is None:
            raise InvalidCredentials()
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeApi(APIView):
    """Who am I; change my phone number."""

    permission_classes = [IsAuthenticated]

    class PhoneInput(serializers.Serializer):
        phone = serializers.RegexField(PHONE_REGEX, allow_blank=True)

    @extend_schema(responses={200: UserOutput})
    def get(self, request):
        return Response(_user_output(request.user))

    @extend_schema(request=PhoneInput, responses={200: UserOutput})
    def patch(self, request):
        serializer = self.PhoneInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        user_change_phone(user=request.user, phone=serializer.validated_data["phone"])
        request.user.refresh_from_db()
        return Response(_user_output(request.user))
