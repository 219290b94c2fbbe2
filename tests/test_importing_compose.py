"""A config whose defaults list names other files (`- base`), composed as Hydra does.

Files of the shape of Mephisto's example folders (a variant naming `base`, which
holds the launch setup) are in tests/data/compose/. The reference is Hydra's own
compose API, with Mephisto's config groups stood in by empty options.
"""

import contextlib
import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf

from tasks import compose, exporting, importing
from tasks.models import TaskRun

DATA = Path(__file__).parent / "data" / "compose"
FLAT, NESTED = DATA / "flat", DATA / "nested"
COMPOSED = (
    "custom_simple.yaml: composed with base.yaml (as Hydra would); the run holds the"
    " composed config"
)
USED = "base.yaml: used by custom_simple.yaml (defaults: base)"


def files_of(folder):
    return [
        (path.relative_to(folder).as_posix(), path.read_bytes())
        for path in sorted(folder.rglob("*.yaml"))
    ]


def zipped(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files:
            archive.writestr(name, data)
    return buffer.getvalue()


def hydra_reference(folder, name):
    """The config Hydra composes from `folder`'s `name`, Mephisto's groups left empty."""
    store = ConfigStore.instance()
    for group, option in (
        ("blueprint", "parlai_chat"),
        ("architect", "local"),
        ("provider", "mock"),
    ):
        store.store(group=f"mephisto/{group}", name=option, node={})
    # Hydra warns that custom_simple's defaults list leaves out _self_ (then last).
    expected = pytest.warns(UserWarning) if name == "custom_simple" else contextlib.nullcontext()
    with initialize_config_dir(config_dir=str(folder), version_base="1.3"), expected:
        config = hydra_compose(config_name=name)
    return OmegaConf.to_container(config, resolve=False)


def assert_composed_simple(batch, source="custom_simple.yaml"):
    assert [doc.source for doc in batch.documents] == [source]
    run = batch.documents[0].run
    assert (run.blueprint, run.architect, run.provider) == ("parlai_chat", "local", "mock")
    assert run.blueprint_source == "${task_dir}/worlds.py"  # from base
    assert run.blueprint_args == {
        "task_description_file": "${task_dir}/description.html",
        "num_conversations": 4,
        "custom_source_dir": "${task_dir}/custom_simple",
    }
    assert run.max_num_concurrent_units == 50  # from base
    assert run.task_title == "Chat with another worker about a picture"  # from custom_simple
    assert run.task_name == "chat-variant-simple"
    assert str(run.task_reward) == "0.45"
    # The run is the whole composed config: `- base` is not kept.
    assert run.defaults == [
        {"/mephisto/blueprint": "parlai_chat"},
        {"/mephisto/architect": "local"},
        {"/mephisto/provider": "mock"},
        "_self_",
    ]
    return run


# -- Composing -------------------------------------------------------------------------


def test_zip_of_custom_simple_and_base_composes_one_run():
    batch = importing.parse("chat.zip", zipped(files_of(FLAT)))
    assert_composed_simple(batch, "chat.zip/custom_simple.yaml")
    assert batch.notices == [
        "chat.zip/base.yaml: used by custom_simple.yaml (defaults: base)",
        "chat.zip/custom_simple.yaml: composed with base.yaml (as Hydra would); the run holds"
        " the composed config",
    ]


def test_two_files_read_together_compose_one_run():
    batch = importing.parse_files(files_of(FLAT))
    assert_composed_simple(batch)
    assert batch.notices == [USED, COMPOSED]


def test_the_primary_file_first_gives_the_same_run():
    batch = importing.parse_files(list(reversed(files_of(FLAT))))
    assert_composed_simple(batch)
    assert batch.notices == [COMPOSED, USED]


def test_a_variant_alone_keeps_the_entry_and_says_which_values_it_cannot_see():
    batch = importing.parse("custom_simple.yaml", (FLAT / "custom_simple.yaml").read_bytes())
    run = batch.documents[0].run
    assert run.defaults == ["base"] and run.blueprint == "" and run.max_num_concurrent_units == 0
    assert batch.notices == [
        "custom_simple.yaml: the defaults list names base, which is not in this upload;"
        " the values base sets (the launch setup: blueprint, architect and provider; the"
        " blueprint's arguments; the task fields this file leaves out:"
        " task_lifetime_in_seconds, assignment_duration_in_seconds, no_submission_patience,"
        " allowed_concurrent, maximum_units_per_worker, max_num_concurrent_units,"
        " submission_timeout, post_install_script, force_rebuild, resume_incomplete_run,"
        " aux_parameters; …) are not in this upload, so Taskadmin keeps the entry but cannot"
        " check or show them, and gives those task fields its own defaults. Upload the files"
        " together (a zip, or several files at once) to compose them as Hydra does."
    ]


def test_base_alone_is_read_as_a_run_and_refused_for_what_it_lacks():
    batch = importing.parse("base.yaml", (FLAT / "base.yaml").read_bytes())
    assert batch.count(importing.INVALID) == 1
    assert "base.yaml: task_title: This field cannot be blank." in batch.errors


def test_nested_entry_conf_base_is_found_in_its_folder():
    batch = importing.parse("chat.zip", zipped(files_of(NESTED)))
    assert [doc.source for doc in batch.documents] == ["chat.zip/chat.yaml"]
    run = batch.documents[0].run
    assert run.blueprint == "parlai_chat" and run.blueprint_source == "${task_dir}/worlds.py"
    assert run.max_num_concurrent_units == 50
    assert str(run.task_reward) == "0.35"  # chat.yaml's _self_ comes after conf/base
    assert "chat.zip/conf/base.yaml: used by chat.yaml (defaults: conf/base)" in batch.notices


def test_a_defaults_entry_naming_a_file_not_in_the_upload_is_kept():
    variant = (FLAT / "custom_simple.yaml").read_text().replace("- base", "- base\n  - common")
    batch = importing.parse_files(
        [("custom_simple.yaml", variant.encode()), ("base.yaml", (FLAT / "base.yaml").read_bytes())]
    )
    run = batch.documents[0].run
    assert run.defaults == [
        {"/mephisto/blueprint": "parlai_chat"},
        {"/mephisto/architect": "local"},
        {"/mephisto/provider": "mock"},
        "common",
        "_self_",
    ]
    assert run.max_num_concurrent_units == 50
    assert any(
        notice.startswith(
            "custom_simple.yaml: the defaults list names common, which is not in this upload;"
        )
        for notice in batch.notices
    )


def test_a_cycle_is_refused_with_a_clear_message():
    a = b"defaults:\n  - b\nmephisto:\n  task:\n    task_title: A\n"
    b = b"defaults:\n  - a\nmephisto:\n  task:\n    task_reward: 1\n"
    batch = importing.parse_files([("a.yaml", a), ("b.yaml", b)])
    assert batch.errors == [
        "a.yaml: defaults: the defaults lists go round in a circle (a.yaml → b.yaml →"
        " a.yaml); Hydra would never finish composing it. Remove one of the entries.",
        "b.yaml: defaults: the defaults lists go round in a circle (b.yaml → a.yaml →"
        " b.yaml); Hydra would never finish composing it. Remove one of the entries.",
    ]


def test_a_file_naming_itself_is_a_cycle():
    a = b"defaults:\n  - a\nmephisto:\n  task:\n    task_title: A\n"
    batch = importing.parse("a.yaml", a)
    assert batch.errors == [
        "a.yaml: defaults: the defaults lists go round in a circle (a.yaml → a.yaml);"
        " Hydra would never finish composing it. Remove one of the entries."
    ]


@pytest.mark.parametrize("entry", ["../../etc/passwd", "/../etc/passwd", "conf/../../x"])
def test_a_path_out_of_the_folder_is_refused(entry):
    a = f"defaults:\n  - {entry}\nmephisto:\n  task:\n    task_title: A\n".encode()
    batch = importing.parse_files([("a.yaml", a), ("b.yaml", b"mephisto: {}\n")])
    assert (
        f"a.yaml: defaults: the entry {entry} leads out of the folder of a.yaml; refused:"
        " only files of the upload, in that folder or below, are read." in batch.errors
    )


def test_an_entry_with_the_yaml_suffix_names_the_same_file():
    variant = (FLAT / "custom_simple.yaml").read_text().replace("- base", "- base.yaml")
    batch = importing.parse_files(
        [("custom_simple.yaml", variant.encode()), ("base.yaml", (FLAT / "base.yaml").read_bytes())]
    )
    assert batch.documents[0].run.max_num_concurrent_units == 50


def test_many_levels_are_refused_not_followed_for_ever():
    files = [(f"f{n}.yaml", f"defaults:\n  - f{n + 1}\nx{n}: 1\n".encode()) for n in range(30)] + [
        ("f30.yaml", b"mephisto:\n  task:\n    task_title: deep\n")
    ]
    batch = importing.parse_files(files)
    assert "f0.yaml: defaults: the defaults lists name files more than 10 levels deep." in (
        batch.errors
    )


# -- Export gives back what Hydra composes ---------------------------------------------


@pytest.mark.parametrize(("folder", "name"), [(FLAT, "custom_simple"), (NESTED, "chat")])
def test_export_of_the_composed_run_reads_as_hydra_composes_the_originals(folder, name):
    batch = importing.parse_files(files_of(folder))
    exported = OmegaConf.to_container(
        OmegaConf.create(exporting.to_yaml(batch.documents[0].run)), resolve=False
    )
    reference = hydra_reference(folder, name)
    exported.pop("defaults")
    assert exported.keys() == reference.keys()
    for section in ("blueprint", "architect", "provider"):
        assert exported["mephisto"].get(section, {}) == reference["mephisto"].get(section, {})
    task = exported["mephisto"]["task"]
    for key, value in reference["mephisto"]["task"].items():
        if isinstance(value, str):
            # The model trims text fields as the form does (`>` folds to a final "\n").
            value = value.strip()
        assert task[key] == value, key


# -- Every path --------------------------------------------------------------------------


@pytest.mark.django_db
def test_browser_upload_of_two_files_composes_and_imports_one_run(editor_client):
    files = [SimpleUploadedFile(name, data) for name, data in files_of(FLAT)]
    preview = editor_client.post(reverse("tasks:run-import"), {"file": files})
    content = preview.content.decode()
    assert COMPOSED in content and USED in content
    response = editor_client.post(
        reverse("tasks:run-import-apply"),
        {
            "token": preview.context["token"],
            "mode": "all",
            "acknowledge": [code for code, _, _ in preview.context["batch"].warnings],
        },
    )
    assert response.status_code == 302
    run = TaskRun.objects.get()
    assert (run.blueprint, run.max_num_concurrent_units) == ("parlai_chat", 50)


@pytest.mark.django_db
def test_import_command_takes_several_files_and_composes_them(capsys):
    call_command(
        "import_task_runs", str(FLAT / "custom_simple.yaml"), str(FLAT / "base.yaml"), "--dry-run"
    )
    out = capsys.readouterr().out
    assert f"notice     {COMPOSED}" in out and f"notice     {USED}" in out
    assert "new        custom_simple.yaml: Chat with another worker about a picture" in out


@pytest.mark.django_db
def test_import_command_finds_a_nested_file_by_its_folder(capsys):
    call_command(
        "import_task_runs",
        str(NESTED / "chat.yaml"),
        str(NESTED / "conf" / "base.yaml"),
        "--dry-run",
    )
    assert "notice     conf/base.yaml: used by chat.yaml (defaults: conf/base)" in (
        capsys.readouterr().out
    )


def test_check_command_composes_among_its_files(capsys):
    variant, base = str(FLAT / "custom_simple.yaml"), str(FLAT / "base.yaml")
    call_command("check_task_config", variant, base)
    assert capsys.readouterr().out.splitlines() == [
        f"{variant}: 1 valid task run.",
        f"{base}: used by custom_simple.yaml (defaults: base).",
    ]


def test_check_command_refuses_a_cycle_naming_the_file(tmp_path):
    (tmp_path / "a.yaml").write_text("defaults:\n  - b\nmephisto:\n  task:\n    task_title: A\n")
    (tmp_path / "b.yaml").write_text("defaults:\n  - a\n")
    with pytest.raises(CommandError, match=r"a.yaml: 1 error\(s\)."):
        call_command("check_task_config", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"))


# -- The merge is OmegaConf's --------------------------------------------------------------


@pytest.mark.parametrize(
    ("into", "value"),
    [
        ({"a": {"b": 1, "c": [1, 2]}}, {"a": {"c": [3], "d": None}}),
        ({"a": {"b": 1}}, {"a": 3}),
        ({"a": 3}, {"a": {"b": 1}}),
        ({"a": {"b": 1}}, {"a": None}),
        ({"a": 1, "b": "x"}, {"a": "???", "c": "???"}),
        ({"a": "${task_dir}/x"}, {"a": {"b": "\\${not}"}, 1: "one"}),
    ],
)
def test_merge_gives_what_omegaconf_merge_gives(into, value):
    expected = OmegaConf.to_container(
        OmegaConf.merge(OmegaConf.create(into), OmegaConf.create(value)), resolve=False
    )
    assert compose.merge(into, value) == expected


def test_a_file_named_many_times_is_bounded():
    big = "\n".join(f"k{n}: {n}" for n in range(3000)).encode()
    names = "".join("  - big\n" for _ in range(40))
    a = f"defaults:\n{names}mephisto:\n  task:\n    task_title: A\n".encode()
    batch = importing.parse_files([("a.yaml", a), ("big.yaml", big)])
    assert batch.errors[0] == (
        "a.yaml: defaults: with the files its defaults list names, it holds more than"
        " 100000 values."
    )


@pytest.mark.django_db
def test_a_post_without_any_file_asks_for_one(editor_client):
    response = editor_client.post(reverse("tasks:run-import"), {"file": ""})
    assert response.status_code == 200
    assert response.context["form"].errors == {"file": ["This field is required."]}
