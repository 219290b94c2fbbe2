import sys

from django.core.management.base import BaseCommand, CommandError

from tasks import exporting
from tasks.management.progress import progress_bar
from tasks.models import TaskRun


class Command(BaseCommand):
    help = (
        "Export task runs as Mephisto configs. One PK gives one document; several PKs,"
        " or none (all runs), give a JSON array, or a zip of YAML/override files, written"
        " as it is made (a progress bar on standard error when it is a terminal)."
    )

    def add_arguments(self, parser):
        parser.add_argument("pks", nargs="*", type=int, metavar="PK", help="runs to export")
        parser.add_argument(
            "-o", "--output", metavar="FILE", help="write here instead of standard output"
        )
        parser.add_argument("--format", choices=exporting.FORMATS, default="json")
        parser.add_argument(
            "--target",
            choices=tuple(exporting.TARGETS),
            default="latest",
            help="the Mephisto release that will read the config",
        )

    def handle(self, *args, pks, output, format, target, **options):
        if len(pks) != 1 and format != "json" and not output and sys.stdout.isatty():
            raise CommandError("A zip is binary: give -o FILE.")
        try:
            if len(pks) == 1:
                try:
                    run = TaskRun.objects.get(pk=pks[0])
                except TaskRun.DoesNotExist:
                    raise CommandError(f"No task run with PK {pks[0]}.") from None
                _send(output, [exporting.export_run(run, format, target)[2]])
            else:
                runs = TaskRun.objects.order_by("pk")
                if pks:
                    found = set(runs.filter(pk__in=pks).values_list("pk", flat=True))
                    missing = [str(pk) for pk in pks if pk not in found]
                    if missing:
                        raise CommandError(f"No task run with PK {', '.join(missing)}.")
                    runs = exporting.RowsInOrder(runs, pks)
                # The bar stays up while the chunks are written: they are made as they go.
                with progress_bar(self.stderr, "Exporting") as progress:
                    _, _, chunks = exporting.stream_runs(runs, format, target, progress=progress)
                    _send(output, chunks)
        except exporting.ExportError as error:
            raise CommandError(str(error)) from None
        if output:
            self.stderr.write(f"Wrote {output}")


def _send(output, chunks):
    """Write each chunk (bytes, or text as UTF-8) as it comes, to `output` or stdout."""
    if output:
        with open(output, "wb") as file:
            _write(file, chunks)
    else:
        sys.stdout.flush()
        _write(sys.stdout.buffer, chunks)
        sys.stdout.buffer.flush()


def _write(file, chunks):
    for chunk in chunks:
        file.write(chunk.encode() if isinstance(chunk, str) else chunk)
