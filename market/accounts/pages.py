"""Sign up, sign in and sign out for the web pages (/shop/). Accounts are the shared platform, so
these pages live in market like the layout they share; they call the same service as the API."""

from __future__ import annotations

from django import forms
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from market.accounts.api import PHONE_REGEX
from market.accounts.services import user_register
from market.errors import DomainError, TryAgainShortly
from market.web import check_rate_limit, error_message, page_view


class SignUpForm(forms.Form):
    username = forms.RegexField(
        label=_("Username"),
        regex=r"^[\w.@+-]{3,30}$",
        max_length=30,
        help_text=_("3 to 30 letters, digits or . @ + - _"),
        error_messages={"invalid": _("Use 3 to 30 letters, digits or . @ + - _")},
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Password"),
        min_length=6,
        max_length=128,
        help_text=_("At least 6 characters."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    phone = forms.RegexField(
        label=_("Mobile number (optional)"),
        regex=PHONE_REGEX,
        required=False,
        help_text=_("Digits only, e.g. 01012345678. KakaoTalk notices go to this number."),
        error_messages={"invalid": _("Enter a Korean mobile number, digits only (e.g. 01012345678).")},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "numeric"}),
    )


# Which field a service's refusal is about, so the message stands beside it.
_FIELD_OF_CODE = {"username_taken": "username", "weak_password": "password"}


def _next_url(request, default: str = "shop-catalogue") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@page_view
@require_http_methods(["GET", "POST"])
def sign_up(request):
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            check_rate_limit(request, "register")
            user = user_register(username=data["username"], password=data["password"], phone=data["phone"])
        except DomainError as exc:
            field = None if isinstance(exc, TryAgainShortly) else _FIELD_OF_CODE.get(exc.code)
            form.add_error(field, error_message(exc))
        else:
            login(request, user)  # the one backend (market.accounts.backends) signs them in
            return redirect(_next_url(request))
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "market/sign_up.html", {"form": form, "next": _next_url(request, "")}, status=status)


class SignInView(auth_views.LoginView):
    """Django's sign-in view with our template; the form keeps the username on a wrong password.
    Attempts count against the API's token-login limit (per user name's client IP)."""

    template_name = "market/sign_in.html"
    redirect_authenticated_user = True
    next_page = "shop-catalogue"

    def post(self, request, *args, **kwargs):
        try:
            check_rate_limit(request, "token")
        except TryAgainShortly as exc:
            # Not even checked (no password hashing for a refused attempt); the username stays typed.
            form = self.get_form_class()(request, initial={"username": request.POST.get("username", "")})
            context = self.get_context_data(form=form, refusal=error_message(exc))
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class SignOutView(auth_views.LogoutView):
    next_page = "shop-catalogue"
