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


@login_required
def tokens_page(request):
    """GET lists the user's tokens; POST makes one, whose text is shown on this answer only."""
    form = TokenForm(request.POST or None)
    made = None
    if request.method == "POST" and form.is_valid():
        token, text = tokens.issue(request.user, form.cleaned_data["name"])
        made = {"token": token, "text": text}
        form = TokenForm()
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "made": made,
            "tokens": request.user.api_tokens.all()[:SHOWN],
        },
        status=201 if made else 200,
    )


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    tokens.revoke(token)
    messages.success(request, f"Revoked “{token.name}”: it no longer works.")
    return redirect("api-tokens")
