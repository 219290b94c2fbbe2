"""Filling in the run form in a real browser: mistakes, live help, preview, guard, keyboard."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tasks.durations import ACCEPTED
from tasks.models import TaskRun
from tests.browser.conftest import PHONE, screenshot

REWARD_DECIMALS = "Use at most 2 decimal places: providers pay in whole cents."
DURATION_INVALID = f"Enter {ACCEPTED}."


def fill_valid(page, **overrides):
    values = {
        "Task title": "Label the pictures",
        "Task description": "Look at each picture and pick the label that fits best.",
        "Task reward": "0.50",
        "Task tags": "images, labelling",
        **overrides,
    }
    for label, value in values.items():
        page.get_by_label(label).fill(value)


@pytest.fixture
def new_run_form(page, log_in, editor):
    """The editor, logged in, on an empty new-run form."""
    log_in(editor)
    page.goto(reverse("tasks:run-create"))
    return page


def wait_for_preview(page):
    expect(page.locator("#run-form")).to_have_attribute("data-preview-state", "ready")


def test_person_logs_in_fixes_two_mistakes_and_saves_a_run(page, editor):
    page.goto(reverse("tasks:run-list"))
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Task runs")).to_be_visible()

    page.get_by_role("link", name="New run").first.click()
    fill_valid(page, **{"Task reward": "0.005"})
    lifetime = page.get_by_label("Task lifetime in seconds")
    lifetime.fill("12x")
    page.get_by_label("Assignment duration in seconds").fill("45m")
    expect(page.locator("#id_assignment_duration_in_seconds_human")).to_have_text("45 minutes")
    page.get_by_role("button", name="Create run").click()

    reward = page.get_by_label("Task reward")
    expect(page.locator("#id_task_reward_error")).to_have_text(REWARD_DECIMALS)
    expect(page.locator("#id_task_lifetime_in_seconds_error")).to_have_text(DURATION_INVALID)
    expect(page.locator("#form-errors")).to_contain_text(
        "Please correct the 2 fields marked below; everything you typed is kept."
    )
    # The messages belong to their inputs, and the first one has the focus.
    expect(reward).to_have_attribute("aria-invalid", "true")
    expect(reward).to_have_attribute(
        "aria-describedby", "id_task_reward_helptext id_task_reward_error"
    )
    expect(lifetime).to_have_attribute(
        "aria-describedby", "id_task_lifetime_in_seconds_helptext id_task_lifetime_in_seconds_error"
    )
    expect(reward).to_be_focused()
    page.locator("#form-errors").get_by_role("link", name="Task lifetime in seconds").click()
    expect(lifetime).to_be_focused()
    # Everything typed is kept, mistakes included.
    expect(reward).to_have_value("0.005")
    expect(lifetime).to_have_value("12x")
    expect(page.get_by_label("Task title")).to_have_value("Label the pictures")
    expect(page.get_by_label("Assignment duration in seconds")).to_have_value("45m")
    wait_for_preview(page)
    screenshot(page, "form-with-errors")

    reward.fill("0.5")
    reward.blur()
    expect(reward).to_have_value("0.50")
    lifetime.fill("1d 12h")
    expect(page.locator("#id_task_lifetime_in_seconds_human")).to_have_text("1 day 12 hours")
    # Fixed fields lose their old message as soon as the server accepts them.
    expect(page.locator("#id_task_reward_error")).to_be_hidden()
    expect(lifetime).not_to_have_attribute("aria-invalid", "true")
    wait_for_preview(page)
    screenshot(page, "form-valid")
    page.get_by_role("button", name="Create run").click()

    expect(page.get_by_role("alert")).to_contain_text("Created “Label the pictures”.")
    run = TaskRun.objects.get()
    assert (run.task_reward, run.task_lifetime_in_seconds) == (Decimal("0.50"), 129600)
    assert run.assignment_duration_in_seconds == 2700
    screenshot(page, "detail")


@pytest.mark.usefixtures("new_run_form")
def test_duration_shows_in_words_as_typed_and_says_what_is_accepted(page):
    duration = page.get_by_label("Submission timeout")
    hint = page.locator("#id_submission_timeout_human")
    expect(hint).to_have_text("10 minutes")
    duration.fill("90s")
    expect(hint).to_have_text("1 minute 30 seconds")
    duration.fill("-5m")
    expect(hint).to_have_text(DURATION_INVALID)
    duration.fill("31d")
    expect(hint).to_have_text("31 days")


@pytest.mark.usefixtures("new_run_form")
def test_reward_shows_two_decimals_in_dollars_and_whole_cents_for_prolific(page):
    reward = page.get_by_label("Task reward")
    unit = page.locator("#div_id_task_reward [data-reward-unit]")
    expect(unit).to_have_text("$")
    reward.fill(".5")
    reward.blur()
    expect(reward).to_have_value("0.50")

    page.get_by_label("Provider", exact=True).select_option("prolific")
    expect(unit).to_have_text("¢")
    reward.fill("150")
    reward.blur()
    expect(reward).to_have_value("150")


@pytest.mark.usefixtures("new_run_form")
def test_tags_show_as_chips_with_duplicates_and_blanks_dropped(page):
    page.get_by_label("Task tags").press_sequentially("images, , Images,  fast   labelling ,")
    chips = page.locator(".tag-chips li")
    expect(chips).to_have_text(["images", "fast labelling", "Images"])
    expect(page.locator(".tag-chips li.tag-chip-dropped")).to_have_text(["Images"])
    expect(page.locator(".tag-dropped")).to_have_text(
        "Dropped when saved: “Images” (same as “images”), 1 blank."
    )
    fill_valid(page, **{"Task tags": "images, , Images,  fast   labelling ,"})
    wait_for_preview(page)
    preview = json.loads(page.locator("#preview-json").text_content())
    assert preview["mephisto"]["task"]["task_tags"] == "images, fast labelling"


@pytest.mark.usefixtures("new_run_form")
def test_tags_that_casefold_alike_show_as_one_chip_the_way_they_are_saved(page):
    # "ß".toLowerCase() is "ß" but "ß".casefold() is "ss": the chips are the
    # server's reading, so they show the one tag it saves.
    fill_valid(page, **{"Task tags": ""})
    page.get_by_label("Task tags").press_sequentially("Straße, STRASSE, , images")
    wait_for_preview(page)
    expect(page.locator(".tag-chips li:not(.tag-chip-dropped)")).to_have_text(["Straße", "images"])
    expect(page.locator(".tag-chips li.tag-chip-dropped")).to_have_text(["STRASSE"])
    expect(page.locator(".tag-chips li.tag-chip-dropped")).to_have_css(
        "text-decoration-line", "line-through"
    )
    expect(page.locator(".tag-dropped")).to_have_text(
        "Dropped when saved: “STRASSE” (same as “Straße”), 1 blank."
    )
    preview = json.loads(page.locator("#preview-json").text_content())
    assert preview["mephisto"]["task"]["task_tags"] == "Straße, images"
    page.locator("#id_task_tags").scroll_into_view_if_needed()
    screenshot(page, "form-tag-chips")

    page.get_by_role("button", name="Create run").click()
    expect(page.get_by_role("alert")).to_contain_text("Created “Label the pictures”.")
    assert TaskRun.objects.get().tag_list == ["Straße", "images"]


@pytest.mark.usefixtures("new_run_form")
def test_reward_equivalent_and_cost_estimate_follow_the_typing(page, settings):
    estimate = page.locator("#cost-estimate")
    expect(estimate).to_contain_text("Give the reward and the number of units")
    fill_valid(page, **{"Task reward": "1.25"})
    page.get_by_label("Units to collect").fill("40")
    page.get_by_label("Provider", exact=True).select_option("mturk_sandbox")
    expect(estimate).to_contain_text("Total (estimate)$60.00")

    page.get_by_label("Provider", exact=True).select_option("prolific")
    page.get_by_label("Task reward").fill("150")
    page.get_by_label("Estimated minutes per unit").fill("10")
    equivalent = page.locator("output[data-reward-equivalent]")
    expect(equivalent).to_have_text("= 150¢ ($1.50) per unit")
    expect(estimate).to_contain_text("40 units × $1.50")
    page.get_by_label("Units to collect").fill("")
    expect(estimate).to_contain_text("Give the reward and the number of units")


@pytest.mark.usefixtures("new_run_form")
def test_live_preview_equals_the_downloaded_export(page):
    expect(page.locator("#preview-errors")).to_contain_text("Task title: This field is required.")
    fill_valid(page, **{"Task name": "pictures-1", "Task tags": "images, Images, cats"})
    page.get_by_label("Task lifetime in seconds").fill("2d")
    page.get_by_label("Aux parameters").fill('{"zeta": [1, 2.5], "alpha": "café ${name}"}')
    wait_for_preview(page)
    preview = page.locator("#preview-json").text_content()
    assert json.loads(preview)["mephisto"]["task"]["task_lifetime_in_seconds"] == 172800

    page.get_by_role("button", name="Create run").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Export JSON").click()
    assert Path(download.value.path()).read_bytes() == preview.encode()


@pytest.mark.usefixtures("new_run_form")
def test_large_reward_asks_for_a_tick_before_saving(page):
    fill_valid(page, **{"Task reward": "500"})
    warning = (
        "$500.00 per unit is more than $50.00: make sure it is not a typo before workers"
        " are paid it."
    )
    # The preview says so while typing ...
    expect(page.locator("#preview-warnings")).to_contain_text(f"Task reward: {warning}")
    page.get_by_role("button", name="Create run").click()

    # ... and saving waits for the tick beside the reward.
    expect(page.locator("#unread-warnings")).to_have_text(
        "Read the warning marked below and tick “I have read this” to save."
    )
    expect(page.locator("#warning-reward_above_confirm_threshold")).to_contain_text(warning)
    expect(page.get_by_label("I have read this")).to_be_focused()
    assert not TaskRun.objects.exists()
    screenshot(page, "form-reward-warning")
    page.get_by_label("I have read this").check()
    page.get_by_role("button", name="Create run").click()
    expect(page.get_by_role("alert")).to_contain_text("Created “Label the pictures”.")
    assert TaskRun.objects.get().task_reward == Decimal("500")


@pytest.mark.usefixtures("new_run_form")
def test_a_prolific_run_is_paid_in_cents_at_the_minimum_hourly_rate(page):
    page.get_by_role("link", name="Prolific").click()
    expect(page.get_by_label("Provider", exact=True)).to_have_value("prolific")
    expect(page.get_by_role("status").filter(has_text="Live provider")).to_be_visible()
    fill_valid(page, **{"Task reward": "70", "Estimated minutes per unit": "10"})
    # The preset's static_task blueprint cannot launch without its task_source.
    page.get_by_label("task_source (the blueprint's main file)").fill("${task_dir}/task.html")
    page.get_by_role("button", name="Create run").click()

    expect(page.locator("#id_task_reward_error")).to_have_text(
        "Prolific requires at least $8.00 an hour: 70¢ for 10 minutes pays $4.20 an hour."
    )
    expect(page.get_by_label("Estimated minutes per unit")).to_have_value("10")
    page.get_by_label("Task reward").fill("150")
    page.get_by_role("button", name="Create run").click()

    expect(page.get_by_role("alert")).to_contain_text("Created “Label the pictures”.")
    expect(page.locator("#value-task_reward")).to_contain_text("150¢ ($1.50) per unit")
    expect(page.get_by_text("LIVE · prolific")).to_be_visible()
    run = TaskRun.objects.get()
    assert (run.provider, run.task_reward, run.estimated_minutes) == ("prolific", 150, 10)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export JSON").click()
    task = json.loads(Path(download.value.path()).read_text())["mephisto"]["task"]
    assert task["task_reward"] == 150


@pytest.mark.usefixtures("new_run_form")
def test_leaving_with_unsaved_changes_asks_first(page):
    page.get_by_label("Task title").fill("Half typed")
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss() if len(dialogs) == 1 else dialog.accept()

    page.on("dialog", answer)
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_label("Task title")).to_have_value("Half typed")
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name="Task runs")).to_be_visible()
    assert dialogs == ["beforeunload", "beforeunload"]


@pytest.mark.usefixtures("new_run_form")
def test_saving_leaves_without_asking(page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    fill_valid(page)
    page.get_by_role("button", name="Create run").click()
    expect(page.get_by_role("alert")).to_contain_text("Created “Label the pictures”.")
    assert dialogs == []


@pytest.mark.usefixtures("new_run_form")
def test_every_input_is_labelled_and_tab_order_follows_the_page(page):
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('#run-form input:not([type=hidden]),'
                 + ' #run-form textarea, #run-form select')]
              .filter((el) => !el.labels.length && !el.getAttribute('aria-label'))
              .map((el) => el.name)"""
    )
    assert unlabelled == []

    # The focusable controls from top to bottom, as a person sees them ...
    in_visual_order = page.evaluate(
        """() => [...document.querySelectorAll('#run-form input:not([type=hidden]),'
                 + ' #run-form textarea, #run-form select, #run-form button, #run-form a[href]')]
              .filter((el) => el.offsetParent !== null)
              .map((el) => [el.getBoundingClientRect(), el.name || el.textContent.trim()])
              .sort(([a], [b]) => a.top - b.top || a.left - b.left)
              .map(([, name]) => name)"""
    )
    # ... are the order Tab visits them in.
    page.get_by_label("Provider", exact=True).focus()
    tabbed = []
    for _ in in_visual_order:
        tabbed.append(
            page.evaluate(
                "document.activeElement.name || document.activeElement.textContent.trim()"
            )
        )
        page.keyboard.press("Tab")
    assert tabbed == in_visual_order
    assert in_visual_order[:9] == [
        "provider",
        "architect",
        "blueprint",
        "blueprint_source",
        "blueprint_args",
        "architect_args",
        "provider_args__requester_name",
        "provider_args",
        "task_title",
    ]


def test_form_and_list_fit_a_phone_and_follow_dark_mode(new_context, log_in, editor, make_run):
    make_run(task_title="Label the sentiment of short messages about the weather", task_name="w-1")
    context = new_context(viewport=PHONE, color_scheme="dark")
    log_in(editor, context=context)
    page = context.new_page()
    fits = "document.documentElement.scrollWidth <= window.innerWidth"

    page.goto(reverse("tasks:run-create"))
    fill_valid(page)
    wait_for_preview(page)
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    assert page.evaluate(fits)
    screenshot(page, "form-phone-dark")

    page.goto(reverse("tasks:run-list"))
    assert page.evaluate(fits)
    screenshot(page, "list-phone-dark")


def test_the_chosen_blueprints_arguments_appear_and_follow_a_change(new_run_form):
    page = new_run_form
    wait_for_preview(page)
    page.get_by_label("Blueprint", exact=True).fill("static_task")
    page.get_by_label("Blueprint", exact=True).dispatch_event("change")
    data_csv = page.get_by_label("data_csv")
    expect(data_csv).to_be_visible()
    expect(page.locator("#launch-arguments")).to_have_attribute("data-choices", "static_task||mock")
    expect(page.locator("#id_blueprint_args__data_csv_helptext")).to_contain_text(
        "Path to csv file containing task data."
    )
    # task_source is the blueprint's main file, a field of its own.
    expect(page.locator("[name=blueprint_args__task_source]")).to_have_count(0)
    expect(page.get_by_label("task_source (the blueprint's main file)")).to_be_visible()
    expect(page.locator("#id_blueprint_source_helptext")).to_have_text(
        "Path to source HTML file for the task being run. Required."
    )
    page.get_by_label("units_per_assignment").fill("2")
    page.get_by_label("block_qualification").fill("blocked")
    wait_for_preview(page)
    screenshot(page, "run-form-static-task-arguments")

    page.get_by_label("Blueprint", exact=True).fill("parlai_chat")
    page.get_by_label("Blueprint", exact=True).dispatch_event("change")
    expect(page.locator("#launch-arguments")).to_have_attribute("data-choices", "parlai_chat||mock")
    expect(page.get_by_label("world_file (the blueprint's main file)")).to_be_visible()
    expect(page.get_by_label("context_csv")).to_be_visible()
    expect(page.locator("[name=blueprint_args__data_csv]")).to_have_count(0)
    # An argument both declare keeps what was typed; one parlai_chat lacks
    # is kept in "Other" (and refused there, by name).
    expect(page.get_by_label("block_qualification")).to_have_value("blocked")
    expect(page.get_by_label("Other blueprint arguments (JSON)")).to_have_value(
        '{\n  "units_per_assignment": "2"\n}'
    )
    wait_for_preview(page)
    expect(page.locator("#preview-errors")).to_contain_text("has no argument units_per_assignment")
