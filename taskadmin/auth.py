"""Authentication backends."""

from axes.backends import AxesStandaloneBackend


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
