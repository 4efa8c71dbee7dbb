"""The PDF engines: what opens a PDF, unlocks it and reads a page's text.

Two engines sit behind one small interface (:class:`PdfDocument`), both used
through their public APIs only:

* ``pypdf`` (always installed): ``PdfReader``/``decrypt`` and
  ``page.extract_text(extraction_mode="layout")``, falling back to plain
  extraction when layout mode trips over a font;
* ``pdfium`` (the ``[pdfium]`` extra, pypdfium2): ``PdfDocument(data,
  password=...)`` and ``PdfTextPage``'s text rectangles with their positions,
  laid out here into the same fixed-width lines and columns pypdf's layout
  mode gives (see :func:`_layout_runs`), several times faster.

``EXPENSE_AI["PDF_ENGINE"]`` chooses: ``"auto"`` (PDFium when pypdfium2 is
installed, else pypdf), ``"pypdf"`` or ``"pdfium"``.

Before any page goes to an engine, :func:`check_page_content` measures what it
would have to read (decoded content streams and the form XObjects they draw,
through pypdf's public ``decode_stream_data``) against
``MAX_PAGE_CONTENT_BYTES`` and ``MAX_PAGE_TEXT_OPERATORS``, so no page can
hold a worker or its memory; the processing deadline is checked as streams and
text runs are read.

Pure: no database. A password is only handed to the engines, never kept.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import math
import re
import threading
from collections.abc import Iterator
from typing import Any

from ... import limits
from ...exceptions import (
    ConfigurationError,
    CorruptStatement,
    PasswordRequired,
    ProcessingLimitExceeded,
    StatementError,
    WrongPassword,
)
from ...limits import DEFAULT_LIMITS, ReadLimits

__all__ = [
    "ENGINES",
    "PdfDocument",
    "PdfiumDocument",
    "PypdfDocument",
    "check_page_content",
    "engine_name",
    "needs_password",
    "open_document",
    "pdfium_available",
]

logger = logging.getLogger(__name__)

#: The values ``EXPENSE_AI["PDF_ENGINE"]`` accepts.
ENGINES = ("auto", "pypdf", "pdfium")

# PDFium is not thread-safe: every call into it, from any thread, goes through this lock.
_PDFIUM_LOCK = threading.RLock()

_COUNT_SLICE = 256 * 1024
# Operators that position or show text (Td TD Tm T* Tj TJ ' "), as tokens of a content stream.
_TEXT_OPERATOR = re.compile(rb"(?<![^\s\])>])(?:T[dDmjJ*]|'|\")(?![^\s\[(<>/%])")


# -- choosing ------------------------------------------------------------------


def pdfium_available() -> bool:
    """Whether pypdfium2 (the ``[pdfium]`` extra) is installed."""
    return importlib.util.find_spec("pypdfium2") is not None


def engine_name(choice: str = "auto") -> str:
    """The engine that will read PDFs: ``"pypdf"`` or ``"pdfium"``.

    :param choice: ``"auto"``, ``"pypdf"`` or ``"pdfium"`` (the services pass ``EXPENSE_AI["PDF_ENGINE"]``).
    :raises ConfigurationError: an unknown name, or ``"pdfium"`` without pypdfium2 installed.
    """
    name = str(choice or "auto").lower()
    if name not in ENGINES:
        raise ConfigurationError(
            f"EXPENSE_AI['PDF_ENGINE'] is {name!r}; use one of {', '.join(map(repr, ENGINES))}."
        )
    if name == "auto":
        return "pdfium" if pdfium_available() else "pypdf"
    if name == "pdfium" and not pdfium_available():
        raise ConfigurationError(
            "EXPENSE_AI['PDF_ENGINE'] is 'pdfium' but pypdfium2 is not installed: "
            "pip install 'django-expense-ai[pdfium]', or set it to 'auto'."
        )
    return name


def _engine(choice: str) -> type[PdfDocument]:
    return PdfiumDocument if engine_name(choice) == "pdfium" else PypdfDocument


def open_document(
    data: bytes, password: str | None = None, *, engine: str = "auto", limits: ReadLimits = DEFAULT_LIMITS
) -> PdfDocument:
    """Open (and if needed decrypt) a PDF with the chosen engine.

    Without a password (or with ``""``) the empty password is tried, as every
    PDF viewer does. With one, it is tried first and the empty password after,
    so a stored password that does not belong to this file does no harm when
    the file opens without one. A password given for an unencrypted file is ignored.

    :param engine: ``"auto"``, ``"pypdf"`` or ``"pdfium"``.
    :param limits: the page caps (``max_page_content_bytes``, ``max_page_text_operators``) the
        document applies to each page before reading it.
    :returns: a :class:`PdfDocument`; ``password_needed`` is True only when a
        non-empty password opened it.
    :raises PasswordRequired: encrypted, no password given, the empty one fails.
    :raises WrongPassword: encrypted, and neither the given nor the empty password opens it.
    :raises CorruptStatement: not a readable PDF.
    :raises ConfigurationError: a bad ``engine``.
    """
    cls = _engine(engine)
    if password:
        document = cls.try_open(data, password)
        if document is not None:
            if document.encrypted:
                # If the empty password opens it too, the file did not really need one.
                empty = cls.try_open(data, "")
                if empty is not None:
                    empty.close()
                document.password_needed = empty is None
            document.limits = limits
            return document
    document = cls.try_open(data, "")
    if document is not None:
        document.limits = limits
        return document
    if password:
        raise WrongPassword(
            "The password did not open this PDF. Check it (statement passwords are often "
            "a date of birth or part of an ID number) and try again."
        )
    raise PasswordRequired(
        "This PDF is password-protected. Enter the statement password (the bank's email "
        "usually says how it is formed) or save a password book entry for this account."
    )


def needs_password(data: bytes, *, engine: str = "auto") -> bool:
    """Whether opening ``data`` needs a non-empty password.

    :returns: True when the PDF is encrypted and the empty password does not open it.
    :raises CorruptStatement: not a readable PDF.
    """
    document = _engine(engine).try_open(data, "")
    if document is None:
        return True
    document.close()
    return False


def _damaged(err: BaseException) -> CorruptStatement:
    return CorruptStatement(
        f"This PDF is damaged and cannot be read ({type(err).__name__}). "
        "Download it again from your bank and re-upload it."
    )


# -- the interface -------------------------------------------------------------


class PdfDocument:
    """An opened PDF: its page count and each page's text, under the page limits.

    Subclasses implement :meth:`try_open`, :meth:`_page_count`, :meth:`_text`
    and :meth:`close`.
    """

    engine = ""

    def __init__(self, *, encrypted: bool, password_needed: bool):
        self.encrypted = encrypted
        self.password_needed = password_needed
        #: The page caps, set by :func:`open_document` (the library's defaults until then).
        self.limits = DEFAULT_LIMITS

    def _check_page(self, page: Any, number: int) -> None:
        check_page_content(
            page, number, max_bytes=self.limits.max_page_content_bytes,
            max_operators=self.limits.max_page_text_operators,
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} encrypted={self.encrypted} password_needed={self.password_needed}>"

    @classmethod
    def try_open(cls, data: bytes, password: str) -> PdfDocument | None:
        """The document opened with ``password`` (any password opens an unencrypted one), or ``None``.

        ``encrypted`` is set on the result; ``password_needed`` is left False.
        :raises CorruptStatement: not a readable PDF.
        """
        raise NotImplementedError

    def page_count(self) -> int:
        """How many pages the document has. :raises CorruptStatement: a broken page tree."""
        try:
            return self._page_count()
        except StatementError:
            raise
        except Exception as err:
            raise CorruptStatement(
                f"This PDF's page list is damaged ({type(err).__name__}). Download it again and re-upload it."
            ) from err

    def page_text(self, index: int, *, layout: bool = True) -> str:
        """The text of page ``index`` (0-based), laid out in columns when ``layout``.

        :raises ProcessingLimitExceeded: the page's content is over ``MAX_PAGE_CONTENT_BYTES``
            or ``MAX_PAGE_TEXT_OPERATORS``, or the processing deadline passed.
        :raises CorruptStatement: the page cannot be read.
        """
        number = index + 1
        limits.check(f"page {number}")
        try:
            return self._text(index, layout=layout)
        except StatementError:
            raise
        except Exception as err:
            raise CorruptStatement(
                f"The text of page {number} cannot be read ({type(err).__name__}). "
                "Download the statement again and re-upload it."
            ) from err

    def close(self) -> None:
        """Release what the engine holds (safe to call twice)."""

    def _page_count(self) -> int:
        raise NotImplementedError

    def _text(self, index: int, *, layout: bool) -> str:
        raise NotImplementedError


# -- the page guard ------------------------------------------------------------


def check_page_content(page: Any, number: int, *, max_bytes: int, max_operators: int) -> None:
    """Refuse a page whose content would take too long or too much memory to read.

    Measures the page's decoded content streams, and those of the form
    XObjects its resources name (and theirs, each once), with pypdf's public
    ``decode_stream_data``, each decompression capped just above the limit.

    :param page: a ``pypdf.PageObject``.
    :param number: the page's number, for the message.
    :param max_bytes: ``MAX_PAGE_CONTENT_BYTES`` (``0``: no cap).
    :param max_operators: ``MAX_PAGE_TEXT_OPERATORS`` (``0``: no cap).
    :raises ProcessingLimitExceeded: over ``MAX_PAGE_CONTENT_BYTES`` (``limit``
        names it) or ``MAX_PAGE_TEXT_OPERATORS``, or the deadline passed.
    """
    max_bytes, max_operators = int(max_bytes or 0), int(max_operators or 0)
    if not max_bytes and not max_operators:
        return
    total = operators = 0
    for stream in _content_streams(page):
        limits.check(f"page {number}")
        data = _decoded(stream, max_bytes - total if max_bytes else 0, number, max_bytes)
        total += len(data)
        if max_bytes and total > max_bytes:
            raise _too_big(number, "MAX_PAGE_CONTENT_BYTES", max_bytes, "bytes of drawing instructions")
        if max_operators:
            # Counted in slices, stopping as soon as the limit is crossed (a slice boundary can
            # split one operator from its operands, never an operator: they are 1-2 bytes).
            for start in range(0, len(data), _COUNT_SLICE):
                operators += len(_TEXT_OPERATOR.findall(data, start, start + _COUNT_SLICE + 2))
                if operators > max_operators:
                    raise _too_big(number, "MAX_PAGE_TEXT_OPERATORS", max_operators, "text operators")
        del data


def _too_big(number: int, setting: str, value: int, what: str) -> ProcessingLimitExceeded:
    return ProcessingLimitExceeded(
        f"Page {number} of this PDF holds more than {value:,} {what}, far more than a statement page; "
        f"it was not read (limit EXPENSE_AI[{setting!r}]). Upload the bank's original statement or its "
        "CSV/OFX export.",
        limit=setting,
        value=value,
    )


def _content_streams(page: Any) -> Iterator[Any]:
    """The page's content streams, then every form XObject its resources (and theirs) name, each once."""
    contents = page.get("/Contents")
    contents = contents.get_object() if contents is not None else None
    if contents is not None:
        if hasattr(contents, "get_data"):
            yield contents
        else:  # an array of streams
            for item in contents:
                yield item.get_object()
    seen: set[int] = set()
    pending = [page]
    while pending:
        holder = pending.pop()
        resources = holder.get("/Resources")
        resources = resources.get_object() if resources is not None else None
        xobjects = resources.get("/XObject") if resources is not None and hasattr(resources, "get") else None
        xobjects = xobjects.get_object() if xobjects is not None else None
        for ref in xobjects.values() if xobjects is not None and hasattr(xobjects, "values") else ():
            xobject = ref.get_object()
            if id(xobject) in seen or not hasattr(xobject, "get_data") or xobject.get("/Subtype") != "/Form":
                continue
            seen.add(id(xobject))
            yield xobject
            pending.append(xobject)  # a form may draw forms of its own


def _decoded(stream: Any, cap: int, number: int, limit: int) -> bytes:
    """``stream``'s decoded bytes, decompressing at most about ``cap`` + 1 bytes (0: pypdf's own cap)."""
    import pypdf
    from pypdf.errors import LimitReachedError
    from pypdf.filters import decode_stream_data

    if not stream.get("/Filter"):  # stored as is: nothing to expand
        data = stream.get_data()
        return data if isinstance(data, bytes) else bytes(data or b"")
    apply = getattr(pypdf, "apply_configuration", None)  # pypdf >= 7; older ones keep their 75 MB cap
    try:
        if cap > 0 and apply is not None:
            cap = max(cap, 1) + 1
            with apply(
                zlib_maximum_output_length=cap, lzw_maximum_output_length=cap,
                run_length_maximum_output_length=cap,
            ):
                data = decode_stream_data(stream)
        else:
            data = decode_stream_data(stream)
    except LimitReachedError as err:
        raise _too_big(
            number, "MAX_PAGE_CONTENT_BYTES", limit, "bytes of drawing instructions"
        ) from err
    except Exception as err:  # a filter pypdf cannot undo: nothing it could read either
        logger.warning("A content stream of page %s cannot be decoded (%s); not counted.", number,
                       type(err).__name__)
        return b""
    return data if isinstance(data, bytes) else bytes(data or b"")


# -- pypdf ---------------------------------------------------------------------


def _pypdf_reader(data: bytes) -> Any:
    from pypdf import PdfReader

    try:
        return PdfReader(io.BytesIO(data), strict=False)
    except Exception as err:  # pypdf raises many non-pypdf types on garbage
        raise _damaged(err) from err


def _pypdf_encrypted(reader: Any) -> bool:
    try:
        return bool(reader.is_encrypted)
    except Exception as err:  # a broken trailer or /Encrypt entry
        raise _damaged(err) from err


def _pypdf_decrypt(reader: Any, password: str) -> bool:
    from pypdf import PasswordType

    try:
        return reader.decrypt(password) != PasswordType.NOT_DECRYPTED
    except Exception as err:  # broken /Encrypt dictionaries, unsupported handlers
        raise CorruptStatement(
            f"This PDF's encryption cannot be processed ({type(err).__name__}). "
            "Save an unprotected copy from your bank's site or viewer and upload that."
        ) from err


def _pypdf_open(data: bytes, password: str) -> Any | None:
    """A pypdf reader for ``data``, decrypted with ``password`` when encrypted; None if it does not open."""
    reader = _pypdf_reader(data)
    if _pypdf_encrypted(reader) and not _pypdf_decrypt(reader, password):
        return None
    return reader


def _decrypted_copy(reader: Any) -> bytes:
    from pypdf import PdfWriter

    try:
        out = io.BytesIO()
        PdfWriter(clone_from=reader).write(out)
        return out.getvalue()
    except Exception as err:
        raise CorruptStatement(
            f"This PDF's encryption cannot be processed ({type(err).__name__}). "
            "Save an unprotected copy from your bank's site or viewer and upload that."
        ) from err


class PypdfDocument(PdfDocument):
    """pypdf: layout-mode text (plain text when layout mode fails on a page)."""

    engine = "pypdf"

    def __init__(self, reader: Any, *, encrypted: bool = False, password_needed: bool = False):
        super().__init__(encrypted=encrypted, password_needed=password_needed)
        self.reader = reader
        self._pages: list[Any] | None = None

    @classmethod
    def try_open(cls, data: bytes, password: str) -> PypdfDocument | None:
        reader = _pypdf_reader(data)
        encrypted = _pypdf_encrypted(reader)
        if encrypted and not _pypdf_decrypt(reader, password):
            return None
        return cls(reader, encrypted=encrypted)

    @property
    def pages(self) -> list[Any]:
        """pypdf's page objects."""
        if self._pages is None:
            self._pages = list(self.reader.pages)
        return self._pages

    def _page_count(self) -> int:
        return len(self.pages)

    def _text(self, index: int, *, layout: bool) -> str:
        page = self.pages[index]
        if hasattr(page, "get"):  # a real PageObject (tests may hand in look-alikes)
            self._check_page(page, index + 1)
        if layout:
            try:
                return page.extract_text(extraction_mode="layout") or ""
            except Exception:  # layout mode trips over some fonts; plain mode is more forgiving
                pass
        return page.extract_text() or ""


# -- PDFium --------------------------------------------------------------------


class PdfiumDocument(PdfDocument):
    """PDFium (pypdfium2): text rectangles with positions, laid out like pypdf's layout mode.

    PDFium opens and decrypts the file itself (RC4 and AES, incl. AES-256 R6).
    The page guard measures each page's content with pypdf before PDFium
    loads it, so a pypdf reader of the same file is opened alongside.
    """

    engine = "pdfium"

    def __init__(self, document: Any, guard: Any, *, encrypted: bool = False, password_needed: bool = False):
        super().__init__(encrypted=encrypted, password_needed=password_needed)
        self.document = document
        # A pypdf reader for check_page_content, or a callable that opens one on first use.
        self._guard = guard
        self._guard_pages: list[Any] | None = None

    @classmethod
    def _load(cls, data: bytes, password: str | None) -> Any | None:
        import pypdfium2 as pdfium
        import pypdfium2.raw as raw

        try:
            with _PDFIUM_LOCK:
                return pdfium.PdfDocument(data, password=password)
        except pdfium.PdfiumError as err:
            if getattr(err, "err_code", None) == raw.FPDF_ERR_PASSWORD:
                return None
            raise _damaged(err) from err
        except Exception as err:
            raise _damaged(err) from err

    @classmethod
    def try_open(cls, data: bytes, password: str) -> PdfiumDocument | None:
        import pypdfium2.raw as raw

        document = cls._load(data, password or None)
        if document is not None:
            with _PDFIUM_LOCK:
                encrypted = raw.FPDF_GetSecurityHandlerRevision(document) != -1
            # The page guard's pypdf reader is opened only when a page is read.
            return cls(document, lambda: _pypdf_open(data, password), encrypted=encrypted)
        guard = _pypdf_open(data, password)
        if guard is None:
            return None
        # pypdf takes this password where PDFium does not (an empty *owner* password of an
        # AES-256 file): PDFium reads the copy pypdf decrypts, so both engines open the same files.
        document = cls._load(_decrypted_copy(guard), None)
        if document is None:  # pragma: no cover - the copy is not encrypted
            return None
        return cls(document, guard, encrypted=True)

    def _page_count(self) -> int:
        with _PDFIUM_LOCK:
            return len(self.document)

    def _guard_page(self, index: int) -> Any:
        if callable(self._guard):
            try:
                self._guard = self._guard()
            except CorruptStatement:
                self._guard = None
        if self._guard is None:
            raise CorruptStatement(
                "This PDF's pages cannot be checked before reading (its encryption or structure is "
                "unusual). Save an unprotected copy from your bank's site or viewer and upload that."
            )
        if self._guard_pages is None:
            self._guard_pages = list(self._guard.pages)
        if len(self._guard_pages) != self._page_count():
            raise CorruptStatement("This PDF's page list is inconsistent. Download it again and re-upload it.")
        return self._guard_pages[index]

    def _text(self, index: int, *, layout: bool) -> str:
        number = index + 1
        self._check_page(self._guard_page(index), number)
        with _PDFIUM_LOCK:
            page = self.document[index]
            try:
                textpage = page.get_textpage()
                try:
                    if not layout:
                        return textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n")
                    return _layout_runs(_text_runs(textpage, number))
                finally:
                    textpage.close()
            finally:
                page.close()

    def close(self) -> None:
        with _PDFIUM_LOCK:
            if self.document is not None:
                self.document.close()
                self.document = None
        self._guard, self._guard_pages = None, None


def _text_runs(textpage: Any, number: int) -> list[tuple[float, float, float, float, str]]:
    """``(x, right, baseline_y, font_height, text)`` for each run of text PDFium read.

    PDFium's page text is in content order, with the line ends and the spaces
    it *generates* where characters stand apart (between columns, between
    words placed separately), and none inside a kerned word. A run is the
    text between two generated breaks, what pypdf's layout mode calls a BT
    group; its position comes from its first and last characters' boxes, so
    PDFium is asked about a few characters per run, not about every one.
    """
    import ctypes

    import pypdfium2.raw as raw

    handle = textpage.raw
    count = textpage.count_chars()
    text = textpage.get_text_range(0, count) if count else ""
    if len(text) != count:  # characters outside the BMP shift the indices: fetch one by one
        text = "".join((textpage.get_text_range(i, 1) or " ")[:1] for i in range(count))
    char_box, origin, font_size = raw.FPDFText_GetCharBox, raw.FPDFText_GetCharOrigin, raw.FPDFText_GetFontSize
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    box_refs = tuple(ctypes.byref(v) for v in (left, right, bottom, top))
    x, y = ctypes.c_double(), ctypes.c_double()
    x_ref, y_ref = ctypes.byref(x), ctypes.byref(y)

    runs: list[tuple[float, float, float, float, str]] = []
    generated = raw.FPDFText_IsGenerated

    def wide_gap(i: int) -> bool:
        # PDFium keeps one of a row of typed spaces (a monospaced statement's
        # column gap): a space standing for more than two spaces' width ends
        # the run, so the next word keeps its column.
        if i == 0 or i + 1 >= count or text[i + 1] in " \r\n\x02":
            return False
        char_box(handle, i - 1, *box_refs)
        before = right.value
        char_box(handle, i + 1, *box_refs)
        size = font_size(handle, i) or (top.value - bottom.value)
        return left.value - before > 1.2 * size

    def add(start: int, end: int) -> None:
        piece = text[start:end]
        first = start + len(piece) - len(piece.lstrip())
        last = start + len(piece.rstrip()) - 1
        if last < first:
            return
        char_box(handle, last, *box_refs)
        run_right = right.value
        char_box(handle, first, *box_refs)
        if origin(handle, first, x_ref, y_ref):
            baseline = y.value
        else:  # pragma: no cover - PDFium knows every character's origin
            baseline = bottom.value
        size = font_size(handle, first) or (top.value - bottom.value)
        runs.append((left.value, run_right, baseline, size, text[first:end]))

    start = 0
    for i, char in enumerate(text):
        if char in "\r\n\x02" or (char == " " and (generated(handle, i) or wide_gap(i))):
            if i > start:
                add(start, i)
            start = i + 1
            if len(runs) % 32 == 0:  # a run is a line's piece: a page has hundreds, a hostile one millions
                limits.check(f"page {number}")
    if count > start:
        add(start, count)
    return runs


# pypdf's layout mode limits, kept so both engines give the same lines.
_NEWLINE_LIMIT = 50
_WHITESPACE_LIMIT = 200
_SCALE_WEIGHT = 1.25
# A gap under this many font sizes between two runs on a line is inside a word (half a narrow space).
_JOIN_GAP = 0.12
_CONTROL = str.maketrans(dict.fromkeys(range(14, 32), " "))
_HAS_CONTROL = re.compile("[\x0e-\x1f]")


def _layout_runs(runs: list[tuple[float, float, float, float, str]]) -> str:
    """Lay text runs out as fixed-width lines, the way pypdf's layout mode does.

    Runs are grouped into lines by baseline (lines closer than a font height
    merge unless they overlap), placed at ``x // char_width`` columns where
    ``char_width`` is the page's average character width weighted like
    pypdf's, and blank lines stand for vertical gaps of a font height or more.
    """
    if not runs:
        return ""
    lines: list[tuple[int, float, list[tuple[float, float, float, float, str]]]] = []
    for run in sorted(runs, key=lambda r: (-int(r[2]), r[0])):
        y = int(run[2])
        if lines:
            last_y, height, members = lines[-1]
            taken = {int(m[0]) for m in members}
            if abs(y - last_y) < min(height, run[3]) and int(run[0]) not in taken:
                members.append(run)
                continue
        lines.append((y, run[3], [run]))
    total_width = sum(r[1] - r[0] for r in runs)
    total_len = sum(len(r[4]) for r in runs) * _SCALE_WEIGHT
    char_width = total_width / total_len if total_len else 0.0
    out: list[str] = []
    last_y = 0
    for y, _, members in lines:
        members.sort(key=lambda r: r[0])
        if out:
            height = members[0][3]
            blank = 0 if not height else int(abs(y - last_y) / height) - 1
            out.extend([""] * min(max(blank, 0), _NEWLINE_LIMIT))
        parts: list[str] = []
        length = 0
        last_right = 0.0
        for left, right, _, size, text in members:
            # Pieces of one word (PDFium splits at kerning) join as pypdf joins them in a BT group.
            joined = parts and left - last_right < _JOIN_GAP * size
            offset = int(left // char_width) if char_width else length
            needed = offset - length
            if not joined and needed > 0 and math.ceil(last_right) < int(left):
                needed = min(needed, _WHITESPACE_LIMIT)
                parts.append(" " * needed)
                length += needed
            if _HAS_CONTROL.search(text):
                text = text.translate(_CONTROL)
            parts.append(text)
            length += len(text)
            last_right = right
        out.append("".join(parts).rstrip())
        last_y = y
    return "\n".join(out)
