"""The crowd providers, architects and blueprints a launch config chooses between."""

from django.db import models


class Provider(models.TextChoices):
    MOCK = "mock", "Mock (local testing)"
    INHOUSE = "inhouse", "In-house"
    MTURK = "mturk", "MTurk (live, paid)"
    MTURK_SANDBOX = "mturk_sandbox", "MTurk sandbox"
    PROLIFIC = "prolific", "Prolific (live, paid)"


# Providers where workers are paid real money.
LIVE_PROVIDERS = (Provider.MTURK, Provider.PROLIFIC)
MTURK_PROVIDERS = (Provider.MTURK, Provider.MTURK_SANDBOX)


class Architect(models.TextChoices):
    LOCAL = "local", "local"
    HEROKU = "heroku", "heroku"
    EC2 = "ec2", "ec2"


class Blueprint(models.TextChoices):
    STATIC_TASK = "static_task", "static_task"
    STATIC_REACT_TASK = "static_react_task", "static_react_task"
    REMOTE_PROCEDURE = "remote_procedure", "remote_procedure"
    PARLAI_CHAT = "parlai_chat", "parlai_chat"


# Mephisto's Prolific provider reads the study's estimated completion time from
# here (its default, when absent, is 5 minutes); Taskadmin keeps it as estimated_minutes.
PROLIFIC_MINUTES_ARGUMENT = "prolific_estimated_completion_time_in_minutes"
PROLIFIC_DEFAULT_MINUTES = 5


# The argument each blueprint cannot launch without, written from blueprint_source.
BLUEPRINT_MAIN_ARGUMENT = {
    Blueprint.STATIC_TASK: "task_source",
    Blueprint.STATIC_REACT_TASK: "task_source",
    Blueprint.REMOTE_PROCEDURE: "task_source",
    Blueprint.PARLAI_CHAT: "world_file",
}
