"""API tokens in the admin: administrators see every token and can revoke any.

The hash is never shown (it would only help someone guess the token offline),
and tokens are made by their owners on /accounts/tokens/, where the text is
shown once: the admin cannot make one.
"""

from django.contrib import admin

from tasks.api import tokens
from tasks.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "shown_prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username")
    fields = ("user", "name", "shown_prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "shown_prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke_selected"]

    @admin.display(description="token")
    def shown_prefix(self, token):
        return f"ta_{token.prefix}_…"

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke selected API tokens", permissions=["change"])
    def revoke_selected(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            tokens.revoke(token)
            count += 1
        self.message_user(request, f"Revoked {count} token{'s' if count != 1 else ''}.")
