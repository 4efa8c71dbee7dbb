"""A Sphinx directive that renders ``django_expense_ai.conf.Settings`` as a table.

``.. expense-ai-settings::`` writes one row per setting (key, type, default,
meaning) from the settings object itself, so the page cannot miss a key or
show a stale default.
"""

from __future__ import annotations

import typing

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective


class SettingsTable(SphinxDirective):
    has_content = False

    def run(self):
        from django_expense_ai.conf import Settings

        hints = typing.get_type_hints(Settings, include_extras=False, localns={"os": __import__("os")})
        lines = [".. list-table::", "   :header-rows: 1", "   :widths: 26 16 20 38", "",
                 "   * - key", "     - type", "     - default", "     - meaning"]
        for setting in Settings.keys():
            kind = typing.get_args(hints[setting.name])[0] if setting.name in hints else "Any"
            kind_text = getattr(kind, "__name__", None) if isinstance(kind, type) else None
            kind_text = kind_text or str(kind).replace("typing.", "")
            doc = " ".join((setting.__doc__ or "").split())
            lines += [f"   * - ``{setting.name}``", f"     - ``{kind_text}``", f"     - {setting.shown}", f"     - {doc}"]
        holder = nodes.section()
        self.state.nested_parse(StringList(lines, source="django_expense_ai.conf"), 0, holder)
        return holder.children


def setup(app):
    app.add_directive("expense-ai-settings", SettingsTable)
    return {"parallel_read_safe": True, "version": "1"}
