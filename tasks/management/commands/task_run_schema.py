import json
import sys

from django.core.management.base import BaseCommand

from tasks import schema


class Command(BaseCommand):
    help = "Print the JSON Schema (draft 2020-12) of a task-run config document."

    def handle(self, *args, **options):
        sys.stdout.write(json.dumps(schema.config_schema(), indent=2, ensure_ascii=False) + "\n")
