import sys

from django.core.management.base import BaseCommand, CommandError

from tasks import exporting
from tasks.models import TaskRun


class Command(BaseCommand):
    help = (
        "Export task runs as Mephisto configs. One PK gives one JSON document; "
        "several PKs, or none (all runs), give a JSON array."
    )

    def add_arguments(self, parser):
        parser.add_argument("pks", nargs="*", type=int, metavar="PK", help="runs to export")
        parser.add_argument(
            "-o", "--output", metavar="FILE", help="write here instead of standard output"
        )

    def handle(self, *args, pks, output, **options):
        if len(pks) == 1:
            try:
                _, _, content = exporting.export_run(TaskRun.objects.get(pk=pks[0]))
            except TaskRun.DoesNotExist:
                raise CommandError(f"No task run with PK {pks[0]}.") from None
        else:
            runs = TaskRun.objects.order_by("pk")
            if pks:
                found = runs.in_bulk(pks)
                missing = [str(pk) for pk in pks if pk not in found]
                if missing:
                    raise CommandError(f"No task run with PK {', '.join(missing)}.")
                runs = [found[pk] for pk in pks]
            _, _, content = exporting.export_runs(runs)
        if output:
            with open(output, "w", encoding="utf-8") as file:
                file.write(content)
            self.stderr.write(f"Wrote {output}")
        else:
            sys.stdout.write(content)
