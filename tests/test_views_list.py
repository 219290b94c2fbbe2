"""The run list at /: search, sort, pages, and what each row offers."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tasks import services

LIST = reverse("tasks:run-list")


def titles(response):
    return [run.task_title for run in response.context["page"]]


def test_list_is_the_home_page():
    assert LIST == "/"


def test_list_shows_every_run_newest_first(viewer_client, make_run):
    make_run(task_title="First")
    make_run(task_title="Second")
    response = viewer_client.get(LIST)
    assert response.status_code == 200
    assert titles(response) == ["Second", "First"]


def test_empty_list_invites_to_create_the_first_run(editor_client):
    response = editor_client.get(LIST)
    assert "No task runs yet." in response.text
    assert reverse("tasks:run-create") in response.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("label", ["Label the pictures"]),
        ("pilot", ["Rate the sentences"]),
        ("AUDIO", ["Transcribe speech"]),
        ("rate pilot", ["Rate the sentences"]),
        ("nothing-like-this", []),
    ],
)
def test_search_matches_title_task_name_or_tags(viewer_client, make_run, query, expected):
    make_run(task_title="Label the pictures", task_tags="images")
    make_run(task_title="Rate the sentences", task_name="nlp-pilot", task_tags="text")
    make_run(task_title="Transcribe speech", task_tags="audio, speech")
    response = viewer_client.get(LIST, {"q": query})
    assert titles(response) == expected


def test_no_match_says_so(viewer_client, make_run):
    make_run()
    response = viewer_client.get(LIST, {"q": "zebra"})
    assert "No runs match “zebra”." in response.text


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("title", ["Apples", "Bananas", "Cherries"]),
        ("-title", ["Cherries", "Bananas", "Apples"]),
        ("reward", ["Bananas", "Cherries", "Apples"]),
        ("-reward", ["Apples", "Cherries", "Bananas"]),
        ("name", ["Cherries", "Apples", "Bananas"]),
        ("created", ["Bananas", "Apples", "Cherries"]),
        ("-created", ["Cherries", "Apples", "Bananas"]),
        ("bogus", ["Cherries", "Apples", "Bananas"]),
    ],
)
def test_list_sorts_by_the_main_columns(viewer_client, make_run, sort, expected):
    make_run(task_title="Bananas", task_reward=Decimal("0.10"), task_name="b")
    make_run(task_title="Apples", task_reward=Decimal("3.00"), task_name="a")
    make_run(task_title="Cherries", task_reward=Decimal("1.00"), task_name="")
    assert titles(viewer_client.get(LIST, {"sort": sort})) == expected


def test_sort_headings_toggle_direction_and_keep_the_search(viewer_client, make_run):
    make_run()
    response = viewer_client.get(LIST, {"sort": "title", "q": "label"})
    assert 'href="?sort=-title&amp;q=label" aria-sort="ascending">Title ▲' in response.text
    assert 'href="?sort=reward&amp;q=label" aria-sort="none">Reward' in response.text


def test_list_is_paginated(viewer_client, make_run, settings):
    settings.TASKADMIN_PAGE_SIZE = 2
    for number in range(5):
        make_run(task_title=f"Run {number}")
    first = viewer_client.get(LIST, {"sort": "title"})
    assert titles(first) == ["Run 0", "Run 1"]
    assert "Page 1 of 3" in first.text
    assert 'href="?page=2&amp;sort=title"' in first.text
    last = viewer_client.get(LIST, {"sort": "title", "page": 3})
    assert titles(last) == ["Run 4"]
    assert titles(viewer_client.get(LIST, {"page": "junk", "sort": "title"})) == ["Run 0", "Run 1"]


def test_each_row_links_to_view_edit_clone_and_export(editor_client, make_run):
    run = make_run()
    html = editor_client.get(LIST).text
    for name in ("run-detail", "run-edit", "run-clone", "run-export"):
        assert f'href="{reverse(f"tasks:{name}", args=[run.pk])}"' in html, name


def test_a_clone_is_marked_with_its_origin(viewer_client, make_run, editor):
    original = make_run(task_title="The original")
    services.run_clone(original, by=editor)
    html = viewer_client.get(LIST).text
    assert (
        f'cloned from <a href="{original.get_absolute_url()}">#{original.pk} The original</a>'
        in html
    )


def test_tags_are_shown_as_chips(viewer_client, make_run):
    make_run(task_tags="images, fast")
    html = viewer_client.get(LIST).text
    assert '<span class="badge rounded-pill text-bg-secondary tag-chip me-1">images</span>' in html
    assert '<span class="badge rounded-pill text-bg-secondary tag-chip me-1">fast</span>' in html
