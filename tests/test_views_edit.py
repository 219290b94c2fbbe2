"""Create, detail, edit, clone and delete pages, through real requests."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from tasks import services
from tasks.models import TaskRun
from tests.conftest import form_data
from tests.html import field_block, field_errors, shown_value

CREATE = reverse("tasks:run-create")


def url(name, run):
    return reverse(f"tasks:{name}", args=[run.pk])


# -- Create ---------------------------------------------------------------------------


def test_create_form_shows_every_field_with_help_and_defaults(editor_client):
    html = editor_client.get(CREATE).text
    for name in TaskRun.CONFIG_FIELDS:
        assert f'name="{name}"' in html, name
    assert TaskRun._meta.get_field("task_reward").help_text in html
    assert 'value="2678400"' in html
    assert ">31 days</output>" in html
    assert ">30 minutes</output>" in html
    assert ">12 hours</output>" in html
    assert ">10 minutes</output>" in html


def test_create_form_groups_fields_the_way_a_user_thinks(editor_client):
    html = editor_client.get(CREATE).text
    positions = [html.index(f"<legend>{legend}") for legend, _ in TaskRun.FORM_GROUPS]
    assert positions == sorted(positions)


def test_posting_a_valid_form_creates_the_run_and_shows_it(editor_client, editor):
    response = editor_client.post(
        CREATE, form_data(task_lifetime_in_seconds="1d 12h", task_name="pilot-1")
    )
    run = TaskRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == run.get_absolute_url()
    assert run.task_lifetime_in_seconds == 129600
    assert run.task_name == "pilot-1"
    assert run.created_by == editor
    assert run.updated_by == editor
    assert run.cloned_from is None


def test_invalid_form_comes_back_with_messages_beside_fields_and_input_kept(editor_client):
    typed = form_data(task_title="Keep me", task_lifetime_in_seconds="12x", task_reward="0.005")
    response = editor_client.post(CREATE, typed)
    assert response.status_code == 200
    assert TaskRun.objects.count() == 0
    html = response.text
    assert "Please correct the 2 fields marked below; everything you typed is kept." in html
    assert field_errors(html, "task_lifetime_in_seconds") == [
        "Enter whole seconds (45) or whole units d, h, m, s (90s, 30m, 12h, 31d, 1d 12h)."
    ]
    assert field_errors(html, "task_reward") == [
        "Use at most 2 decimal places: providers pay in whole cents."
    ]
    assert 'value="12x"' in field_block(html, "task_lifetime_in_seconds")
    assert 'value="0.005"' in field_block(html, "task_reward")
    assert 'value="Keep me"' in field_block(html, "task_title")
    assert field_errors(html, "task_title") == []


def test_errors_are_linked_to_their_inputs_for_screen_readers(editor_client):
    html = editor_client.post(CREATE, form_data(task_reward="-1")).text
    block = field_block(html, "task_reward")
    assert 'aria-invalid="true"' in block
    assert 'aria-describedby="id_task_reward_helptext id_task_reward_error"' in block


def test_invalid_json_comes_back_as_typed_with_line_and_column(editor_client):
    typed = '{"a": 1,\n "b": }'
    html = editor_client.post(CREATE, form_data(aux_parameters=typed)).text
    assert field_errors(html, "aux_parameters") == [
        "Not valid JSON: Expecting value at line 2, column 7."
    ]
    assert escape(typed) in field_block(html, "aux_parameters")


# -- Detail ---------------------------------------------------------------------------


def test_detail_shows_every_value_in_human_terms_and_the_exported_json(viewer_client, make_run):
    run = make_run(
        task_name="pilot", maximum_units_per_worker=3, aux_parameters={"a": 1}, task_tags="x, y"
    )
    html = viewer_client.get(url("run-detail", run)).text
    assert "<code>pilot</code>" in html
    assert "31 days" in html
    assert "30 minutes" in html
    assert "no limit" in html
    assert "$0.50 per unit" in html
    assert shown_value(html, "maximum_units_per_worker") == "3"
    assert shown_value(html, "allowed_concurrent") == "no limit"
    assert shown_value(html, "force_rebuild") == "no"
    assert "&quot;task_lifetime_in_seconds&quot;: 2678400" in html


def test_detail_of_a_clone_names_its_origin(viewer_client, make_run, editor):
    original = make_run(task_title="Original")
    clone = services.run_clone(original, by=editor)
    html = viewer_client.get(url("run-detail", clone)).text
    assert (
        f'Cloned from <a href="{original.get_absolute_url()}">#{original.pk} Original</a>' in html
    )


def test_missing_run_is_404(viewer_client, db):
    assert viewer_client.get(reverse("tasks:run-detail", args=[999])).status_code == 404


# -- Edit -----------------------------------------------------------------------------


def test_edit_form_is_prefilled_with_the_run(editor_client, make_run):
    run = make_run(task_title="Prefilled", assignment_duration_in_seconds=900)
    html = editor_client.get(url("run-edit", run)).text
    assert 'value="Prefilled"' in field_block(html, "task_title")
    assert 'value="900"' in field_block(html, "assignment_duration_in_seconds")
    assert ">15 minutes</output>" in html


def test_editing_saves_changes_and_records_who(editor_client, editor, make_run):
    run = make_run()
    response = editor_client.post(url("run-edit", run), form_data(run, task_title="Changed"))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.task_title == "Changed"
    assert run.updated_by == editor
    assert TaskRun.objects.count() == 1


def test_invalid_edit_changes_nothing(editor_client, make_run):
    run = make_run(task_title="Before")
    response = editor_client.post(
        url("run-edit", run), form_data(run, task_title="After", allowed_concurrent="-1")
    )
    assert response.status_code == 200
    run.refresh_from_db()
    assert run.task_title == "Before"


def test_unticking_a_checkbox_turns_it_off(editor_client, make_run):
    run = make_run(force_rebuild=True)
    editor_client.post(url("run-edit", run), form_data(run, force_rebuild=False))
    run.refresh_from_db()
    assert run.force_rebuild is False


# -- Clone ----------------------------------------------------------------------------


def test_clone_form_is_prefilled_with_every_config_value(editor_client, make_run):
    run = make_run(task_title="Workers see this", task_name="pilot", aux_parameters={"k": "v"})
    html = editor_client.get(url("run-clone", run)).text
    assert 'value="Workers see this"' in field_block(html, "task_title")
    assert 'value="pilot"' in field_block(html, "task_name")
    assert "&quot;k&quot;: &quot;v&quot;" in field_block(html, "aux_parameters")
    assert f"run #{run.pk}</a>" in html


def test_saving_a_clone_creates_a_new_run_recorded_as_cloned_from_the_original(
    editor_client, editor, make_run
):
    original = make_run(task_title="Same title", aux_parameters={"k": [1]})
    response = editor_client.post(
        url("run-clone", original), form_data(original, max_num_concurrent_units="5")
    )
    clone = TaskRun.objects.exclude(pk=original.pk).get()
    assert response["Location"] == clone.get_absolute_url()
    assert clone.cloned_from == original
    assert clone.created_by == editor
    assert clone.task_title == "Same title"
    assert clone.aux_parameters == {"k": [1]}
    assert clone.max_num_concurrent_units == 5
    original.refresh_from_db()
    assert original.max_num_concurrent_units == 0


def test_getting_the_clone_page_saves_nothing(editor_client, make_run):
    run = make_run()
    editor_client.get(url("run-clone", run))
    assert TaskRun.objects.count() == 1


# -- Delete ---------------------------------------------------------------------------


def test_delete_asks_for_confirmation_first(editor_client, make_run):
    run = make_run(task_title="Doomed")
    response = editor_client.get(url("run-delete", run))
    assert "Delete “Doomed”?" in response.text
    assert TaskRun.objects.count() == 1


def test_confirming_deletes_the_run(editor_client, make_run):
    run = make_run()
    response = editor_client.post(url("run-delete", run))
    assert response["Location"] == reverse("tasks:run-list")
    assert not TaskRun.objects.exists()


@pytest.mark.parametrize("name", ["run-create", "run-edit", "run-clone", "run-delete"])
def test_forms_post_only_with_a_csrf_token(client, editor, make_run, name):
    csrf_client = type(client)(enforce_csrf_checks=True)
    csrf_client.force_login(editor)
    run = make_run()
    target = CREATE if name == "run-create" else url(name, run)
    assert csrf_client.post(target, form_data(run)).status_code == 403
    assert TaskRun.objects.count() == 1


# -- Launch arguments: one input per argument the chosen blueprint declares.

STATIC_TASK = {"blueprint": "static_task", "blueprint_source": "${task_dir}/task.html"}


def test_a_static_task_run_saves_its_typed_arguments_with_their_types(editor_client):
    response = editor_client.post(
        CREATE,
        form_data(
            **STATIC_TASK,
            blueprint_args__data_csv="${task_dir}/data.csv",
            blueprint_args__units_per_assignment="2",
            blueprint_args__use_golds="",
        ),
    )
    assert response.status_code == 302, response.text
    run = TaskRun.objects.get()
    assert run.blueprint_args == {"data_csv": "${task_dir}/data.csv", "units_per_assignment": 2}


def test_the_form_shows_the_chosen_blueprints_arguments_with_help(editor_client, make_run):
    run = make_run(**STATIC_TASK, blueprint_args={"units_per_assignment": 3})
    html = editor_client.get(url("run-edit", run)).text
    block = field_block(html, "blueprint_args__units_per_assignment")
    assert "How many workers you want to do each assignment. Default: 1." in block
    assert 'value="3"' in block
    assert "Path to csv file containing task data." in field_block(html, "blueprint_args__data_csv")
    # Taskadmin's own field holds the main argument; "Other" holds undeclared keys only.
    assert 'name="blueprint_args__task_source"' not in html
    assert "units_per_assignment" not in field_block(html, "blueprint_args")


def test_a_word_for_a_whole_number_argument_is_refused_beside_its_input(editor_client):
    response = editor_client.post(
        CREATE, form_data(**STATIC_TASK, blueprint_args__units_per_assignment="two")
    )
    assert field_errors(response.text, "blueprint_args__units_per_assignment") == [
        "Enter a whole number, or an interpolation such as ${task_dir}."
    ]
    assert not TaskRun.objects.exists()


def test_an_undeclared_key_in_other_arguments_is_refused_by_name(editor_client):
    response = editor_client.post(
        CREATE, form_data(**STATIC_TASK, blueprint_args='{"units_per_asignment": 2}')
    )
    assert field_errors(response.text, "blueprint_args") == [
        "mephisto.blueprint.units_per_asignment: Mephisto&#x27;s static_task blueprint has no"
        " argument units_per_asignment; it would refuse the config at launch. Did you mean"
        " units_per_assignment?"
    ]
    assert not TaskRun.objects.exists()


def test_a_static_task_without_its_task_source_is_refused_on_that_field(editor_client):
    response = editor_client.post(CREATE, form_data(blueprint="static_task"))
    assert field_errors(response.text, "blueprint_source") == [
        "static_task needs task_source: the file workers are shown."
    ]


def test_an_unknown_blueprint_keeps_its_arguments_unchecked(editor_client):
    response = editor_client.post(
        CREATE, form_data(blueprint="acute_eval", blueprint_args='{"pairings_filepath": "p"}')
    )
    assert response.status_code == 302, response.text
    run = TaskRun.objects.get()
    assert run.blueprint_args == {"pairings_filepath": "p"}
    page = editor_client.get(url("run-detail", run)).text
    assert escape("not one Mephisto ships") in page
    assert "<code>pairings_filepath: p</code>" in page


def test_a_field_left_to_a_base_file_is_exported_once_a_person_sets_it(editor_client, editor):
    from tasks import exporting, services
    from tests.conftest import VALID_RUN

    run = services.run_save(
        TaskRun(
            **VALID_RUN,
            defaults=["base", "_self_"],
            unset_fields=["max_num_concurrent_units", "submission_timeout"],
        ),
        by=editor,
        via="test",
    )
    # Left out, so that base's value holds when Hydra composes _self_ after it.
    assert "max_num_concurrent_units" not in exporting.task_config(run)
    editor_client.post(
        reverse("tasks:run-edit", args=[run.pk]), form_data(run, max_num_concurrent_units="50")
    )
    run.refresh_from_db()
    assert run.unset_fields == ["submission_timeout"]
    assert exporting.task_config(run)["max_num_concurrent_units"] == 50
    assert "submission_timeout" not in exporting.task_config(run)


# -- Hostile whole-config JSON ----------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["aux_parameters", *TaskRun.SECTION_FIELDS, "top_level", "defaults"]
)
def test_json_null_in_a_whole_config_field_is_refused_not_a_server_error(editor_client, name):
    # Django skips a blank=True field's validators for null: it reached the
    # database (NOT NULL) on save and the export in the live preview.
    preview = editor_client.post(reverse("tasks:run-preview"), form_data(**{name: "null"}))
    assert preview.status_code == 200
    assert preview.json()["config"] is None
    assert "not null" in str(preview.json()["errors"])
    response = editor_client.post(reverse("tasks:run-create"), form_data(**{name: "null"}))
    assert response.status_code == 200
    assert "not null" in " ".join(field_errors(response.content.decode(), name))
    assert not TaskRun.objects.exists()


def test_an_unpaired_surrogate_key_in_declared_arguments_is_refused_not_a_server_error(
    editor_client,
):
    # The launch-argument check named the key in its message, which the page
    # could not encode as UTF-8.
    data = form_data(provider="mock", provider_args='{"\\ud800": 1}')
    response = editor_client.post(reverse("tasks:run-create"), data)
    assert response.status_code == 200
    assert "unpaired surrogate" in " ".join(
        field_errors(response.content.decode(), "provider_args")
    )
    assert not TaskRun.objects.exists()


@pytest.mark.parametrize(
    ("name", "value", "key"),
    [
        ("blueprint_args", {"a.b": 1}, "mephisto.blueprint.a.b"),
        ("architect_args", {"": 1}, "mephisto.architect."),
        ("mephisto_extra", {"${x}": 1}, "mephisto.${x}"),
        ("top_level", {"a b": 1}, "a b"),
    ],
)
def test_a_key_a_command_line_cannot_carry_refuses_the_overrides_export(
    editor_client, make_run, name, value, key
):
    # "a.b" came back from the overrides as a nested {"a": {"b": 1}}; "" and
    # "${x}" did not come back at all.
    run = make_run(**{name: value})
    response = editor_client.get(
        reverse("tasks:run-export", args=[run.pk]), {"format": "overrides"}, follow=True
    )
    assert response.redirect_chain == [(run.get_absolute_url(), 302)]
    assert escape(f"{key}: a command line cannot carry this key") in response.content.decode()
