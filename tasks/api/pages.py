"""The page where a person makes, lists and revokes their own API tokens."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tasks.api import tokens
from tasks.models import ApiToken

# A person's tokens, active and revoked, shown at most this many (newest first).
SHOWN = 100


class TokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name"]
        widgets = {"name": forms.TextInput(attrs={"autocomplete": "off", "class": "form-control"})}
        error_messages = {"name": {"required": "Give the token a name."}}


# The session key under which a new token's text waits for the page that shows
# it, once: the POST redirects (so reloading cannot make a second token), and the
# GET takes the text out of the session as it shows it.
MADE = "api-token-made"


@login_required
def tokens_page(request):
    """GET lists the user's tokens (and, once, the text of one just made); POST makes one."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, text = tokens.issue(request.user, form.cleaned_data["name"])
        request.session[MADE] = {"pk": token.pk, "text": text}
        return redirect("api-tokens")
    made = request.session.pop(MADE, None)
    if made is not None:
        token = request.user.api_tokens.filter(pk=made["pk"]).first()
        made = {"token": token, "text": made["text"]} if token else None
    return render(
        request,
        "api/tokens.html",
        {"form": form, "made": made, "tokens": request.user.api_tokens.all()[:SHOWN]},
    )


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    tokens.revoke(token)
    messages.success(request, f"Revoked “{token.name}” ({token.prefix}…): it no longer works.")
    return redirect("api-tokens")
