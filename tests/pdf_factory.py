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
