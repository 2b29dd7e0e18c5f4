from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from market import events
from market.accounts.models import Profile
from market.bus import publish
from market.errors import Conflict, ValidationFailed


def user_register(*, username: str, password: str, phone: str = "", is_staff: bool = False) -> AbstractBaseUser:
    User = get_user_model()
    user = User(username=username, is_staff=is_staff)
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(_("The password is too weak."), code="weak_password", password=exc.messages) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            Profile.objects.create(user=user, phone=phone)
            publish(events.UserRegistered(user_id=user.pk, username=user.username, phone=phone))
    except IntegrityError as exc:
        raise Conflict(_("That username is taken."), code="username_taken") from exc
    return user


def user_change_phone(*, user: AbstractBaseUser, phone: str) -> None:
    with transaction.atomic():
        Profile.objects.update_or_create(user=user, defaults={"phone": phone})
        publish(events.UserContactChanged(user_id=user.pk, username=user.get_username(), phone=phone))
