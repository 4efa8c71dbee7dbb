"""Build real statement PDFs for tests: fpdf2 writes them, pypdf encrypts them.

Nothing is mocked: the reader under test opens these exactly like an upload.
:func:`build_statement` returns the PDF bytes together with the rows it printed,
so a test can compare what was read with what was written, for any number of
rows (a benchmark can ask for a 50-page statement).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

ALGORITHMS = ("RC4-40", "RC4-128", "AES-128", "AES-256")

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class FixtureRow:
    """One row as printed: signed amount (negative = money out) and running balance."""

    date: dt.date
    description: str
    amount: Decimal
    balance: Decimal
    extra_line: str = ""  # printed on a second line under the description


def make_rows(
    count: int,
    *,
    start: dt.date = dt.date(2024, 1, 2),
    opening: Decimal = Decimal("1000.00"),
    multiline_every: int = 0,
    per_day: int = 3,
) -> list[FixtureRow]:
    """Deterministic rows: mostly spending, every fifth a credit, big values with thousands."""
    rows: list[FixtureRow] = []
    balance = opening
    for i in range(count):
        if i % 5 == 4:
            amount = Decimal(100 + (i * 37) % 5000) + Decimal(i % 100) / 100
            if i % 25 == 24:
                amount += Decimal(1000)  # exercise thousands separators
        else:
            amount = -(Decimal(1 + (i * 131) % 90) + Decimal((i * 7) % 100) / 100)
        balance += amount
        extra = f"REF {100000 + i} CARD 4321" if multiline_every and i % multiline_every == 1 else ""
        rows.append(
            FixtureRow(
                date=start + dt.timedelta(days=i // per_day),
                description=f"SHOP {i:04d} {'SALARY' if amount > 0 else 'PURCHASE'}",
                amount=amount,
                balance=balance,
                extra_line=extra,
            )
        )
    return rows


def format_date(day: dt.date, style: str) -> str:
    """Print a date in one of the styles statements use."""
    mon = _MONTHS[day.month - 1]
    return {
        "dmy": day.strftime("%d/%m/%Y"),
        "mdy": day.strftime("%m/%d/%Y"),
        "dm": day.strftime("%d/%m"),
        "d_mon_y": f"{day.day:02d} {mon} {day.year}",
        "mon_d": f"{mon} {day.day:02d}",
        "iso": day.isoformat(),
    }[style]


def _money(value: Decimal, *, thousands: str = ",", decimal: str = ".") -> str:
    text = f"{abs(value):,.2f}"
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


def build_statement(
    rows: list[FixtureRow],
    *,
    layout: str = "debit_credit",
    date_style: str = "dmy",
    currency: str = "EUR",
    period: tuple[dt.date, dt.date] | None = None,
    opening: Decimal = Decimal("1000.00"),
    account: str = "12345678",
    card: bool = False,
) -> bytes:
    """Print a bank statement PDF.

    :param layout: ``debit_credit`` (Debit / Credit / Balance columns),
        ``signed`` (one Amount column with ``-``), ``crdr`` (``12.34 DR`` / ``CR``),
        ``parens`` (``(12.34)`` for money out) or ``card`` (credit-card: charges bare,
        payments ``CR``; no balance column).
    :returns: the PDF bytes.
    """
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=9)
    first, last = period or (
        rows[0].date if rows else dt.date(2024, 1, 1),
        rows[-1].date if rows else dt.date(2024, 1, 31),
    )

    def header() -> None:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(
            0,
            6,
            "EXAMPLE BANK PLC" + (" - CREDIT CARD STATEMENT" if card else " - STATEMENT OF ACCOUNT"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font("Helvetica", size=9)
        pdf.cell(0, 5, f"Account number: {account}    Currency: {currency}", new_x="LMARGIN", new_y="NEXT")
        pdf.cell(
            0,
            5,
            f"Statement period: {format_date(first, 'd_mon_y')} to {format_date(last, 'd_mon_y')}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        if card:
            pdf.cell(
                0, 5, "Credit limit: 5,000.00    Minimum payment due: 25.00", new_x="LMARGIN", new_y="NEXT"
            )
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 9)
        if layout == "debit_credit":
            titles = (
                ("Date", 28, "L"),
                ("Description", 82, "L"),
                ("Debit", 25, "R"),
                ("Credit", 25, "R"),
                ("Balance", 30, "R"),
            )
        elif layout == "card":
            titles = (("Date", 28, "L"), ("Description", 117, "L"), ("Amount", 45, "R"))
        else:
            titles = (("Date", 28, "L"), ("Description", 92, "L"), ("Amount", 35, "R"), ("Balance", 35, "R"))
        for title, width, align in titles:
            pdf.cell(width, 6, title, align=align)
        pdf.ln(6)
        pdf.set_font("Helvetica", size=9)

    header()
    if not card:
        pdf.cell(110 if layout == "debit_credit" else 120, 5, "Opening balance")
        pdf.cell(
            80 if layout == "debit_credit" else 70,
            5,
            _money(opening),
            align="R",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    for row in rows:
        if pdf.get_y() > 270:
            header()
        date_text = format_date(row.date, date_style)
        if layout == "debit_credit":
            debit = _money(row.amount) if row.amount < 0 else ""
            credit = _money(row.amount) if row.amount > 0 else ""
            cells = (
                (date_text, 28, "L"),
                (row.description, 82, "L"),
                (debit, 25, "R"),
                (credit, 25, "R"),
                (_money(row.balance), 30, "R"),
            )
        elif layout == "card":
            charge = _money(row.amount) if row.amount < 0 else _money(row.amount) + " CR"
            cells = ((date_text, 28, "L"), (row.description, 117, "L"), (charge, 45, "R"))
        else:
            value = _money(row.amount)
            if layout == "signed":
                amount_text = f"-{value}" if row.amount < 0 else value
            elif layout == "crdr":
                amount_text = f"{value} DR" if row.amount < 0 else f"{value} CR"
            else:  # parens
                amount_text = f"({value})" if row.amount < 0 else value
            cells = (
                (date_text, 28, "L"),
                (row.description, 92, "L"),
                (amount_text, 35, "R"),
                (_money(row.balance), 35, "R"),
            )
        for text, width, align in cells:
            pdf.cell(width, 5, text, align=align)
        pdf.ln(5)
        if row.extra_line:
            pdf.cell(28, 5, "")
            pdf.cell(82, 5, row.extra_line)
            pdf.ln(5)
    pdf.ln(4)
    closing = rows[-1].balance if rows else opening
    pdf.cell(110, 5, "Total amount due" if card else "Closing balance")
    pdf.cell(80, 5, _money(-closing + opening if card else closing), align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def text_pdf(*lines: str, pages: int = 1) -> bytes:
    """A plain PDF with the given lines on each of ``pages`` pages."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for _ in range(pages):
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def monospace_pdf(*lines: str) -> bytes:
    """A PDF printing ``lines`` in Courier, so the spaces that align a table's columns survive extraction."""
    pdf = FPDF()
    pdf.set_font("Courier", size=8)
    pdf.add_page()
    for line in lines:
        pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def image_only_pdf(pages: int = 2) -> bytes:
    """A 'scanned' PDF: shapes on every page, no text at all."""
    pdf = FPDF()
    for _ in range(pages):
        pdf.add_page()
        pdf.set_fill_color(30, 30, 30)
        for i in range(12):
            pdf.rect(20, 20 + i * 18, 150, 8, style="F")
    return bytes(pdf.output())


def encrypt_pdf(
    data: bytes, user_password: str, *, algorithm: str = "AES-256", owner_password: str | None = None
) -> bytes:
    """Encrypt ``data`` with pypdf (``RC4-40``, ``RC4-128``, ``AES-128`` or ``AES-256``)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def truncated_pdf(data: bytes, keep: float = 0.4) -> bytes:
    """The first part of a real PDF, as a broken download leaves it."""
    return data[: max(16, int(len(data) * keep))]


def garbage_pdf(size: int = 4096, seed: int = 7) -> bytes:
    """A ``%PDF`` header followed by pseudo-random bytes."""
    import random

    rng = random.Random(seed)
    return b"%PDF-1.7\n" + bytes(rng.randrange(256) for _ in range(size))


ELF_BYTES = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + bytes(range(256)) * 4


def hostile_pdf(page_content: bytes, *, pages: int) -> bytes:
    """A PDF whose every page draws ``page_content`` (Flate-compressed, one stream object per page).

    Written by hand so a page can hold what no PDF library would write: the
    security issue's 3 million ``0 0 Td`` per page, or 70 MB of text. The
    content is compressed once; each page gets its own copy of the bytes, as
    in the files of the issue.
    """
    import zlib

    stream = zlib.compress(page_content, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        (f"<< /Type /Pages /Kids [{' '.join(f'{4 + 2 * i} 0 R' for i in range(pages))}] "
         f"/Count {pages} >>").encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i in range(pages):
        objects.append(
            (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
             f"/Contents {5 + 2 * i} 0 R >>").encode()
        )
        objects.append(
            b"<< /Length " + str(len(stream)).encode() + b" /Filter /FlateDecode >>\nstream\n" + stream
            + b"\nendstream"
        )
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def td_flood_pdf(*, pages: int = 20, operators: int = 3_000_000) -> bytes:
    """The issue's first file: ``pages`` pages each holding ``operators`` ``0 0 Td`` (about 617 KB)."""
    return hostile_pdf(b"BT /F1 10 Tf 72 720 Td " + b"0 0 Td " * operators + b"(end) Tj ET", pages=pages)


def text_flood_pdf(*, pages: int = 40, megabytes: int = 70) -> bytes:
    """The issue's second file: ``pages`` pages each showing about ``megabytes`` MB of text (about 3.7 MB)."""
    line = b"(12/03/2024 COFFEE SHOP 4.50 1,234.56) Tj 0 -12 Td\n"
    count = megabytes * 1_000_000 // len(line)
    return hostile_pdf(b"BT /F1 10 Tf 72 720 Td\n" + line * count + b"ET", pages=pages)


def nested_form_pdf(form_content: bytes) -> bytes:
    """One page that draws a form XObject, which draws another holding ``form_content`` (compressed).

    Content hidden two forms down still counts against the page's limits.
    """
    import zlib

    inner = zlib.compress(form_content, 9)
    outer = b"/Inner Do"
    page = b"BT /F1 10 Tf 72 760 Td (Statement) Tj ET /Outer Do"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> "
        b"/XObject << /Outer 6 0 R >> >> /Contents 5 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(page), page),
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /XObject << /Inner 7 0 R >> >> "
        b"/Length %d >>\nstream\n%s\nendstream" % (len(outer), outer),
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
        b"/Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(inner), inner),
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
