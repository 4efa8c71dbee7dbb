"""Read a statement: bytes in, :class:`ParsedStatement` out, no database.

``read_statement`` = :func:`load_document` (detect the format by content,
unlock and extract a PDF's text, decode a CSV/OFX) then :func:`parse_document`
(ask every registered parser how sure it is; the most confident one reads it).

The password is only handed to the PDF engine (pypdf or PDFium): it is never stored on the document or
the result, and never appears in a message.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from .. import limits as limits_module
from ..conf import settings
from ..exceptions import StatementError, StatementTooLarge, UnsupportedFormat
from ..limits import DEFAULT_LIMITS, ReadLimits, read_limits
from .formats import csvfmt, ofx, pdf
from .formats.detect import detect_format
from .parsers import get_parsers
from .types import ParsedStatement, StatementDocument

__all__ = ["PAGE_BREAK", "load_document", "parse_document", "pdf_document", "read_statement", "text_document"]

logger = logging.getLogger(__name__)


def load_document(
    data: bytes, filename: str, *, password: str | None = None, limits: ReadLimits | None = None
) -> StatementDocument:
    """Turn uploaded bytes into a document parsers can read.

    The steps underneath (:func:`~.formats.detect.detect_format`,
    :func:`~.formats.pdf.unlock_pdf`, :func:`~.formats.pdf.extract_pages`,
    the CSV/OFX decoders) take plain values; this function looks them up in
    ``EXPENSE_AI`` (``PDF_ENGINE`` and :func:`~django_expense_ai.limits.read_limits`)
    unless ``limits`` is given.

    :param password: tried on encrypted PDFs (after it, the empty password);
        ignored for other formats and unencrypted PDFs.
    :returns: a :class:`StatementDocument` with the text (PDF pages in layout mode).
    :raises CorruptStatement: empty or unreadable file.
    :raises StatementTooLarge: over the size, page or time limit
        (:class:`ProcessingLimitExceeded` for ``MAX_PROCESSING_SECONDS``).
    :raises UnsupportedFormat: not PDF, CSV or OFX.
    :raises PasswordRequired: encrypted PDF, no password given.
    :raises WrongPassword: the password does not open it.
    :raises NoTextLayer: a PDF with no text (scanned).
    """
    caps = limits if limits is not None else read_limits()
    with limits_module.processing_deadline(caps.max_processing_seconds):
        return _load_document(data, filename, password=password, caps=caps, engine=settings.PDF_ENGINE)


def _load_document(
    data: bytes, filename: str, *, password: str | None, caps: ReadLimits, engine: str
) -> StatementDocument:
    kind = detect_format(data, filename, max_bytes=caps.max_upload_bytes)
    if kind == "pdf":
        return pdf_document(data, filename, pdf.unlock_pdf(data, password, engine=engine, limits=caps), limits=caps)
    return text_document(data, filename, kind, limits=caps)


#: Between two pages of a PDF's text (the table reader and the raw-vs-parsed view split on it).
PAGE_BREAK = "\n\f"


def pdf_document(
    data: bytes, filename: str, unlocked: pdf.UnlockedPdf, *, limits: ReadLimits = DEFAULT_LIMITS
) -> StatementDocument:
    """The document of an opened PDF: every page's text in layout mode, pages joined by :data:`PAGE_BREAK`.

    One step of :func:`load_document`, also taken by the import pipeline once the
    password stage has opened the file. The engine is closed when the text is out.

    :raises StatementTooLarge: over ``limits.max_pdf_pages`` or ``max_extraction_seconds``.
    :raises NoTextLayer: a PDF with no text (scanned).
    """
    try:
        pages = pdf.extract_pages(
            unlocked.reader, max_pages=limits.max_pdf_pages, max_seconds=limits.max_extraction_seconds
        )
    finally:
        unlocked.reader.close()  # the engine holds the decrypted file: release it early
    return StatementDocument(
        data=data,
        filename=filename,
        format="pdf",
        text=PAGE_BREAK.join(pages),
        pages=pages,
        encrypted=unlocked.encrypted,
        password_needed=unlocked.password_needed,
        limits=limits,
    )


def text_document(
    data: bytes, filename: str, kind: str, *, limits: ReadLimits = DEFAULT_LIMITS, profile: Any = None
) -> StatementDocument:
    """The document of an OFX or CSV file: its decoded text (a CSV's encoding detected).

    One step of :func:`load_document`, also taken by the import pipeline.

    :param kind: ``"ofx"`` or ``"csv"`` (what :func:`~.formats.detect.detect_format` said).
    :param profile: a bank profile saved for the file's account (CSV only).
    """
    if kind == "ofx":
        return StatementDocument(data=data, filename=filename, format="ofx", text=ofx.decode_ofx(data), limits=limits)
    text, encoding = csvfmt.decode(data)
    return StatementDocument(
        data=data, filename=filename, format="csv", text=text, encoding=encoding, profile=profile, limits=limits
    )


def parse_document(document: StatementDocument) -> ParsedStatement:
    """Let the most confident registered parser read ``document``.

    Every parser's ``claim(document)`` is asked; the highest score wins and a
    tie goes to the parser registered first. A parser whose ``claim`` raises
    is logged and skipped.

    :returns: the winner's :class:`ParsedStatement`, with the document's
        ``encrypted``/``password_needed`` flags.
    :raises UnsupportedFormat: no parser claims the document (the message names those tried).
    :raises StatementTooLarge: more rows than ``MAX_STATEMENT_ROWS`` (the document's
        ``limits``; a document without them gets the site's).
    :raises StatementError: whatever the chosen parser raises.
    """
    limits = document.limits
    if limits is None:
        limits = read_limits()
        document = replace(document, limits=limits)
    with limits_module.processing_deadline(limits.max_processing_seconds):
        return _parse_document(document)


def _parse_document(document: StatementDocument) -> ParsedStatement:
    parsers = get_parsers()
    best = None
    best_score = 0.0
    for parser in parsers:
        try:
            score = float(parser.claim(document))
        except Exception:  # a broken plugin must not stop the built-ins
            logger.exception("Statement parser %r failed while claiming %r", parser.name, document.filename)
            continue
        if score > best_score:  # strictly greater: earlier registrations win ties
            best, best_score = parser, score
    if best is None:
        tried = ", ".join(p.name for p in parsers) or "none registered"
        raise UnsupportedFormat(
            f"No statement parser can read this {document.format.upper()} file (tried: {tried}). "
            "Try the bank's CSV or OFX export, or enable the AI parser."
        )
    logger.info("Parsing %r with %r (claim %.2f)", document.filename, best.name, best_score)
    parsed = best.parse(document)
    if not isinstance(parsed, ParsedStatement):
        raise StatementError(f"Parser {best.name!r} returned {type(parsed).__name__}, not a ParsedStatement.")
    limit = document.limits.max_statement_rows if document.limits else DEFAULT_LIMITS.max_statement_rows
    if limit and len(parsed.rows) > limit:
        raise StatementTooLarge(
            f"The statement has {len(parsed.rows):,} rows; the limit is {limit:,}. "
            "Upload a shorter period or ask your administrator to raise MAX_STATEMENT_ROWS."
        )
    return replace(
        parsed,
        parser=parsed.parser or best.name,
        confidence=min(1.0, max(0.0, float(parsed.confidence))),
        encrypted=document.encrypted,
        password_needed=document.password_needed,
    )


def read_statement(data: bytes, filename: str, *, password: str | None = None) -> ParsedStatement:
    """Read a statement file end to end.

    :returns: the :class:`ParsedStatement`; ``password_needed`` is True only
        when a non-empty password was needed to open it.
    :raises StatementError: any of the kinds :func:`load_document` and
        :func:`parse_document` raise.
    """
    # One budget for the whole read: the inner calls never extend it.
    caps = read_limits()
    with limits_module.processing_deadline(caps.max_processing_seconds):
        return parse_document(load_document(data, filename, password=password, limits=caps))
