"""Provider, presets, live badges and complete Hydra configs."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from tasks.exporting import export_run, hydra_config
from tests.html import field_block

CREATE = reverse("tasks:run-create")


@pytest.mark.parametrize(
    ("preset", "architect", "provider"),
    [
        ("local-mock", "local", "mock"),
        ("mturk-sandbox", "heroku", "mturk_sandbox"),
        ("mturk-live", "heroku", "mturk"),
        ("prolific", "heroku", "prolific"),
    ],
)
def test_a_preset_fills_the_launch_setup_in_one_click(editor_client, preset, architect, provider):
    html = editor_client.get(CREATE, {"preset": preset}).text
    assert f'value="{architect}"' in field_block(html, "architect")
    assert f'<option value="{provider}" selected>' in field_block(html, "provider")
    assert 'value="static_task"' in field_block(html, "blueprint")


def test_an_unknown_preset_changes_nothing(editor_client):
    html = editor_client.get(CREATE, {"preset": "nonsense"}).text
    assert '<option value="mock" selected>' in field_block(html, "provider")


def test_live_runs_carry_a_badge_everywhere(editor_client, make_run):
    live = make_run(provider="mturk", task_title="Paid run")
    make_run(provider="mturk_sandbox", task_title="Sandbox run")
    listing = editor_client.get("/").text
    assert listing.count("LIVE · ") == 1
    assert "LIVE · mturk" in editor_client.get(live.get_absolute_url()).text
    assert "are paid real money for this run" in editor_client.get(f"/runs/{live.pk}/edit/").text
    admin = editor_client.get(reverse("admin:tasks_taskrun_changelist")).text
    assert "mturk · LIVE, PAID" in admin


def test_the_provider_can_filter_the_admin_list(editor_client, make_run):
    make_run(provider="mturk", task_title="On MTurk")
    make_run(provider="mock", task_title="Mocked")
    response = editor_client.get(reverse("admin:tasks_taskrun_changelist"), {"provider": "mturk"})
    assert [run.task_title for run in response.context["cl"].result_list] == ["On MTurk"]


def test_prolific_form_asks_for_cents_and_shows_the_currency(editor_client, make_run):
    run = make_run(provider="prolific", task_reward=Decimal("150"), estimated_minutes=10)
    block = field_block(editor_client.get(f"/runs/{run.pk}/edit/").text, "task_reward")
    assert ">¢</span>" in block
    assert 'value="150"' in block
    assert "= 150¢ ($1.50) per unit" in block


def test_prolific_export_writes_the_integer_mephisto_passes(make_run):
    run = make_run(provider="prolific", task_reward=Decimal("70"), estimated_minutes=5)
    content = export_run(run)[2]
    assert '"task_reward": 70,' in content
    assert json.loads(content)["mephisto"]["task"]["task_reward"] == 70


def test_hydra_config_chooses_blueprint_architect_and_provider(make_run):
    run = make_run(
        provider="mturk_sandbox",
        architect="heroku",
        blueprint="static_task",
        blueprint_source="${task_dir}/server_files/demo.html",
    )
    config = hydra_config(run)
    assert config["defaults"] == [
        {"/mephisto/blueprint": "static_task"},
        {"/mephisto/architect": "heroku"},
        {"/mephisto/provider": "mturk_sandbox"},
        "_self_",
    ]
    assert config["mephisto"]["blueprint"] == {"task_source": "${task_dir}/server_files/demo.html"}
    assert list(config["mephisto"]) == ["blueprint", "task"]


def test_hydra_config_leaves_out_choices_made_at_launch(make_run):
    config = hydra_config(make_run(provider="mock"))
    assert config["defaults"] == [{"/mephisto/provider": "mock"}, "_self_"]
    assert list(config["mephisto"]) == ["task"]


def test_parlai_chat_takes_a_world_file(make_run):
    run = make_run(blueprint="parlai_chat", blueprint_source="worlds.py")
    assert hydra_config(run)["mephisto"]["blueprint"] == {"world_file": "worlds.py"}
