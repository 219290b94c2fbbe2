import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from tasks import mephisto_sync


class Command(BaseCommand):
    help = (
        "Sync from Mephisto's database.db: link each of its task runs to the run it was"
        " launched from (or import it), and read each linked run's progress and spend."
        " The file is only read. Without a path, reads the MEPHISTO_DATABASE setting."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", metavar="PATH/TO/database.db")

    def handle(self, *args, path, **options):
        path = path or settings.MEPHISTO_DATABASE
        if not path:
            raise CommandError("Give the path of Mephisto's database.db, or set MEPHISTO_DATABASE.")
        bars = {}

        def progress(stage, done, total):
            # A bar per stage (copying, task runs, units, agents, linking, figures).
            if stage not in bars:
                for bar in bars.values():
                    bar.close()
                bars[stage] = tqdm(
                    total=total, desc=mephisto_sync.STAGES.get(stage, stage), file=sys.stderr
                )
            bars[stage].update(done - bars[stage].n)

        shown = progress if sys.stderr.isatty() else None
        try:
            snapshot = mephisto_sync.read_path(path, progress=shown)
            outcome = mephisto_sync.apply(snapshot, by=None, progress=shown)
        except mephisto_sync.SyncFailure as error:
            raise CommandError(str(error)) from None
        finally:
            for bar in bars.values():
                bar.close()
        for run, task_run_id in outcome.linked:
            self.stdout.write(f"linked     Mephisto run {task_run_id} → #{run.pk} {run}")
        for run in outcome.imported:
            self.stdout.write(
                f"imported   Mephisto run {run.mephisto_task_run_id} → #{run.pk} {run}"
            )
        for message in outcome.skipped:
            self.stdout.write(f"skipped    {message}")
        self.stdout.write(f"Synced {snapshot.name}: {outcome.summary()}")
