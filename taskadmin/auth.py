"""Logging in: the lockout backend, and login forms that refuse what axes cannot record."""

from axes.backends import AxesStandaloneBackend
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

from tasks.validators import UNSTORABLE_TEXT


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for logins that come with an HTTP request.

    Every login a person can attempt (the login page, the admin's) passes the
    request. Code that authenticates without one (the test client's `login()`,
    a shell) has no client address to throttle, and axes would refuse it with
    an exception; let the next backend decide instead.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


class _RecordableLogin:
    """Refuses, as a failed login, what django-axes could not write down.

    Axes records every failed attempt: the username in a varchar(255), the
    user agent, Accept header, path and posted fields in text columns. A longer
    username, or a NUL anywhere in those (PostgreSQL refuses NUL in text), made
    that write, and so the login page, fail with a server error. No real
    username is longer than the User model allows (150), so it is refused here
    as a form error, before authenticate() and axes see it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # AuthenticationForm sets max_length for the browser's maxlength only.
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))

    def clean(self):
        if self.request is not None and not _recordable(self.request):
            raise self.get_invalid_login_error()
        return super().clean()


def _recordable(request):
    texts = [
        request.path_info,
        request.META.get("HTTP_USER_AGENT", ""),
        request.META.get("HTTP_ACCEPT", ""),
    ]
    for data in (request.GET, request.POST):
        for key, values in data.lists():
            texts += [key, *values]
    return not any(UNSTORABLE_TEXT.search(text) for text in texts)


class LoginForm(_RecordableLogin, AuthenticationForm):
    """The login page's form."""


class AdminLoginForm(_RecordableLogin, AdminAuthenticationForm):
    """The admin login page's form."""
