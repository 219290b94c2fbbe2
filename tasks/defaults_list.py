"""Hydra's defaults list, as a Mephisto config writes it.

Entries are kept as the file wrote them: a string ("_self_", "base",
"conf/base") or a one-key mapping ({"/mephisto/provider": "prolific"},
{"override /mephisto/architect": "ec2"}). Three of them choose Mephisto's
blueprint, architect and provider; Taskadmin keeps those choices as fields of
the run and writes them back into the list in the place the file gave them.
Django-free.
"""

LAUNCH_GROUPS = ("blueprint", "architect", "provider")
SELF = "_self_"


def group_of(entry):
    """ "blueprint", "architect" or "provider" for an entry choosing one, else None.

    Hydra accepts the group with or without the leading "/" and an "override"
    keyword ({"override /mephisto/provider": "mock"}).
    """
    if not isinstance(entry, dict) or len(entry) != 1:
        return None
    key = str(next(iter(entry)))
    key = key.removeprefix("override ").strip().lstrip("/")
    group = key.removeprefix("mephisto/")
    return group if key != group and group in LAUNCH_GROUPS else None


def choices_in(entries):
    """{group: choice} that the entries choose (a null choice counts as none)."""
    found = {}
    for entry in entries or ():
        group = group_of(entry)
        if group is not None:
            choice = next(iter(entry.values()))
            found[group] = "" if choice is None else str(choice)
    return found


def launch_defaults(entries, choices):
    """`entries` with the launch choices set to `choices` ({group: name or ""}).

    An entry that chooses a group gets the new name in its place, or is removed
    when the name is empty; a group chosen but not listed is added before
    "_self_" (or at the end). An empty list (a run that never came from a
    file) becomes the list Mephisto's examples write: the choices, then _self_.
    """
    fresh = not entries
    result = []
    placed = set()
    for entry in entries:
        group = group_of(entry)
        if group is None:
            result.append(entry)
            continue
        if group in placed or not choices.get(group):
            continue
        key = next(iter(entry))
        result.append({key: choices[group]})
        placed.add(group)
    missing = [
        {f"/mephisto/{group}": choices[group]}
        for group in LAUNCH_GROUPS
        if choices.get(group) and group not in placed
    ]
    at = result.index(SELF) if SELF in result else len(result)
    result[at:at] = missing
    if fresh:
        result.append(SELF)
    return result


def other_files(entries):
    """The entries naming other config files of the run's folder ("base", "conf/base")."""
    return [entry for entry in entries or () if isinstance(entry, str) and entry != SELF]


def as_composed(entries):
    """`entries` as Hydra composes them: a list without "_self_" gets it appended
    at the end when it holds an entry other than an override (Hydra's
    `_validate_self`), so `[a, b]` and `[a, b, "_self_"]` mean the same config.
    """
    entries = list(entries or ())
    overrides_only = all(
        isinstance(entry, dict) and str(next(iter(entry), "")).startswith("override ")
        for entry in entries
    )
    if SELF not in entries and not (entries and overrides_only):
        entries.append(SELF)
    return entries
