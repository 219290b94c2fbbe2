"""tasks.defaults_list: Hydra's defaults list as Mephisto configs write it."""

from tasks.defaults_list import SELF, as_composed

PROVIDER = {"/mephisto/provider": "mock"}


def test_a_list_without_self_is_composed_with_self_last_as_hydra_does():
    assert as_composed([PROVIDER, "base"]) == [PROVIDER, "base", SELF]


def test_a_list_with_self_is_composed_as_written():
    assert as_composed([SELF, PROVIDER]) == [SELF, PROVIDER]
    assert as_composed([PROVIDER, SELF]) == [PROVIDER, SELF]


def test_an_empty_list_is_composed_as_self_alone():
    assert as_composed([]) == [SELF]


def test_a_list_of_only_overrides_gets_no_self_as_in_hydra():
    only = [{"override /mephisto/architect": "ec2"}]
    assert as_composed(only) == only


def test_composing_does_not_change_the_list_given():
    entries = [PROVIDER]
    as_composed(entries)
    assert entries == [PROVIDER]
