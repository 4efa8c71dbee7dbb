"""Built-in statement parsers, registered like any third-party plugin.

* ``pdf-table``: text PDFs whose transactions form a date / description /
  amount(s) table (:func:`.formats.pdf.parse_statement_text`);
* ``csv``: bank CSV exports (:func:`.formats.csvfmt.parse_csv_text`);
* ``ofx``: OFX 1.x/2.x and QFX (:func:`.formats.ofx.parse_ofx`).

Each claims its format with a modest score so bank-specific plugins can outbid it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django_expense_ai import hookimpl

from ..limits import DEFAULT_LIMITS
from .bank_profiles import get_bank_profiles
from .formats import csvfmt, ofx, pdf
from .parsers import StatementParser
from .types import ParsedStatement, StatementDocument

__all__ = ["CsvParser", "OfxParser", "PdfTableParser", "register_statement_parsers"]

_ROW_START = re.compile(
    r"^\s*\d{1,2}\s*[/.\-]\s*\d{1,2}|^\s*\d{1,2}\s+[A-Za-z]{3}\b|^\s*\d{4}-\d{2}-\d{2}", re.M
)


class PdfTableParser(StatementParser):
    """Generic reader for text PDFs laid out as a transaction table."""

    name = "pdf-table"
    format = "pdf"

    def claim(self, document: StatementDocument) -> float:
        """0 for other formats; 0.3–0.5 for PDFs, higher when lines start with dates.

        :returns: the claim score.
        :raises: nothing.
        """
        if document.format != "pdf":
            return 0.0
        return 0.5 if _ROW_START.search(document.text) else 0.3

    def parse(self, document: StatementDocument) -> ParsedStatement:
        """Read the table from the document's page texts.

        :returns: the parse (possibly without rows, then with a warning).
        :raises: nothing beyond what :func:`.formats.pdf.parse_statement_text` raises.
        """
        pages = document.pages or (document.text,)
        return pdf.parse_statement_text(pages, parser=self.name)


class CsvParser(StatementParser):
    """Generic reader for bank CSV exports."""

    name = "csv"
    format = "csv"

    def parse(self, document: StatementDocument) -> ParsedStatement:
        """Read rows from the document's decoded text.

        :returns: the parse.
        With the document's ``profile`` (an account's saved one) or a registered
        profile whose columns the header holds, the profile says how to read it.

        :raises UnsupportedFormat: no date and amount columns found.
        :raises CorruptStatement: the text cannot be split into rows.
        :raises UnreadableRow: an impossible date or an out-of-range amount (names the line and field).
        :raises ProcessingLimitExceeded: over ``MAX_CSV_COLUMNS``, ``MAX_CSV_LINE_LENGTH`` or the time budget.
        """
        caps = document.limits or DEFAULT_LIMITS
        return csvfmt.parse_csv_text(
            document.text,
            parser=self.name,
            encoding=document.encoding,
            profile=document.profile,
            profiles=get_bank_profiles(),
            max_columns=caps.max_csv_columns,
            max_line_length=caps.max_csv_line_length,
        )


class OfxParser(StatementParser):
    """OFX 1.x SGML, 2.x XML and QFX via ofxtools, with a tolerant fallback."""

    name = "ofx"
    format = "ofx"
    default_claim = 0.9  # OFX is structured: the generic reader is nearly always right

    def parse(self, document: StatementDocument) -> ParsedStatement:
        """Read every statement in the file.

        :returns: the parse (``raw_text`` is the decoded file).
        :raises CorruptStatement: the file holds no statement (sign-on failure, error, profile).
        """
        parsed = ofx.parse_ofx(document.data, parser=self.name)
        from dataclasses import replace

        return replace(parsed, raw_text=document.text)


@hookimpl
def register_statement_parsers(register: Callable[[StatementParser], None]) -> None:
    """Register the built-in PDF-table, CSV and OFX parsers."""
    register(PdfTableParser())
    register(CsvParser())
    register(OfxParser())
