import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Make sure an administrator can log in. Creates one when no superuser exists, "
        "with DJANGO_SUPERUSER_USERNAME (default 'admin') and DJANGO_SUPERUSER_PASSWORD, "
        "or a generated password printed once."
    )

    def handle(self, *args, **options):
        User = get_user_model()
        existing = User.objects.filter(is_superuser=True).order_by("pk").first()
        if existing is not None:
            self.stdout.write(f"Administrator login: {existing.get_username()} (already exists)")
            return
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "admin")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(self.style.SUCCESS(f"Created administrator login: {username}"))
        if generated:
            self.stdout.write(
                f"  password: {password}\n"
                "  (shown once; change it in the admin, or set DJANGO_SUPERUSER_PASSWORD next time)"
            )
