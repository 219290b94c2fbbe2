from django.core.management.base import BaseCommand, CommandError

from tasks.seeding import seed_runs


class Command(BaseCommand):
    help = (
        "Add COUNT realistic, varied task runs (about one in ten a clone), written in "
        "batches: for demos and load tests. 100,000 take seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=1000, help="how many runs to add")
        parser.add_argument("--batch-size", type=int, default=2000, help="runs per INSERT")
        parser.add_argument(
            "--seed", type=int, default=0, help="random seed (same seed, same runs)"
        )

    def handle(self, *args, count, batch_size, seed, **options):
        if count < 0 or batch_size < 1:
            raise CommandError("--count must be 0 or more and --batch-size at least 1.")
        created = seed_runs(count, batch_size=batch_size, seed=seed)
        self.stdout.write(f"Added {created} task runs.")
