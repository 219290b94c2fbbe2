"""An import preview as data: the page's summary, the downloadable report, the refusal."""

import json

import pytest

from tasks import import_report, importing

pytestmark = pytest.mark.django_db

FLAT = {"task_title": "Run", "task_description": "D", "task_reward": 0.25, "task_tags": "t"}


def previewed(*documents):
    text = "\n".join(json.dumps(document) for document in documents)
    return importing.preview(importing.parse("runs.jsonl", text.encode()))


def test_each_document_is_of_one_kind_and_a_new_run_with_warnings_is_not_new():
    batch = previewed(FLAT, {**FLAT, "task_title": "Risky", "task_reward": 60}, FLAT, {})
    assert [import_report.kind_of(doc) for doc in batch.documents] == [
        "new",
        "warnings",
        "identical",
        "invalid",
    ]


def test_the_summary_counts_every_kind_and_keeps_the_first_rows_of_each():
    batch = previewed(*[{**FLAT, "task_title": f"Run {n}"} for n in range(5)], {})
    summary = import_report.summary(batch, token="t", rows=2)
    assert (summary["new"], summary["identical"], summary["invalid"]) == (5, 0, 1)
    assert [(k["kind"], k["count"], len(k["rows"]), k["more"]) for k in summary["kinds"]] == [
        ("invalid", 1, 1, 0),
        ("new", 5, 2, 3),
    ]
    assert summary["kinds"][1]["rows"][0] == {
        "source": "runs.jsonl line 1",
        "kind": "new",
        "title": "Run 0",
        "same_as": None,
        "errors": [],
        "warnings": [],
    }
    assert json.loads(json.dumps(summary)) == summary  # kept on a Job as JSON


def test_the_report_has_one_json_line_per_document_in_file_order():
    batch = previewed(FLAT, {"task_title": "No tags"})
    lines = [json.loads(line) for line in import_report.report_lines(batch)]
    assert [line["source"] for line in lines] == ["runs.jsonl line 1", "runs.jsonl line 2"]
    assert lines[1]["kind"] == "invalid" and lines[1]["errors"]


@pytest.mark.parametrize(
    ("documents", "only_valid", "acknowledged"),
    [
        ([FLAT, {}], False, ()),
        ([FLAT, {}], True, ()),
        ([{**FLAT, "task_reward": 60}], False, ()),
        ([{**FLAT, "task_reward": 60}], False, ("reward_above_confirm_threshold",)),
    ],
)
def test_the_refusal_judged_from_a_summary_is_the_one_importing_gives(
    editor, documents, only_valid, acknowledged
):
    batch = previewed(*documents)
    expected = import_report.refusal(
        import_report.summary(batch, token="t"), only_valid=only_valid, acknowledged=acknowledged
    )
    try:
        importing.apply(batch, only_valid=only_valid, by=editor, acknowledged=acknowledged)
    except importing.ImportRefused as error:
        assert expected == str(error)
    else:
        assert expected is None
