"""JSON export: the config Mephisto reads, with true JSON types, in documented order."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from omegaconf import OmegaConf

from tasks.exporting import export_run, export_runs, run_to_config
from tasks.models import TaskRun
from tests.reference import reference_rows

pytestmark = pytest.mark.django_db

JSON_TYPES = {
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
}


def test_a_run_exports_as_a_whole_hydra_config_with_its_task_section(make_run):
    config = run_to_config(make_run())
    assert list(config) == ["defaults", "mephisto"]
    assert config["defaults"] == [{"/mephisto/provider": "mock"}, "_self_"]
    assert list(config["mephisto"]) == ["task"]


def test_json_escapes_literal_interpolations_as_yaml_does(make_run):
    # OmegaConf reads JSON as YAML: Mephisto would resolve an unescaped ${name}.
    run = make_run(task_description="Write ${name} as you see it.")
    task = json.loads(export_run(run)[2])["mephisto"]["task"]
    assert task["task_description"] == "Write \\${name} as you see it."
    resolved = OmegaConf.to_container(OmegaConf.create(export_run(run)[2]), resolve=True)
    assert resolved["mephisto"]["task"]["task_description"] == "Write ${name} as you see it."


def test_export_holds_the_sixteen_fields_in_documented_order(make_run):
    task = run_to_config(make_run())["mephisto"]["task"]
    assert list(task) == [row["dest"] for row in reference_rows()]


@pytest.mark.parametrize("row", reference_rows(), ids=lambda row: row["dest"])
def test_each_value_has_its_true_json_type(make_run, row):
    run = make_run(task_name="named", resume_incomplete_run=True, aux_parameters={"k": 1})
    value = json.loads(export_run(run)[2])["mephisto"]["task"][row["dest"]]
    expected = (
        JSON_TYPES.get(row["type"])
        or {
            "task_name": str,
            "resume_incomplete_run": bool,
            "aux_parameters": dict,
        }[row["dest"]]
    )
    assert type(value) is expected


def test_export_parsed_back_equals_the_run_field_by_field(make_run):
    run = make_run(
        task_name="pilot_2",
        task_title='Ünïcödé “quotes” and "escapes"',
        task_description="Line one\nLine two\t${not_interpolated}",
        task_reward=Decimal("12.30"),
        task_tags="a, b",
        task_lifetime_in_seconds=86400,
        assignment_duration_in_seconds=60,
        no_submission_patience=7200,
        allowed_concurrent=1,
        maximum_units_per_worker=2,
        max_num_concurrent_units=3,
        submission_timeout=0,
        post_install_script="link.sh",
        force_rebuild=True,
        resume_incomplete_run=True,
        aux_parameters={"nested": {"list": [1, 2.5, None, True]}},
    )
    config = OmegaConf.to_container(OmegaConf.create(export_run(run)[2]), resolve=True)
    task = config["mephisto"]["task"]
    for name in TaskRun.CONFIG_FIELDS:
        expected = getattr(run, name)
        if isinstance(expected, Decimal):
            expected = float(expected)
        assert task[name] == expected, name
        assert type(task[name]) is type(expected), name


@pytest.mark.parametrize(
    ("reward", "text"),
    [
        ("0.50", '"task_reward": 0.5,'),
        ("0", '"task_reward": 0.0,'),
        ("0.3", '"task_reward": 0.3,'),
        ("1234.56", '"task_reward": 1234.56,'),
    ],
)
def test_reward_is_written_as_a_json_number(make_run, reward, text):
    assert text in export_run(make_run(task_reward=Decimal(reward)))[2]


def test_durations_are_written_as_integers_never_floats(make_run):
    content = export_run(make_run(task_lifetime_in_seconds=86400))[2]
    assert '"task_lifetime_in_seconds": 86400,' in content
    assert "86400.0" not in content


def test_blank_task_name_is_exported_as_null(make_run):
    assert '"task_name": null,' in export_run(make_run(task_name=""))[2]


def test_one_run_downloads_as_a_named_document(make_run):
    run = make_run(task_name="image-labels")
    filename, content_type, _ = export_run(run)
    assert filename == f"taskrun-{run.pk}-image-labels.json"
    assert content_type == "application/json"


def test_a_run_without_task_name_is_named_after_its_title(make_run):
    run = make_run(task_name="", task_title="Label: the pictures!")
    assert export_run(run)[0] == f"taskrun-{run.pk}-label-the-pictures.json"


def test_many_runs_export_as_an_array_in_the_order_given(make_run):
    first, second = make_run(task_title="One"), make_run(task_title="Two")
    filename, _, content = export_runs([second, first])
    assert filename.startswith("taskruns-") and filename.endswith(".json")
    documents = json.loads(content)
    assert [doc["mephisto"]["task"]["task_title"] for doc in documents] == ["Two", "One"]


def test_unknown_format_is_refused(make_run):
    with pytest.raises(ValueError, match="Unknown export format 'xml'; choose from json."):
        export_run(make_run(), "xml")


# -- Downloads ------------------------------------------------------------------------


def test_detail_page_download_is_an_attachment_with_the_document(viewer_client, make_run):
    run = make_run(task_name="pilot")
    response = viewer_client.get(reverse("tasks:run-export", args=[run.pk]))
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="taskrun-{run.pk}-pilot.json"'
    assert json.loads(response.content) == run_to_config(run)


def test_list_download_of_selected_runs(viewer_client, make_run):
    a, _, c = make_run(task_title="A"), make_run(task_title="B"), make_run(task_title="C")
    response = viewer_client.get(
        reverse("tasks:runs-export"), {"scope": "selected", "pk": [a.pk, c.pk], "sort": "title"}
    )
    titles = [
        doc["mephisto"]["task"]["task_title"]
        for doc in json.loads(b"".join(response.streaming_content))
    ]
    assert titles == ["A", "C"]


def test_list_download_of_everything_matching_the_search(viewer_client, make_run):
    make_run(task_title="Label cats", task_tags="cats")
    make_run(task_title="Label dogs", task_tags="dogs")
    make_run(task_title="Transcribe", task_tags="speech")
    response = viewer_client.get(
        reverse("tasks:runs-export"), {"scope": "all", "q": "label", "sort": "-title"}
    )
    titles = [
        doc["mephisto"]["task"]["task_title"]
        for doc in json.loads(b"".join(response.streaming_content))
    ]
    assert titles == ["Label dogs", "Label cats"]


def test_exporting_selected_with_nothing_ticked_says_so(viewer_client, make_run):
    make_run()
    response = viewer_client.get(
        reverse("tasks:runs-export"), {"scope": "selected", "q": "label"}, follow=True
    )
    assert response.redirect_chain == [("/?q=label", 302)]
    assert "Tick at least one run to export." in response.text


# -- Command line ---------------------------------------------------------------------


def test_command_exports_all_runs_to_standard_output(make_run, capsys):
    make_run(task_title="One")
    make_run(task_title="Two")
    call_command("export_task_runs")
    documents = json.loads(capsys.readouterr().out)
    assert [doc["mephisto"]["task"]["task_title"] for doc in documents] == ["One", "Two"]


def test_command_exports_one_run_as_a_document(make_run, capsys):
    run = make_run()
    call_command("export_task_runs", str(run.pk))
    assert json.loads(capsys.readouterr().out) == run_to_config(run)


def test_command_exports_the_given_runs_in_the_given_order_to_a_file(make_run, tmp_path):
    one, two = make_run(task_title="One"), make_run(task_title="Two")
    target = tmp_path / "runs.json"
    call_command("export_task_runs", str(two.pk), str(one.pk), "-o", str(target))
    documents = json.loads(target.read_text(encoding="utf-8"))
    assert [doc["mephisto"]["task"]["task_title"] for doc in documents] == ["Two", "One"]


def test_command_names_runs_that_do_not_exist(make_run):
    run = make_run()
    with pytest.raises(CommandError, match="No task run with PK 998, 999."):
        call_command("export_task_runs", str(run.pk), "998", "999")


def test_aux_parameters_keys_are_sorted_so_every_database_exports_alike(make_run):
    run = make_run(aux_parameters={"zeta": 1, "alpha": {"y": 2, "b": [{"d": 1, "c": 2}]}})
    task = json.loads(export_run(run)[2])["mephisto"]["task"]
    assert list(task["aux_parameters"]) == ["alpha", "zeta"]
    assert list(task["aux_parameters"]["alpha"]) == ["b", "y"]
    assert list(task["aux_parameters"]["alpha"]["b"][0]) == ["c", "d"]
