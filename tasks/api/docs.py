"""The OpenAPI document and Swagger UI, under the site's Content-Security-Policy.

drf-spectacular's Swagger page carries an inline script and style; the split
view serves the script from a URL of its own, and our template (templates/
api/swagger_ui.html) links the style, so the page needs nothing inline. Its
files come from drf-spectacular-sidecar (SWAGGER_UI_DIST = "SIDECAR").
"""

from django.contrib.auth.views import redirect_to_login
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 document: for anyone logged in or holding a token."""

    permission_classes = [IsAuthenticated]


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI; a person not logged in is sent to the login page first."""

    template_name = "api/swagger_ui.html"
    permission_classes = []
    throttle_classes = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not request.user.is_authenticated:
            raise _LogInFirst

    def handle_exception(self, exc):
        if isinstance(exc, _LogInFirst):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


class _LogInFirst(Exception):
    pass


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Tells the OpenAPI document (and Swagger's Authorize button) about tokens."""

    target_class = "tasks.api.auth.BearerTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (ta_...), made on /accounts/tokens/.",
        }
