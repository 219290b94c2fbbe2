from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tasks import importing


class Command(BaseCommand):
    help = (
        "Check task-run config files without touching the database. Exits non-zero"
        " at the first invalid file, after printing every error in it."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")

    def handle(self, *args, files, **options):
        for file in files:
            try:
                batch = importing.parse(*importing.read_path(Path(file)))
            except (OSError, importing.ImportFailure) as error:
                raise CommandError(str(error)) from None
            if batch.errors:
                for message in batch.errors:
                    self.stderr.write(message)
                raise CommandError(f"{file}: {len(batch.errors)} error(s).")
            count = len(batch.documents)
            self.stdout.write(f"{file}: {count} valid task run{'s' if count != 1 else ''}.")
