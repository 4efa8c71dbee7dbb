"""No function of the package grows past 100 lines.

A reader should see one step of a reader, matcher or service at a time: a
function that long is several steps that want names of their own (issue #15).
The count runs from the ``def`` line to the last line, docstring included;
migrations count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import django_expense_ai

PACKAGE = Path(django_expense_ai.__file__).parent
MAX_LINES = 100


def test_no_function_is_over_100_lines():
    too_long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_LINES:
                    too_long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}() has {lines} lines")
    assert not too_long, "Split these into named steps:\n" + "\n".join(too_long)
