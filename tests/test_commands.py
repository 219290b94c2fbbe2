"""ensure_admin: the login `make run` promises."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def run_ensure_admin():
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    return out.getvalue()


def test_creates_an_admin_with_a_generated_password_printed_once(monkeypatch):
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    monkeypatch.delenv("DJANGO_SUPERUSER_USERNAME", raising=False)
    first = run_ensure_admin()
    password = first.split("password: ")[1].split()[0]
    assert "Created administrator login: admin" in first
    assert authenticate(username="admin", password=password).is_superuser
    second = run_ensure_admin()
    assert second == "Administrator login: admin (already exists)\n"
    assert User.objects.count() == 1


def test_uses_the_password_and_username_from_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "lab")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "correct horse battery")
    output = run_ensure_admin()
    assert "password" not in output.replace("DJANGO_SUPERUSER_PASSWORD", "")
    assert authenticate(username="lab", password="correct horse battery").is_superuser


def test_leaves_an_existing_superuser_alone(monkeypatch):
    User.objects.create_superuser("owner", password="kept")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "other")
    assert run_ensure_admin() == "Administrator login: owner (already exists)\n"
    assert authenticate(username="owner", password="kept") is not None
