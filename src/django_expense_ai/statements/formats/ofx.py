"""OFX/QFX statements: 1.x SGML and 2.x XML.

``ofxtools`` reads the header and turns the SGML/XML into an element tree.
We walk that tree ourselves instead of calling ``ofxtools``' model
conversion, because the conversion rejects many real bank files (missing
``LEDGERBAL``, a ``BANKID`` one digit too long, no ``BANKACCTFROM``) and turns
posting times into UTC, which moves late-evening transactions to the next
day. When ``ofxtools`` rejects even the header (``CHARSET:8859-1``, csv2ofx's
two-line header, files that start straight with ``<OFX>``), a small tolerant
SGML reader builds the same tree.

Pure: no database.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from ... import limits
from ...exceptions import CorruptStatement, StatementError, UnreadableRow
from ...money import is_known_currency, quantize
from ..types import ParsedStatement, StatementRow
from ..validation import MAX_ABS_AMOUNT
from . import mask_account, parse_amount

__all__ = ["decode_ofx", "ofx_tree", "parse_ofx"]

_STATEMENT_TAGS = ("STMTRS", "CCSTMTRS", "INVSTMTRS")
_ACCOUNT_TAGS = ("BANKACCTFROM", "CCACCTFROM", "INVACCTFROM")


def decode_ofx(data: bytes) -> str:
    """Decode OFX bytes using the charset the header declares.

    :returns: the text (undecodable bytes replaced, never an exception).
    :raises: nothing.
    """
    head = data[:2048].decode("ascii", errors="ignore").upper()
    encoding = re.search(r"ENCODING\s*[:=]\s*\"?([A-Z0-9\-]+)", head)
    charset = re.search(r"CHARSET\s*:\s*([A-Z0-9\-]+)", head)
    if encoding and encoding.group(1).replace("-", "") in ("UTF8", "UNICODE"):
        return data.decode("utf-8", errors="replace")
    if charset and charset.group(1) in ("1252", "ISO-8859-1", "8859-1", "LATIN1", "LATIN-1"):
        # Banks that declare Latin-1 mostly write Windows-1252 (€, em dash); it is a superset.
        return data.decode("cp1252", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def ofx_tree(data: bytes) -> tuple[ET.Element, bool]:
    """Parse OFX bytes into an element tree.

    :returns: ``(root element, used_fallback)``; ``used_fallback`` is True when
        ``ofxtools`` rejected the file and the tolerant reader was used.
    :raises CorruptStatement: there is no ``<OFX>`` element at all.
    """
    try:
        from ofxtools.Parser import OFXTree

        tree = OFXTree()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ofxtools warns about every private tag
            tree.parse(io.BytesIO(data))
        root = tree.getroot()
        if root is not None:
            return root, False
    except Exception:  # ofxtools raises its own and stdlib types for malformed files
        pass
    return _tolerant_tree(decode_ofx(data)), True


def _tolerant_tree(text: str) -> ET.Element:
    start = re.search(r"<OFX\s*>", text, re.I)
    if start is None:
        raise CorruptStatement(
            "This OFX file has no <OFX> element. Download the statement again from your bank."
        )
    body = re.sub(
        r"<!\[CDATA\[(.*?)\]\]>",
        lambda m: html.escape(m.group(1), quote=False),
        text[start.start() :],
        flags=re.S,
    )
    root = ET.Element("ROOT")
    stack = [root]
    for m in re.finditer(r"<(/?)([A-Za-z0-9_.]+)[^>]*>([^<]*)", body):
        closing, tag, value = m.group(1), m.group(2).upper(), m.group(3).strip()
        if closing:
            # Pop back to the element this closes; a stray closing tag is ignored.
            if any(el.tag == tag for el in stack[1:]):
                while stack[-1].tag != tag:
                    stack.pop()
                stack.pop()
            continue
        element = ET.SubElement(stack[-1], tag)
        if value:
            element.text = value  # SGML leaf: value, no closing tag
        else:
            stack.append(element)
    ofx = root.find("OFX")
    return ofx if ofx is not None else root


def _own(element: ET.Element) -> Iterator[ET.Element]:
    """Descendants of ``element``, not entering a nested transaction.

    An empty SGML leaf (``<DTPOSTED>`` with no value) makes tree builders nest
    the following elements, even the next ``STMTTRN``, under it.
    """
    for child in element:
        yield child
        if child.tag != "STMTTRN":
            yield from _own(child)


def _text(element: ET.Element | None, *tags: str) -> str:
    """First non-empty text of a descendant with one of ``tags`` (in that order)."""
    if element is None:
        return ""
    for tag in tags:
        for found in _own(element):
            if found.tag == tag and found.text and found.text.strip():
                return _clean(found.text)
    return ""


def _clean(value: str) -> str:
    # Some banks escape twice ("&amp;lt;"); unescape until it stops changing.
    for _ in range(2):
        unescaped = html.unescape(value)
        if unescaped == value:
            break
        value = unescaped
    return " ".join(value.split())


def _ofx_date(value: str) -> dt.date | None:
    # "20230509120000.000[-5:EST]": the date as the bank printed it, without moving to UTC.
    m = re.match(r"\s*(\d{4})(\d{2})(\d{2})", value or "")
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


@dataclass
class _Account:
    kind: str
    account: str
    currency: str | None
    rows: list[StatementRow] = field(default_factory=list)
    start: dt.date | None = None
    end: dt.date | None = None
    ledger: Decimal | None = None
    skipped: int = 0
    rounded: int = 0
    transactions: int = 0  # STMTTRN elements seen, read or not
    # The first unreadable transaction: (its number in the file, the field, the value).
    first_problem: tuple[int, str, str] | None = None


def _status_problems(root: ET.Element) -> Iterator[str]:
    for status in root.iter("STATUS"):
        code = _text(status, "CODE")
        severity = _text(status, "SEVERITY").upper()
        if code and code != "0" and severity in ("ERROR", ""):
            message = _text(status, "MESSAGE")
            yield f"code {code}" + (f": {message}" if message else "")


def parse_ofx(data: bytes, *, parser: str = "ofx") -> ParsedStatement:
    """Read every bank, credit-card and investment-cash statement in an OFX/QFX file.

    Amounts keep their sign (OFX already uses negative for money out), are
    read with a decimal comma where banks write one, and are quantised to the
    currency's minor units (``-3.77000`` → ``-3.77``). ``FITID`` becomes
    ``bank_id``. Several accounts in one file give one list of rows, each with
    its currency; the warnings name the accounts (masked).

    :returns: a :class:`ParsedStatement` with at least one row.
    :raises CorruptStatement: the file holds no statement — a sign-on failure,
        an error response, a profile or account list, or an empty ``<OFX>`` —
        or its statements list no transactions.
    :raises UnreadableRow: the file is cut off (no closing ``</OFX>``), no
        transaction has a readable date and amount, or an amount is beyond what
        the ledger stores; ``row`` is the transaction's number in the file and
        ``field`` the OFX tag.
    """
    _refuse_truncated(data)
    root, used_fallback = ofx_tree(data)
    warnings_: list[str] = []
    if used_fallback:
        warnings_.append("The OFX header or structure is non-standard; it was read with the tolerant reader.")
    statements = [el for el in root.iter() if el.tag in _STATEMENT_TAGS]
    if not statements:
        problems = list(_status_problems(root))
        if problems:
            raise CorruptStatement(
                f"The bank's OFX response is an error ({'; '.join(problems)}), not a statement. "
                "Download the statement again; if it keeps failing, check the bank connection details."
            )
        what = _describe_response(root)
        raise CorruptStatement(
            f"This OFX file holds no account statement ({what}). Download the statement "
            "(transactions) file from your bank instead."
        )
    accounts: list[_Account] = []
    for el in statements:
        accounts.append(_read_statement(el, first_number=1 + sum(a.transactions for a in accounts)))
    rows = [row for account in accounts for row in account.rows]
    if not rows:
        raise _no_rows(accounts)
    skipped = sum(a.skipped for a in accounts)
    if skipped:
        warnings_.append(f"{skipped} transaction(s) without a valid date or amount were skipped.")
    rounded = sum(a.rounded for a in accounts)
    if rounded:
        warnings_.append(f"{rounded} amount(s) had more decimals than the currency allows and were rounded.")
    if len(accounts) > 1:
        names = ", ".join(f"{a.account or '(no number)'} {a.currency or ''}".strip() for a in accounts)
        warnings_.append(f"The file holds {len(accounts)} statements ({names}); rows of all are included.")
    if any(a.kind == "INVSTMTRS" for a in accounts):
        warnings_.append(
            "Investment statement: only cash transactions are read; trades and positions are not."
        )
    currencies = {a.currency for a in accounts if a.currency}
    main = next((a for a in accounts if a.rows), accounts[0])
    dates = [row.date for row in rows]
    return ParsedStatement(
        format="ofx",
        parser=parser,
        rows=tuple(rows),
        raw_text="",
        currency=currencies.pop() if len(currencies) == 1 else _single_row_currency(rows),
        period_start=main.start or (min(dates) if dates else None),
        period_end=main.end or (max(dates) if dates else None),
        opening_balance=None,
        closing_balance=main.ledger if len(accounts) == 1 else None,
        account_hint=main.account,
        confidence=1.0 if rows and not used_fallback else (0.9 if rows else 0.0),
        warnings=tuple(warnings_),
    )


def _single_row_currency(rows: list[StatementRow]) -> str | None:
    codes = {row.currency for row in rows if row.currency}
    return codes.pop() if len(codes) == 1 else None


def _describe_response(root: ET.Element) -> str:
    tags = {el.tag for el in root.iter()}
    if "ACCTINFORS" in tags:
        return "it is an account list"
    if "PROFRS" in tags:
        return "it is a bank profile response"
    if "INTRARS" in tags or "INTERRS" in tags:
        return "it is a transfer confirmation"
    if "SONRS" in tags:
        return "it holds only a sign-on response"
    return "the <OFX> element is empty"


_OFX_CLOSE = re.compile(rb"</OFX\s*>", re.I)
_OFX_OPEN = re.compile(rb"<OFX\s*>", re.I)
_TRANSACTION_OPEN = re.compile(rb"<STMTTRN\s*>", re.I)
_LAST_TAG = re.compile(rb"<(/?[A-Za-z0-9_.]+)[^>]*>")


def _refuse_truncated(data: bytes) -> None:
    """An OFX file that opens ``<OFX>`` but never closes it was cut off (a download or copy broke)."""
    if not _OFX_OPEN.search(data) or _OFX_CLOSE.search(data):
        return
    transactions = len(_TRANSACTION_OPEN.findall(data))
    tags = _LAST_TAG.findall(data[-4096:])
    last = tags[-1].decode("ascii", "replace") if tags else "OFX"
    where = f"inside transaction {transactions}" if transactions else "before any transaction"
    raise UnreadableRow(
        f"This OFX file is cut off: it ends {where} (after <{last}>) without the closing </OFX>, so "
        "transactions may be missing. Download the statement again from your bank.",
        row=transactions or None,
        field=last.lstrip("/"),
        value=f"<{last}>",
    )


def _no_rows(accounts: list[_Account]) -> StatementError:
    """Why a file with statements gave no rows, as the error to raise."""
    problem = next((a.first_problem for a in accounts if a.first_problem), None)
    if problem is not None:
        number, tag, value = problem
        return UnreadableRow(
            f"No transaction of this OFX file could be read; transaction {number} has "
            f"{f'<{tag}>{value}' if value else f'no <{tag}>'}, which is not a valid "
            f"{'date' if tag.startswith('DT') else 'amount'}. Download the statement again from your bank.",
            row=number,
            field=tag,
            value=value,
        )
    count = f"its {len(accounts)} statements list" if len(accounts) > 1 else "its statement lists"
    if all(a.kind == "INVSTMTRS" for a in accounts):
        return CorruptStatement(
            f"This OFX file is an investment statement and {count} no cash transactions (trades and "
            "positions are not read). Download the bank or card statement for the period instead."
        )
    return CorruptStatement(
        f"This OFX file holds no transactions: {count} none. Check the period you downloaded, "
        "or download the statement again."
    )


def _read_statement(statement: ET.Element, *, first_number: int = 1) -> _Account:
    currency_text = _text(statement, "CURDEF").upper()
    currency = currency_text if is_known_currency(currency_text) else None
    account_el = next((el for tag in _ACCOUNT_TAGS for el in statement.iter(tag)), None)
    account = _Account(
        kind=statement.tag,
        account=mask_account(_text(account_el, "ACCTID")) if account_el is not None else "",
        currency=currency,
    )
    for tranlist_tag in ("BANKTRANLIST", "INVTRANLIST"):
        for tranlist in statement.iter(tranlist_tag):
            account.start = _ofx_date(_text(tranlist, "DTSTART")) or account.start
            account.end = _ofx_date(_text(tranlist, "DTEND")) or account.end
    for ledger in statement.iter("LEDGERBAL"):
        value = parse_amount(_text(ledger, "BALAMT"))
        if value is not None:
            account.ledger = _quantize(value, currency, account)
    for trn in statement.iter("STMTTRN"):
        number = first_number + account.transactions
        account.transactions += 1
        if account.transactions % 1024 == 0:
            limits.check(f"OFX transaction {number:,}")
        row = _read_transaction(trn, currency, account, number)
        if row is None:
            account.skipped += 1
        else:
            account.rows.append(row)
    return account


def _read_transaction(trn: ET.Element, currency: str | None, account: _Account, number: int) -> StatementRow | None:
    date_text = _text(trn, "DTPOSTED", "DTUSER")
    date = _ofx_date(date_text)
    raw_amount = _text(trn, "TRNAMT")
    # OFX amounts never group thousands, so a lone comma is a decimal comma.
    amount = parse_amount(
        raw_amount, decimal_separator="," if "," in raw_amount and "." not in raw_amount else "."
    )
    if date is None or amount is None:
        if account.first_problem is None:
            account.first_problem = (
                (number, "DTPOSTED", date_text[:40]) if date is None else (number, "TRNAMT", raw_amount[:40])
            )
        return None
    if abs(amount) >= MAX_ABS_AMOUNT:
        raise UnreadableRow(
            f"Transaction {number} of this OFX file has the amount {raw_amount[:40]!r}, beyond what the "
            "ledger stores (at most 11 digits before the decimal point). Download the statement again.",
            row=number,
            field="TRNAMT",
            value=raw_amount[:40],
        )
    row_currency = currency
    for el in _own(trn):
        if el.tag == "CURRENCY":
            code = _text(el, "CURSYM").upper()
            if is_known_currency(code):
                row_currency = code
    name = _text(trn, "NAME")
    memo = _text(trn, "MEMO")
    payee = next((_text(el, "NAME") for el in _own(trn) if el.tag == "PAYEE"), "")
    name = name or payee
    if memo and memo != name and name not in memo:
        description = f"{name} — {memo}" if name else memo
    else:
        description = name or memo or _text(trn, "TRNTYPE").title()
    return StatementRow(
        date=date,
        description=description,
        amount=_quantize(amount, row_currency, account),
        currency=row_currency,
        balance=None,
        bank_id=_text(trn, "FITID"),
    )


def _quantize(value: Decimal, currency: str | None, account: _Account) -> Decimal:
    if not currency:
        return value
    result = quantize(value, currency)
    if result != value:
        account.rounded += 1
    return result
