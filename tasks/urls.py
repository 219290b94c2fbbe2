from django.urls import path

from tasks import views

app_name = "tasks"

urlpatterns = [
    path("", views.run_list, name="run-list"),
    path("runs/new/", views.run_create, name="run-create"),
    path("runs/export/", views.runs_export, name="runs-export"),
    path("runs/export/<str:fmt>/", views.runs_export, name="runs-export-as"),
    path("runs/import/", views.run_import, name="run-import"),
    path("runs/import/apply/", views.run_import_apply, name="run-import-apply"),
    path("runs/import/discard/", views.run_import_discard, name="run-import-discard"),
    path("schema.json", views.config_schema, name="schema"),
    path("runs/preview.json", views.run_preview, name="run-preview"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("runs/<int:pk>/edit/", views.run_edit, name="run-edit"),
    path("runs/<int:pk>/clone/", views.run_clone, name="run-clone"),
    path("runs/<int:pk>/delete/", views.run_delete, name="run-delete"),
    path("runs/<int:pk>/export/", views.run_export, name="run-export"),
    # The stable download link the first issue promised: JSON for the latest Mephisto.
    path("runs/<int:pk>/export.json", views.run_export_json, name="run-export-json"),
    path("runs/<int:pk>/preview.json", views.run_preview, name="run-edit-preview"),
    path("runs/<int:pk>/status/", views.run_status, name="run-status"),
    path("runs/<int:pk>/unlink/", views.run_unlink, name="run-unlink"),
    path("mephisto/sync/", views.mephisto_sync_page, name="mephisto-sync"),
    path("runs/<int:pk>/history/", views.run_history, name="run-history"),
    path("runs/<int:pk>/history/diff/", views.run_history_diff, name="run-history-diff"),
    path("runs/<int:pk>/history/<int:history_id>/revert/", views.run_revert, name="run-revert"),
    path(
        "runs/<int:pk>/history/<int:history_id>/field/<str:name>.txt",
        views.run_history_field,
        name="run-history-field",
    ),
    path("runs/compare/", views.runs_compare, name="runs-compare"),
    path("jobs/", views.job_list, name="job-list"),
    path("jobs/<uuid:pk>/", views.job_detail, name="job-detail"),
    path("jobs/<uuid:pk>/progress/", views.job_progress, name="job-progress"),
    path("jobs/<uuid:pk>/download/", views.job_download, name="job-download"),
]
