from django.urls import path

from tasks.api import docs, views

app_name = "api"

urlpatterns = [
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.DocsView.as_view(url_name="api:schema"), name="docs"),
    path("config-schema.json", views.ConfigSchema.as_view(), name="config-schema"),
    path("runs/", views.RunList.as_view(), name="run-list"),
    path("runs/export", views.RunsExport.as_view(), name="runs-export"),
    path("runs/import", views.RunsImport.as_view(), name="runs-import"),
    path("runs/<int:pk>", views.RunDetail.as_view(), name="run-detail"),
    path("runs/<int:pk>/clone", views.RunClone.as_view(), name="run-clone"),
    path("runs/<int:pk>/launch", views.RunLaunch.as_view(), name="run-launch"),
    path("runs/<int:pk>/archive", views.RunArchive.as_view(), name="run-archive"),
    path("runs/<int:pk>/unarchive", views.RunUnarchive.as_view(), name="run-unarchive"),
    path("runs/<int:pk>/history", views.RunHistory.as_view(), name="run-history"),
    path("runs/<int:pk>/history/diff", views.RunHistoryDiff.as_view(), name="run-history-diff"),
    path("runs/<int:pk>/config.<str:ext>", views.RunConfig.as_view(), name="run-config"),
    # A job's id is read by the view (jobs.find), so that a malformed one is the
    # API's JSON 404 like an unknown one, not the site's HTML page.
    path("jobs/", views.JobList.as_view(), name="job-list"),
    path("jobs/<str:pk>", views.JobDetail.as_view(), name="job-detail"),
    path("jobs/<str:pk>/download", views.JobDownload.as_view(), name="job-download"),
]
