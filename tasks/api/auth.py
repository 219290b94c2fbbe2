"""Who an API request is: a personal token (`Authorization: Bearer ...`) or a session.

Failed token attempts are counted per client address, like failed logins
(django-axes): past TASKADMIN_API_TOKEN_FAILURE_LIMIT within AXES_COOLOFF_TIME
the address is refused with 429 until the cool-off ends, right or wrong token.
"""

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from tasks.api import tokens

KEYWORD = "Bearer"
INVALID = "Invalid or revoked token."


def _address(request):
    # The client's address as the login's throttle (django-axes) reads it, so
    # that both count the same client the same way, behind a proxy too.
    return get_client_ip_address(request) or "unknown"


def _failures_key(request):
    return f"api-token-failures:{_address(request)}"


def _cooloff_seconds():
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


class TooManyFailures(exceptions.Throttled):
    default_detail = "Too many failed token attempts from this address; try again later."


class BearerTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer ta_...`: the token's user, with their permissions.

    No header, or another scheme: not this class's business (None). A wrong,
    malformed or revoked token: 401, counted against the client's address.
    """

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if cache.get(_failures_key(request), 0) >= settings.TASKADMIN_API_TOKEN_FAILURE_LIMIT:
            raise TooManyFailures(wait=_cooloff_seconds())
        if len(header) != 2:
            return self._fail(request, "Send the token as `Authorization: Bearer <token>`.")
        try:
            text = header[1].decode("ascii")
        except UnicodeDecodeError:
            return self._fail(request, INVALID)
        token = tokens.find(text)
        if token is None:
            return self._fail(request, INVALID)
        tokens.touch(token)
        return token.user, token

    def _fail(self, request, message):
        key = _failures_key(request)
        cache.add(key, 0, timeout=_cooloff_seconds())
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=_cooloff_seconds())
        raise exceptions.AuthenticationFailed(message)

    def authenticate_header(self, request):
        return f'{KEYWORD} realm="api"'
