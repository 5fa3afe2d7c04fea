"""The README's configuration table, rendered from the settings classes (``make settings-table``).

Every ``settings.py`` of the product holds its domain's :class:`~tributary.settings.Settings`
classes; each field is one row: its environment variable, default and description. Prints the
table, ``--write`` puts it between the README's markers, ``--check`` fails when they differ.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pydantic.fields import FieldInfo  # noqa: E402

from tributary.settings import Settings, UnderDataDir  # noqa: E402

PRODUCT = ("tributary", "loaders", "api", "orchestration")
README = REPO / "README.md"
BEGIN, END = "<!-- settings:begin -->", "<!-- settings:end -->"


def settings_classes() -> list[type[Settings]]:
    """Every settings class of the product: the platform's first, then by domain."""
    names = [
        ".".join(path.relative_to(REPO).with_suffix("").parts)
        for package in PRODUCT
        for path in (REPO / package).rglob("settings.py")
    ]
    names.sort(key=lambda name: (name != "tributary.settings", name.split(".")[-2]))
    return [
        value
        for module in map(importlib.import_module, names)
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Settings)
        and value.__module__ == module.__name__
    ]


def env_names(cls: type[Settings], name: str, field: FieldInfo) -> list[str]:
    """The variables a field is read from, in order of precedence."""
    alias = field.validation_alias
    if alias is None:
        return [cls.model_config.get("env_prefix", "").upper() + name.upper()]
    return [alias] if isinstance(alias, str) else [str(choice) for choice in alias.choices]


def shown_default(field: FieldInfo) -> str:
    if isinstance(field.default_factory, UnderDataDir):
        return f"`{field.default_factory}`"
    if field.default is None or field.default in ("", frozenset()):
        return "\u2013"  # an en dash: no default
    if isinstance(field.default, bool):
        return f"`{str(field.default).lower()}`"
    return f"`{field.default}`"


def markdown_table() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for cls in settings_classes():
        for name, field in cls.model_fields.items():
            variables = " / ".join(f"`{env}`" for env in env_names(cls, name, field))
            rows.append(f"| {variables} | {shown_default(field)} | {field.description} |")
    return "\n".join(rows)


def readme_table(text: str) -> str:
    """What the README holds between the markers."""
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="rewrite README.md's table")
    group.add_argument("--check", action="store_true", help="exit 1 if README.md's table differs")
    args = parser.parse_args()
    table, text = markdown_table(), README.read_text()
    if args.check:
        if readme_table(text) != table:
            print("README.md's configuration table is stale: run `make settings-table`")
            return 1
    elif args.write:
        head, rest = text.split(BEGIN, 1)
        README.write_text(f"{head}{BEGIN}\n{table}\n{END}{rest.split(END, 1)[1]}")
    else:
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
