"""tasks.services: the one write path, in the order it checks things."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tasks import rules, services
from tasks.models import EditConflict, TaskRun
from tests.conftest import VALID_RUN

EVERY_WARNING = {
    "task_name": "pilot_study",
    "task_reward": Decimal("60"),
    "no_submission_patience": 60,
    "resume_incomplete_run": True,
    "post_install_script": "link.sh",
}


def new_run(**values):
    return TaskRun(**{**VALID_RUN, **values})


@pytest.fixture
def saved(editor):
    return services.run_save(new_run(), by=editor, via="test")


def test_a_save_records_who_and_how_in_the_history(saved, editor):
    record = saved.history.get()
    assert (record.history_user, record.history_change_reason) == (editor, "test")
    assert (saved.created_by, saved.updated_by) == (editor, editor)


def test_a_rule_broken_is_a_field_error_and_nothing_is_saved(editor):
    with pytest.raises(ValidationError) as refused:
        services.run_save(new_run(task_reward=Decimal("-1")), by=editor, via="test")
    assert refused.value.message_dict == {"task_reward": ["The reward cannot be negative."]}
    assert not TaskRun.objects.exists()


def test_an_unread_warning_holds_the_save_back_and_names_each_code(editor):
    run = new_run(resume_incomplete_run=True, task_reward=Decimal("60"))
    with pytest.raises(services.UnreadWarnings) as held:
        services.run_save(run, by=editor, via="test", acknowledged=["resume_ignores_these_values"])
    assert held.value.codes == ["reward_above_confirm_threshold"]
    assert held.value.warnings[0].message == (
        "$60.00 per unit is more than $50.00: make sure it is not a typo before workers are"
        " paid it."
    )
    assert not TaskRun.objects.exists()


def test_every_warning_acknowledged_saves_and_the_codes_have_their_own_history_field(
    editor, make_run
):
    make_run(task_name="pilot_study")
    run = new_run(**EVERY_WARNING)
    codes = [finding.code for finding in services.warnings_for(run)]
    assert sorted(codes) == sorted(rules.WARNING_CODES)
    services.run_save(run, by=editor, via="browser", acknowledged=codes)
    record = run.history.get()
    assert record.acknowledged_warnings == codes
    # Six codes would overflow a 200-character change reason on PostgreSQL.
    assert record.history_change_reason == "browser"


def test_a_very_long_via_is_cut_to_the_change_reason_column(editor):
    run = services.run_save(new_run(), by=editor, via="import: " + "x" * 500)
    assert len(run.history.get().history_change_reason) == services.VIA_MAX_LENGTH


def test_a_stale_copy_is_an_edit_conflict_and_changes_nothing(saved, editor):
    stale = TaskRun.objects.get(pk=saved.pk)
    saved.task_title = "First"
    services.run_save(saved, by=editor, via="test")
    stale.task_title = "Second"
    with pytest.raises(EditConflict):
        services.run_save(stale, by=editor, via="test")
    assert TaskRun.objects.get().task_title == "First"


def test_a_launched_runs_config_is_refused_whatever_the_path(saved, editor):
    services.run_launch(saved, by=editor)
    run = TaskRun.objects.get()
    run.task_title = "Changed after launch"
    with pytest.raises(ValidationError) as refused:
        services.run_save(run, by=editor, via="test")
    assert refused.value.messages == [
        "This run was launched, so its config is read-only: clone it to change it."
    ]


def test_launching_asks_only_about_warnings_not_read_when_last_saved(editor, make_run):
    run = services.run_save(
        new_run(task_name="study", resume_incomplete_run=True),
        by=editor,
        via="test",
        acknowledged=["resume_ignores_these_values"],
    )
    make_run(task_name="study", task_title="Took the name since")
    with pytest.raises(services.UnreadWarnings) as held:
        services.run_launch(run, by=editor)
    assert held.value.codes == ["task_name_shared"]
    assert TaskRun.objects.get(pk=run.pk).status == TaskRun.Status.DRAFT
    assert run.status == TaskRun.Status.DRAFT  # the copy in hand is put back too
    services.run_launch(run, by=editor, acknowledged=["task_name_shared"])
    assert TaskRun.objects.get(pk=run.pk).status == TaskRun.Status.LAUNCHED


def test_a_launch_with_an_id_that_cannot_be_stored_leaves_the_run_a_draft(saved, editor):
    with pytest.raises(ValidationError):
        services.run_launch(saved, by=editor, mephisto_task_run_id="a\x00b")
    saved.refresh_from_db()
    assert (saved.status, saved.mephisto_task_run_id) == (TaskRun.Status.DRAFT, "")


def test_archiving_checks_no_rule(saved, editor):
    # A run saved under older rules (here: stored straight to the table).
    TaskRun.objects.filter(pk=saved.pk).update(provider="mturk", task_title="x" * 200)
    run = TaskRun.objects.get()
    services.run_archive(run, by=editor)
    assert TaskRun.objects.get().status == TaskRun.Status.ARCHIVED


def test_revert_saves_the_old_config_as_a_new_version_asking_about_its_warnings(saved, editor):
    saved.resume_incomplete_run = True
    services.run_save(saved, by=editor, via="test", acknowledged=["resume_ignores_these_values"])
    saved.resume_incomplete_run = False
    services.run_save(saved, by=editor, via="test")
    with_resume = saved.history.get(version=2)
    with pytest.raises(services.UnreadWarnings):
        services.run_revert(saved, with_resume, by=editor)
    services.run_revert(saved, with_resume, by=editor, acknowledged=["resume_ignores_these_values"])
    assert TaskRun.objects.get().resume_incomplete_run is True
    assert saved.history.latest("history_id").history_change_reason == "revert to version 2"


def test_a_version_of_another_run_cannot_be_reverted_to(saved, editor):
    other = services.run_save(new_run(), by=editor, via="test")
    with pytest.raises(ValidationError) as refused:
        services.run_revert(saved, other.history.get(), by=editor)
    assert refused.value.messages == ["That version belongs to another run."]


def test_cloning_many_is_all_or_nothing_and_lists_each_runs_warnings(editor, make_run):
    plain = make_run(task_title="Plain")
    named = make_run(task_title="Named", task_name="pilot")
    with pytest.raises(services.UnreadWarnings) as held:
        services.run_clone_many([plain, named], by=editor)
    assert [(run.pk, w.code) for run, w in held.value.warnings_by_run] == [
        (named.pk, "task_name_shared")
    ]
    assert TaskRun.objects.count() == 2
    clones = services.run_clone_many(
        [plain, named], by=editor, acknowledged={named.pk: ["task_name_shared"]}
    )
    assert [clone.cloned_from for clone in clones] == [plain, named]
    assert clones[1].history.get().history_change_reason == f"clone of #{named.pk}"


def test_a_launched_run_cannot_be_deleted_and_a_draft_keeps_its_history(saved, editor):
    launched = services.run_save(new_run(), by=editor, via="test")
    services.run_launch(launched, by=editor)
    with pytest.raises(ValidationError):
        services.run_delete(launched, by=editor)
    pk = saved.pk
    services.run_delete(saved, by=editor)
    assert not TaskRun.objects.filter(pk=pk).exists()
    assert TaskRun.history.filter(id=pk).latest("history_id").history_change_reason == (
        "browser: deleted"
    )


def test_a_launched_run_cannot_be_reverted_even_to_its_own_config(saved, editor):
    services.run_launch(saved, by=editor)
    run = TaskRun.objects.get()
    versions = run.history.count()
    with pytest.raises(ValidationError) as refused:
        services.run_revert(run, run.history.latest("history_id"), by=editor)
    assert refused.value.messages == [
        "This run was launched, so its config is read-only: clone it to change it."
    ]
    assert (TaskRun.objects.get().version, run.history.count()) == (2, versions)
