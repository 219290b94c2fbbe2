"""What an API user may do: their model permissions on task runs, as in the dashboard.

*view* to read and export, *add* to create, clone and import, *change* to
edit, launch and archive, *delete* to delete. Reading needs *view* too
(Django's own DjangoModelPermissions lets anyone logged in read).
"""

from rest_framework.permissions import DjangoModelPermissions

VIEW = ["%(app_label)s.view_%(model_name)s"]


class TaskRunPermissions(DjangoModelPermissions):
    """By method: GET view, POST add, PUT/PATCH change, DELETE delete (each with view)."""

    perms_map = {
        "GET": VIEW,
        "HEAD": VIEW,
        "OPTIONS": VIEW,
        "POST": [*VIEW, "%(app_label)s.add_%(model_name)s"],
        "PUT": [*VIEW, "%(app_label)s.change_%(model_name)s"],
        "PATCH": [*VIEW, "%(app_label)s.change_%(model_name)s"],
        "DELETE": [*VIEW, "%(app_label)s.delete_%(model_name)s"],
    }


class ChangeOnPost(TaskRunPermissions):
    """For actions posted to one run (launch, archive): *change*."""

    perms_map = {
        **TaskRunPermissions.perms_map,
        "POST": [*VIEW, "%(app_label)s.change_%(model_name)s"],
    }
