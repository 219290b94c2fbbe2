"""Real-shaped configs (tests/data/configs/): import, export in every format, read back.

Each corpus file is written in the shapes of Mephisto's and ParlAI's example
folders (our own text, not theirs). Every file is imported with every warning
acknowledged, then exported as JSON, YAML and overrides; each export is read
back the way Mephisto reads it (OmegaConf for JSON and YAML, Hydra's override
parser for overrides), WITHOUT resolving interpolations, and compared with the
original file read the same way, section by section. The only differences
allowed are the documented ones, each asserted exactly below:

- the task fields a file left out are written with Mephisto's defaults;
- a Prolific run writes prolific_estimated_completion_time_in_minutes, at
  Mephisto's own default of 5 when the file left it out;
- task_reward is written as a float (an int in cents for Prolific), the type
  of Mephisto's field: `task_reward: 0` comes back as 0.0;
- free text (title, description, name) is stored without spaces or line
  breaks around it: a folded `>` description loses its final newline;
- keys come back in the documented order (dicts compare without order);
- an overrides line has no `_self_`: importing one adds `_self_` at the end,
  and an overrides export leaves it out. Hydra appends `_self_` to a defaults
  list that lacks it, so both mean the same config, and reading the export
  back finds the saved run identical.
"""

import shlex
from decimal import Decimal
from pathlib import Path

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from tasks import exporting, importing, rules
from tasks.defaults_list import SELF, other_files
from tasks.models import TaskRun
from tasks.providers import PROLIFIC_DEFAULT_MINUTES, PROLIFIC_MINUTES_ARGUMENT

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).parent / "data" / "configs"
# The start and the end of the notice (the middle lists what base may set).
BASE_NOTICE = (
    "{name}: the defaults list names base, which is not in this upload; the values base sets",
    "Upload the files together (a zip, or several files at once) to compose them as Hydra does.",
)
NOT_CHECKED_NOTICE = (
    "{name}: the blueprint {blueprint} is not one Mephisto ships: its arguments are kept"
    " as written, not checked."
)
UNSHIPPED_BLUEPRINTS = {
    "acute_eval_parlai.yaml": "acute_eval",
    "per_turn_eval_parlai.yaml": "per_turn_eval_blueprint",
}
OVERRIDES_REFUSE_BASE = (
    "The defaults list names other config files (base), which a command line cannot"
    " carry: export as YAML or JSON instead."
)

# file: (runs it imports, or the exact message refusing it; warning codes per run;
# whether it names a `- base` file that is not in the upload)
VERDICTS = {
    "acute_eval_parlai.yaml": (1, [[]], False),
    "ec2_prolific_numeric_name.yaml": (1, [[]], False),
    "form_gold_units.yaml": (1, [[]], False),
    "heroku_mturk_sandbox.yaml": (1, [["task_name_in_host_name"]], False),
    "inhouse_video_annotator.yaml": (1, [[]], False),
    "interpolated_reward.yaml": (
        "task_reward: an interpolation (${base_reward}) cannot stand for a number or"
        " true/false here: Taskadmin checks the value, so give it.",
        [],
        False,
    ),
    "literal_dollar_text.yaml": (1, [[]], False),
    "multi_document.yaml": (2, [[], []], False),
    "override_after_base.yaml": (1, [[]], True),
    "parlai_chat_world.yaml": (1, [[]], False),
    "parlai_onboarding_needs_base.yaml": (1, [[]], True),
    "per_turn_eval_parlai.yaml": (1, [[]], False),
    "prolific_sample_questionnaire.yaml": (1, [["task_name_in_host_name"]], False),
    "remote_procedure_screening.yaml": (1, [[]], False),
    "run_script_keys.yaml": (1, [[]], False),
    "static_local_mock.json": (1, [[]], False),
    "static_local_mock.overrides": (1, [[]], False),
    "static_local_mock.yaml": (1, [[]], False),
    "unknown_task_field.yaml": (
        "unknown field post_build_script: Mephisto would refuse the config.",
        [],
        False,
    ),
}
IMPORTED = [name for name, (verdict, _, _) in VERDICTS.items() if isinstance(verdict, int)]
REFUSED = [name for name in VERDICTS if name not in IMPORTED]


def test_every_corpus_file_has_a_verdict():
    assert sorted(path.name for path in CORPUS.iterdir()) == sorted(VERDICTS)


# -- Reading a config as Mephisto does, interpolations unresolved ----------------------


def read_overrides(text):
    """The config an overrides line makes, as Hydra's parser reads each word: group
    choices become defaults entries ({"/mephisto/provider": "mock"})."""
    document = {"defaults": []}
    for override in OverridesParser.create().parse_overrides(shlex.split(text, comments=True)):
        key = override.key_or_group
        if "/" in key:
            document["defaults"].append({"/" + key.lstrip("/"): override.value()})
            continue
        *parents, leaf = key.split(".")
        node = document
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = override.value()
    return [OmegaConf.to_container(OmegaConf.create(document), resolve=False)]


def read_config(fmt, text):
    """[document, ...] as plain containers, ${...} kept as written."""
    if fmt == "overrides":
        return read_overrides(text)
    parts = [text] if fmt == "json" else text.split("\n---\n")
    return [OmegaConf.to_container(OmegaConf.create(part), resolve=False) for part in parts]


def format_of(name):
    return {".json": "json", ".overrides": "overrides"}.get(Path(name).suffix, "yaml")


def import_file(name):
    batch = importing.parse(name, (CORPUS / name).read_bytes())
    importing.preview(batch)
    return batch


# -- Verdicts --------------------------------------------------------------------------


@pytest.mark.parametrize("name", REFUSED)
def test_refused_corpus_file_is_refused_with_its_message(name):
    message = VERDICTS[name][0]
    batch = import_file(name)
    assert batch.errors == [f"{name}: {message}"]
    with pytest.raises(importing.ImportRefused) as error:
        importing.apply(batch, acknowledged=rules.WARNING_CODES)
    assert str(error.value) == (
        "Nothing imported: 1 run is invalid. Fix the file, or import only the valid runs."
    )
    assert not TaskRun.objects.exists()


@pytest.mark.parametrize("name", IMPORTED)
def test_corpus_file_imports_with_its_warnings_and_notices(name):
    count, warnings, names_base = VERDICTS[name]
    batch = import_file(name)
    assert batch.errors == []
    assert [doc.status for doc in batch.documents] == [importing.NEW] * count
    assert [[w.code for w in doc.warnings] for doc in batch.documents] == warnings
    notices = list(batch.notices)
    if names_base:
        start, end = BASE_NOTICE
        base_notice = notices.pop(0)
        assert base_notice.startswith(start.format(name=name)) and base_notice.endswith(end)
    blueprint = UNSHIPPED_BLUEPRINTS.get(name)
    assert notices == (
        [NOT_CHECKED_NOTICE.format(name=name, blueprint=blueprint)] if blueprint else []
    )
    result = importing.apply(batch, acknowledged=rules.WARNING_CODES)
    assert len(result.created) == count == TaskRun.objects.count()


def test_the_same_config_as_yaml_json_and_overrides_gives_one_run():
    importing.apply(import_file("static_local_mock.yaml"), acknowledged=rules.WARNING_CODES)
    for name in ("static_local_mock.json", "static_local_mock.overrides"):
        batch = import_file(name)
        assert [doc.status for doc in batch.documents] == [importing.IDENTICAL], name
    assert TaskRun.objects.count() == 1


# -- Round trips -----------------------------------------------------------------------


def mephisto_default(name):
    value = TaskRun._meta.get_field(name).get_default()
    if name == "task_name" and not value:
        return None  # exported as null: "use the blueprint type"
    return value


def expected_defaults(original, source_fmt, export_fmt):
    entries = list(original.get("defaults", []))
    if source_fmt == "overrides":
        entries.append(SELF)  # the import adds it: overrides come last
    if export_fmt == "overrides":
        # A command line has no _self_, and writes `group=choice` for any entry.
        entries = [
            {"/" + group.removeprefix("override ").strip().lstrip("/"): choice}
            for entry in entries
            if entry != SELF
            for group, choice in entry.items()
        ]
    return entries


def assert_same_task(original, exported, *, names_other_files=False):
    """The task section: every field, those the file left out with Mephisto's
    defaults; unless the defaults list names other files (base), whose values
    for the fields left out must hold: then those stay out."""
    if names_other_files:
        assert list(exported) == [n for n in TaskRun.CONFIG_FIELDS if n in original]
    else:
        assert list(exported) == list(TaskRun.CONFIG_FIELDS)
    for name in TaskRun.CONFIG_FIELDS:
        if name not in original:
            if not names_other_files:
                assert exported[name] == mephisto_default(name), name
            continue
        given, back = original[name], exported[name]
        if name == "task_reward":
            assert Decimal(str(back)) == Decimal(str(given))
            assert type(back) in (int, float)
        elif name in TaskRun.STRIPPED_FIELDS and isinstance(given, str):
            assert back == given.strip(), name
        else:
            assert back == given and type(back) is type(given), name


def assert_same_config(original, exported, source_fmt, export_fmt):
    """Section by section: defaults, top-level keys, mephisto.blueprint/architect/
    provider, the other mephisto settings, task."""
    assert exported["defaults"] == expected_defaults(original, source_fmt, export_fmt)
    top = {k: v for k, v in original.items() if k not in ("defaults", "mephisto")}
    assert {k: v for k, v in exported.items() if k not in ("defaults", "mephisto")} == top
    given, back = original["mephisto"], exported["mephisto"]
    for section in ("blueprint", "architect", "provider"):
        expected = dict(given.get(section) or {})
        chosen = [e for e in original.get("defaults", []) if isinstance(e, dict)]
        if section == "provider" and any("prolific" in e.values() for e in chosen):
            expected.setdefault(PROLIFIC_MINUTES_ARGUMENT, PROLIFIC_DEFAULT_MINUTES)
        assert back.get(section, {}) == expected, section
    others = ("blueprint", "architect", "provider", "task")
    assert {k: v for k, v in back.items() if k not in others} == {
        k: v for k, v in given.items() if k not in others
    }
    assert_same_task(
        given["task"], back["task"], names_other_files=bool(other_files(original["defaults"]))
    )


def imported_runs(name):
    batch = import_file(name)
    result = importing.apply(batch, acknowledged=rules.WARNING_CODES)
    return result.created


@pytest.mark.parametrize("fmt", exporting.FORMATS)
@pytest.mark.parametrize("name", IMPORTED)
def test_corpus_file_comes_back_out_whole(name, fmt):
    source_fmt = format_of(name)
    originals = read_config(source_fmt, (CORPUS / name).read_text())
    runs = imported_runs(name)
    assert len(runs) == len(originals)
    for original, run in zip(originals, runs, strict=True):
        if fmt == "overrides" and VERDICTS[name][2]:
            with pytest.raises(exporting.ExportError) as error:
                exporting.export_run(run, fmt)
            assert str(error.value) == OVERRIDES_REFUSE_BASE
            continue
        filename, _, content = exporting.export_run(run, fmt)
        (exported,) = read_config(fmt, content)
        assert_same_config(original, exported, source_fmt, fmt)
        # Read back in, the export is the very run that was saved.
        batch = importing.preview(importing.parse(filename, content.encode()))
        (doc,) = batch.documents
        assert (doc.status, doc.existing) == (importing.IDENTICAL, run)


def test_interpolations_stay_interpolations_and_escaped_text_stays_literal():
    (run,) = imported_runs("literal_dollar_text.yaml")
    assert run.task_title == "Spot the unfilled ${name} placeholders"
    assert run.blueprint_source == "${task_dir}/server_files/template_check.html"
    (run,) = imported_runs("acute_eval_parlai.yaml")
    assert run.task_name == "pairwise_${current_time}"
    assert run.interpolated == ["task_name"]
    assert run.blueprint == "acute_eval"
    assert run.blueprint_args["block_qualification"] == "pairwise_${current_time}_block"


def test_a_task_name_that_looks_like_a_number_stays_text_in_every_format():
    (run,) = imported_runs("ec2_prolific_numeric_name.yaml")
    assert run.task_name == "0915"
    for fmt in exporting.FORMATS:
        (exported,) = read_config(fmt, exporting.export_run(run, fmt)[2])
        assert exported["mephisto"]["task"]["task_name"] == "0915"
        assert exported["mephisto"]["architect"]["subdomain"] == "0915.2"


def test_a_file_with_base_exports_only_the_task_fields_it_gave():
    (run,) = imported_runs("parlai_onboarding_needs_base.yaml")
    (original,) = read_config("yaml", (CORPUS / "parlai_onboarding_needs_base.yaml").read_text())
    (exported,) = read_config("yaml", exporting.export_run(run, "yaml")[2])
    assert set(exported["mephisto"]["task"]) == set(original["mephisto"]["task"])


def test_a_config_without_self_and_the_same_with_self_last_are_one_run():
    # Hydra appends _self_ to a defaults list that lacks it: the same config.
    (run,) = imported_runs("ec2_prolific_numeric_name.yaml")
    text = (CORPUS / "ec2_prolific_numeric_name.yaml").read_text()
    with_self = text.replace(
        "  - /mephisto/provider: prolific\n", "  - /mephisto/provider: prolific\n  - _self_\n"
    )
    batch = importing.preview(importing.parse("with_self.yaml", with_self.encode()))
    assert [(doc.status, doc.existing) for doc in batch.documents] == [(importing.IDENTICAL, run)]


def test_an_overrides_export_starting_with_a_top_level_key_reads_back_as_overrides(make_run):
    # No launch choice: the line starts with the top-level key, not mephisto.
    run = make_run(provider="", top_level={"task_dir": "/srv/lab", "_": None})
    filename, _, content = exporting.export_run(run, "overrides")
    assert content.startswith("'task_dir=\"/srv/lab\"' _=null mephisto.task.")
    batch = importing.preview(importing.parse(filename, content.encode()))
    assert [(doc.status, doc.existing) for doc in batch.documents] == [(importing.IDENTICAL, run)]
