import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from tasks import exporting
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
        bar = None
        try:
            if len(pks) == 1:
                try:
                    run = TaskRun.objects.get(pk=pks[0])
                except TaskRun.DoesNotExist:
                    raise CommandError(f"No task run with PK {pks[0]}.") from None
                chunks = [exporting.export_run(run, format, target)[2]]
            else:
                runs = TaskRun.objects.order_by("pk")
                if pks:
                    found = set(runs.filter(pk__in=pks).values_list("pk", flat=True))
                    missing = [str(pk) for pk in pks if pk not in found]
                    if missing:
                        raise CommandError(f"No task run with PK {', '.join(missing)}.")
                    runs = _InOrder(runs, pks)
                bar = _progress_bar(self.stderr)
                _, _, chunks = exporting.stream_runs(
                    runs, format, target, progress=None if bar is None else _updater(bar)
                )
            if output:
                with open(output, "wb") as file:
                    _write(file, chunks)
            else:
                sys.stdout.flush()
                _write(sys.stdout.buffer, chunks)
                sys.stdout.buffer.flush()
        except exporting.ExportError as error:
            raise CommandError(str(error)) from None
        finally:
            if bar is not None:
                bar.close()
        if output:
            self.stderr.write(f"Wrote {output}")


class _InOrder:
    """The runs with these PKs, in the order given (a PK given twice comes twice),
    read from the database a chunk at a time."""

    def __init__(self, runs, pks):
        self.runs, self.pks = runs, pks

    def __len__(self):
        return len(self.pks)

    def __iter__(self):
        size = exporting.EXPORT_CHUNK_SIZE
        for start in range(0, len(self.pks), size):
            part = self.pks[start : start + size]
            rows = exporting.export_rows(self.runs.filter(pk__in=part))
            found = {row.id: row for row in rows}
            yield from (found[pk] for pk in part)


def _progress_bar(stream):
    """A tqdm bar on `stream` (the command's standard error) when it is a terminal."""
    if not stream.isatty():
        return None
    return tqdm(file=stream._out, unit=" runs", unit_scale=True)


def _updater(bar):
    def progress(done, total):
        if total is not None and bar.total != total:
            bar.total = total
            bar.refresh()
        bar.update(done - bar.n)

    return progress


def _write(file, chunks):
    """Write each chunk (bytes, or text as UTF-8) as it comes."""
    for chunk in chunks:
        file.write(chunk.encode() if isinstance(chunk, str) else chunk)
