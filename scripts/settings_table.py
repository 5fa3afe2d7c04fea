"""Renders the README's configuration table from the product's settings classes: one row per
field of each ``settings.py`` (variables, default, description). ``--write`` updates README.md
between its markers (``make settings-table``); without it the table is printed."""

import importlib
import sys
from pathlib import Path

from tributary.settings import Settings, UnderDataDir

REPO = Path(__file__).resolve().parents[1]
PRODUCT = ("tributary", "loaders", "api", "orchestration")
README, BEGIN, END = REPO / "README.md", "<!-- settings:begin -->", "<!-- settings:end -->"


def settings_classes() -> list[type[Settings]]:
    """Every settings class of the product: the platform's first, then by domain."""
    paths = [
        p.relative_to(REPO).with_suffix("")
        for d in PRODUCT
        for p in (REPO / d).rglob("settings.py")
    ]
    names = sorted(
        (".".join(p.parts) for p in paths),
        key=lambda n: (n != "tributary.settings", n.split(".")[-2]),
    )
    return [
        c
        for m in map(importlib.import_module, names)
        for c in vars(m).values()
        if isinstance(c, type) and issubclass(c, Settings) and c.__module__ == m.__name__
    ]


def env_names(cls: type[Settings], name: str) -> list[str]:
    """The variables a field is read from, first one first."""
    alias = cls.model_fields[name].validation_alias
    if alias is None:
        return [cls.model_config.get("env_prefix", "").upper() + name.upper()]
    return [alias] if isinstance(alias, str) else list(map(str, alias.choices))


def markdown_table() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for cls in settings_classes():
        for name, field in cls.model_fields.items():
            factory = field.default_factory
            default = factory if isinstance(factory, UnderDataDir) else field.default
            text = str(default).lower() if isinstance(default, bool) else default
            shown = "\u2013" if default in (None, "", frozenset()) else f"`{text}`"
            variables = " / ".join(f"`{env}`" for env in env_names(cls, name))
            rows.append(f"| {variables} | {shown} | {field.description} |")
    return "\n".join(rows)


def readme_table(text: str) -> str:
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        head, rest = README.read_text().split(BEGIN, 1)
        README.write_text(f"{head}{BEGIN}\n{markdown_table()}\n{END}{rest.split(END, 1)[1]}")
    else:
        print(markdown_table())
