"""Decide a statement's format from its bytes, never from its file name.

A renamed executable stays an executable: the name is only used in messages.
"""

from __future__ import annotations

import codecs

from ...exceptions import CorruptStatement, StatementTooLarge, UnsupportedFormat
from ...limits import DEFAULT_LIMITS

__all__ = ["FORMATS", "detect_format"]

#: Formats this package reads, in the words ``StatementDocument.format`` uses.
FORMATS = ("pdf", "csv", "ofx")

# Leading bytes of common files people upload by mistake, and what to call them.
_KNOWN_BINARIES: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "a Linux executable (ELF)"),
    (b"MZ", "a Windows executable"),
    (b"\xcf\xfa\xed\xfe", "a macOS executable"),
    (b"\xca\xfe\xba\xbe", "a macOS/Java binary"),
    (b"PK\x03\x04", "a ZIP archive (or an Excel/Word file)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document (.xls/.doc)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"RIFF", "a RIFF file (image, audio or video)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
)

_ACCEPTED = "Upload the statement as PDF, CSV or OFX/QFX, as downloaded from your bank."


def detect_format(data: bytes, filename: str = "", *, max_bytes: int = DEFAULT_LIMITS.max_upload_bytes) -> str:
    """Return ``"pdf"``, ``"csv"`` or ``"ofx"`` for the content of ``data``.

    :param filename: used in error messages only; the content decides.
    :param max_bytes: the largest file accepted (``MAX_UPLOAD_BYTES``; ``0``: no cap).
    :returns: the format name.
    :raises CorruptStatement: the file is empty.
    :raises StatementTooLarge: it is larger than ``max_bytes``.
    :raises UnsupportedFormat: it is something else (an executable, archive,
        image, HTML page, or text that is not a table).
    """
    name = f" {filename!r}" if filename else ""
    if not data:
        raise CorruptStatement(f"The file{name} is empty. Download the statement again and re-upload it.")
    limit = max_bytes
    if limit and len(data) > limit:
        raise StatementTooLarge(
            f"The file{name} is {len(data):,} bytes; the limit is {limit:,}. "
            "Split the statement by month or ask your administrator to raise MAX_UPLOAD_BYTES."
        )
    head = data[:1024]
    # PDF readers accept the header anywhere in the first kilobyte; so do we.
    if b"%PDF-" in head:
        return "pdf"
    text = _sniff_text(data[:8192])
    for magic, what in _KNOWN_BINARIES:
        # Printable magics ("MZ", "BZh") can begin a real CSV; only trust them on binary data.
        if data.startswith(magic) and (text is None or not magic.isascii() or not magic.isalpha()):
            raise UnsupportedFormat(f"The file{name} is {what}, not a bank statement. {_ACCEPTED}")
    if text is None:
        raise UnsupportedFormat(f"The file{name} is binary data of an unknown kind. {_ACCEPTED}")
    upper = text.upper()
    if "OFXHEADER" in upper or "<OFX>" in upper or "<?OFX" in upper or "<OFX " in upper:
        return "ofx"
    stripped = upper.lstrip()
    if stripped.startswith(("<!DOCTYPE HTML", "<HTML")):
        raise UnsupportedFormat(f"The file{name} is a web page (HTML), not a statement export. {_ACCEPTED}")
    if stripped.startswith("<?XML") or stripped.startswith("<"):
        raise UnsupportedFormat(
            f"The file{name} is XML but not OFX (CAMT.053 and other XML formats are not supported). {_ACCEPTED}"
        )
    if _looks_tabular(text):
        return "csv"
    raise UnsupportedFormat(f"The file{name} is plain text without columns, not a CSV export. {_ACCEPTED}")


def _sniff_text(sample: bytes) -> str | None:
    """Decode a sample as text, or return None when it is binary."""
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if sample.startswith(bom):
            return sample[len(bom) :].decode(encoding, errors="ignore")
    if b"\x00" in sample:
        # NUL bytes: binary, unless the whole sample is BOM-less UTF-16 text.
        for encoding in ("utf-16-le", "utf-16-be"):
            text = sample[: len(sample) // 2 * 2].decode(encoding, errors="replace")
            if _mostly_printable(text):
                return text
        return None
    text = sample.decode("latin-1")
    return text if _mostly_printable(text) else None


def _mostly_printable(text: str) -> bool:
    bad = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\r\n\t\f") or ch == "\ufffd")
    return bad <= len(text) // 20


def _looks_tabular(text: str) -> bool:
    """True when most non-blank lines share a delimiter: a CSV-like table."""
    lines = [line for line in text.replace("\r", "\n").split("\n") if line.strip()][:30]
    if len(lines) < 2:  # a header alone, or a sentence with a comma, is no statement
        return False
    for delimiter in (",", ";", "\t", "|"):
        if sum(1 for line in lines if delimiter in line) * 2 >= len(lines):
            return True
    return False
