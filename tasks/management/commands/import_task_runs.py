from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tasks import importing
from tasks.management.progress import progress_bar


class Command(BaseCommand):
    help = (
        "Import task runs from JSON, JSON Lines, YAML, overrides or zip files, or a"
        " Mephisto database.db. Several files are read together, like a zip of them: a"
        " config whose defaults list names another of them (- base) is composed with it,"
        " as Hydra does. Runs identical to saved ones are skipped. With invalid runs"
        " nothing is imported unless --only-valid is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would happen, change nothing"
        )
        parser.add_argument(
            "--only-valid", action="store_true", help="import the valid runs, skip the rest"
        )
        parser.add_argument(
            "--acknowledge",
            action="append",
            default=[],
            metavar="CODE",
            help="a warning you have read (repeat for each); the import lists the codes",
        )

    def handle(self, *args, files, dry_run, only_valid, acknowledge, **options):
        try:
            named = importing.read_paths([Path(file) for file in files])
            with progress_bar(self.stderr, "Reading") as progress:
                batch = importing.parse_files(named, progress=progress)
        except (OSError, importing.ImportFailure) as error:
            raise CommandError(str(error)) from None
        with progress_bar(self.stderr, "Comparing") as progress:
            importing.preview(batch, progress=progress)
        report(self.stdout, batch)
        if dry_run:
            self.stdout.write("Dry run: nothing imported.")
            return
        try:
            # Three steps a document (compared again, checked, saved): see apply().
            with progress_bar(self.stderr, "Importing", unit="step") as progress:
                result = importing.apply(
                    batch,
                    only_valid=only_valid,
                    acknowledged=[code for value in acknowledge for code in value.split(",")],
                    progress=progress,
                )
        except importing.ImportRefused as error:
            unread = error.batch.unread(acknowledge)
            hint = "".join(f" --acknowledge {code}" for code in unread)
            advice = f" Add{hint} to import." if unread else ""
            raise CommandError(f"{error}{advice}") from None
        self.stdout.write(
            f"Imported {len(result.created)} task run{'s' if len(result.created) != 1 else ''};"
            f" skipped {result.identical} identical, {result.invalid} invalid."
        )


def report(out, batch):
    for notice in batch.notices:
        out.write(f"notice     {notice}")
    for doc in batch.documents:
        if doc.run is not None:
            out.write(f"{doc.status:<10} {doc.source}: {doc.title}")
        for warning in doc.warnings:
            out.write(f"warning    {doc.source}: {warning.code}: {warning.message}")
        for message in doc.messages:
            out.write(f"invalid    {message}")
