from django.core.management.base import BaseCommand

from tasks import jobs


class Command(BaseCommand):
    help = (
        "Delete background jobs older than TASKADMIN_JOB_KEEP_DAYS with their files, and"
        " mark as failed the running ones whose worker stopped. New jobs do this too."
    )

    def handle(self, *args, **options):
        deleted, stalled = jobs.prune()
        self.stdout.write(f"Deleted {deleted} old jobs; marked {stalled} stalled jobs failed.")
