from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tasks import importing
from tasks.management.progress import progress_bar


class Command(BaseCommand):
    help = (
        "Check task-run config files without touching the database. The files are read"
        " together, like a zip of them: a config whose defaults list names another of"
        " them (- base) is composed with it, as Hydra does. Exits non-zero at the first"
        " invalid file, after printing every error in it."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")

    def handle(self, *args, files, **options):
        try:
            named = importing.read_paths([Path(file) for file in files])
            with progress_bar(self.stderr, "Reading") as progress:
                batch = importing.parse_files(named, progress=progress)
        except (OSError, importing.ImportFailure) as error:
            raise CommandError(str(error)) from None
        for file, (name, _) in zip(files, named, strict=True):
            documents = [doc for doc in batch.documents if _of(doc.source, name, len(named))]
            errors = [message for doc in documents for message in doc.messages]
            if errors:
                for message in errors:
                    self.stderr.write(message)
                raise CommandError(f"{file}: {len(errors)} error(s).")
            used = [notice for notice in batch.notices if notice.startswith(f"{name}: used by ")]
            if used and not documents:
                self.stdout.write(f"{file}: {used[0].removeprefix(f'{name}: ')}.")
                continue
            count = len(documents)
            self.stdout.write(f"{file}: {count} valid task run{'s' if count != 1 else ''}.")


def _of(source, name, files):
    """True when a document's source ("runs.jsonl line 7", "configs.zip/a.yaml") is in
    the file read as `name`."""
    if files == 1:
        return True
    return source == name or source.startswith((f"{name} ", f"{name}/"))
