import sys

from django.core.management.base import BaseCommand, CommandError

from tasks import exporting
from tasks.models import TaskRun


class Command(BaseCommand):
    help = (
        "Export task runs as Mephisto configs. One PK gives one document; several PKs,"
        " or none (all runs), give a JSON array, or a zip of YAML/override files."
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
        try:
            if len(pks) == 1:
                try:
                    run = TaskRun.objects.get(pk=pks[0])
                except TaskRun.DoesNotExist:
                    raise CommandError(f"No task run with PK {pks[0]}.") from None
                _, _, content = exporting.export_run(run, format, target)
            else:
                runs = TaskRun.objects.order_by("pk")
                if pks:
                    found = runs.in_bulk(pks)
                    missing = [str(pk) for pk in pks if pk not in found]
                    if missing:
                        raise CommandError(f"No task run with PK {', '.join(missing)}.")
                    runs = [found[pk] for pk in pks]
                # JSON comes as chunks, read and written a few runs at a time.
                _, _, content = exporting.stream_runs(runs, format, target)
        except exporting.ExportError as error:
            raise CommandError(str(error)) from None
        if isinstance(content, str):
            content = [content]
        if output:
            with open(output, "wb") as file:
                _write(file, content)
            self.stderr.write(f"Wrote {output}")
        elif isinstance(content, bytes) and sys.stdout.isatty():
            raise CommandError("A zip is binary: give -o FILE.")
        else:
            sys.stdout.flush()
            _write(sys.stdout.buffer, content)
            sys.stdout.buffer.flush()


def _write(file, content):
    """Write bytes, or text chunks as they come (UTF-8)."""
    if isinstance(content, bytes):
        file.write(content)
        return
    for chunk in content:
        file.write(chunk.encode())
