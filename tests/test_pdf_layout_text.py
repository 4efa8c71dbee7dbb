"""The fast layout-text path (statements/formats/pdftext.py) gives pypdf's text, exactly.

Every comparison is against pypdf itself, run on the same bytes: its
``ContentStream.operations`` for the tokeniser, its
``extract_text(extraction_mode="layout")`` for whole pages. The pages are real
PDFs: the shared corpus, the statements ``pdf_factory`` prints with fpdf2, pages
fpdf2 draws with rotation, spacing, stretching and an embedded TrueType font,
and hand-written content streams (fixed ones and generated ones) written into
PDFs with pypdf.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pypdf
import pytest
from fpdf import FPDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ContentStream, DecodedStreamObject, DictionaryObject, NameObject

from django_expense_ai.statements.formats import pdftext

from .pdf_factory import build_statement, encrypt_pdf, make_rows, text_pdf
from .test_read_statement_corpus import NEED_PASSWORD

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

needs_fast = pytest.mark.skipif(
    not pdftext.FAST, reason=f"pypdf {pypdf.__version__} is not a tested release {pdftext.TESTED_PYPDF}: "
    "every page goes through pypdf's own extract_text"
)


@pytest.fixture(autouse=True)
def _quiet_pypdf():
    # Broken and rotated test pages make pypdf log warnings (both paths log the same ones).
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


def _outcome(fn):
    try:
        return fn()
    except Exception as err:  # noqa: BLE001 - the comparison is of what happened
        return ("raised", type(err).__name__)


def _readers(data: bytes, password: str | None = None) -> tuple[PdfReader, PdfReader]:
    readers = []
    for _ in range(2):  # one each: pypdf caches per page, so neither path reads the other's work
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            assert reader.decrypt(password or ""), "the test's password does not open the file"
        readers.append(reader)
    return readers[0], readers[1]


def assert_pages_agree(data: bytes, password: str | None = None, *, all_fast: bool = True) -> int:
    """Every page's text is pypdf's; with ``all_fast`` no page needed pypdf's own path. Returns the page count."""
    ours, theirs = _readers(data, password)
    pages = 0
    for number, (mine, reference) in enumerate(zip(ours.pages, theirs.pages, strict=True), start=1):
        expected = _outcome(lambda page=reference: page.extract_text(extraction_mode="layout"))
        if all_fast:
            got = _outcome(lambda page=mine: pdftext._fast_layout_text(page))
        else:
            got = _outcome(lambda page=mine: pdftext.layout_text(page))
        assert got == expected, f"page {number} differs"
        pages += 1
    return pages


def pypdf_ops(data: bytes) -> list:
    stream = ContentStream(None, None, "bytes")
    stream.set_data(data)
    return stream.operations


def shape(obj):
    """An object with its pypdf types spelled out, so equal shapes mean equal tokens."""
    if isinstance(obj, tuple):
        return tuple(shape(item) for item in obj)
    if isinstance(obj, list):
        return (type(obj).__name__, [shape(item) for item in obj])
    if isinstance(obj, dict):
        return (type(obj).__name__, {key: shape(value) for key, value in obj.items()})
    if isinstance(obj, float):
        return (type(obj).__name__, repr(obj))
    return (type(obj).__name__, obj)


def page_with_stream(stream: bytes) -> bytes:
    """A one-page PDF whose content stream is ``stream``; fonts /F1 Helvetica, /F2 Courier, /F3 Times-Bold."""
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    fonts = DictionaryObject()
    for name, base in (("/F1", "/Helvetica"), ("/F2", "/Courier"), ("/F3", "/Times-Bold")):
        font = DictionaryObject({
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject(base),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        })
        fonts[NameObject(name)] = writer._add_object(font)
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    content = DecodedStreamObject()
    content.set_data(stream)
    page[NameObject("/Contents")] = writer._add_object(content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_the_fast_path_is_on_exactly_for_tested_pypdf_releases():
    assert pdftext.FAST == pypdf.__version__.startswith(pdftext.TESTED_PYPDF)


# -- the tokeniser ---------------------------------------------------------------

TOKEN_CASES = [
    b"BT /F1 9 Tf 31.18 801.74 Td (EXAMPLE BANK) Tj ET",
    b"q 1 0 0 1 72 720 cm BT /F2 12 Tf [(A) -120 (B) 33.5 (C)] TJ ET Q",
    b"BT /F1 10 Tf 12 TL (one) ' 1 2 (two) \" T* (three) Tj ET",
    b"BT /F1 10 Tf (esc \\(aped\\) \\\\ \\n \\101\\0537 \\q) Tj (nested (parens) here) Tj ET",
    b"BT /F1 10 Tf <48656C6C6F> Tj <48 65 6c> Tj <abc> Tj <> Tj ET",
    b"/Span <</ActualText (x) /MCID 3>> BDC BT /F1 10 Tf (y) Tj ET EMC",
    b"/A#20B gs /\xc3\xa9t\xc3\xa9 Do /F1 1 Tf",
    b"% a comment line\nBT %inline\n/F1 9 Tf (x)Tj ET",
    b"0 0 1 RG 0.5 0.5 0.5 rg 10 10 100 50 re f",
    b"+3 -.5 .25 6. 1.2.3 1,5 -- Tz",
    b"[1 [2 [3 (deep)]] true false null /N <4142>] TJ",
    b"BT\x00/F1\x009\x00Tf\x0c(a)\rTj\r\nET",
    b"BT /F1 9 Tf (raw \x00\x01\xff bytes) Tj ET",
    b"[ % comment in an array\n (a) 1 ] TJ",
    b"",
    b"   \n  ",
]


@needs_fast
@pytest.mark.parametrize("stream", TOKEN_CASES)
def test_tokens_are_pypdfs(stream):
    assert shape(pdftext._operations(stream)) == shape(pypdf_ops(stream))


@needs_fast
@pytest.mark.parametrize(
    "stream",
    [
        b"BI /W 1 /H 1 /BPC 8 /CS /G ID \x00 EI BT /F1 9 Tf (after) Tj ET",  # inline image syntax
        b"1 0 R Do",  # what pypdf reads as an indirect reference
        b"[1 0 R] TJ",  # in an array too
        b"12345678901234567890123 Tz",  # a number longer than pypdf's peek
        b"[(unclosed array) 1 2",
        b"x" * 112 + b" BT /F1 9 Tf 50 700 Td (hello) Tj ET",  # pypdf's operator limit is hit from 112 bytes
        b"/" + b"a" * 4081 + b" gs",  # and its name limit from 4,080 after the slash
    ],
)
def test_syntax_left_to_pypdf_is_handed_over(stream):
    with pytest.raises(pdftext._Unsupported):
        pdftext._operations(stream)


@needs_fast
def test_a_long_run_of_digits_is_read_as_pypdf_reads_it():
    # pypdf looks for "N G R" only where a number starts; a search of the whole stream
    # for that pattern would take quadratic time on a run of digits like this one.
    stream = b"BT /F1 9 Tf 50 700 Td (x) Tj ET " + b"7" * 300_000 + b" 0 R"
    assert _outcome(lambda: pdftext._operations(stream)) == ("raised", "_Unsupported")
    ours, theirs = _readers(page_with_stream(stream))
    assert _outcome(lambda: pdftext.layout_text(ours.pages[0])) == _outcome(
        lambda: theirs.pages[0].extract_text(extraction_mode="layout")
    )


@needs_fast
def test_dictionaries_count_against_pypdfs_token_budget():
    from pypdf._configuration import apply_configuration

    stream = b"/P <</A 1 /B 2 /C 3 /D 4>> BDC EMC BT /F1 9 Tf (x) Tj ET"
    assert _outcome(lambda: pdftext._operations(stream)) != ("raised", "_Unsupported")
    with apply_configuration(stream_parsing_work_maximum_count=6):
        assert _outcome(lambda: pypdf_ops(stream)) == ("raised", "LimitReachedError")
        assert _outcome(lambda: pdftext._operations(stream)) == ("raised", "LimitReachedError")


_SEPARATORS = st.sampled_from([b" ", b"\n", b"\r\n", b"\t", b"\x00", b"\x0c", b"\x0b", b"", b"%c\n"])
_SCALARS = st.one_of(
    st.integers(-10**6, 10**6).map(lambda i: str(i).encode()),
    st.decimals(-10**4, 10**4, places=3, allow_nan=False).map(lambda d: str(d).encode()),
    st.sampled_from([b"+3", b"-.5", b".25", b"6.", b"1.2.3", b"1,5", b"--1", b"-", b".", b"+"]),
    st.sampled_from([b"/F1", b"/F2", b"/A#20B", b"/", b"/\xc3\xa9", b"/\xff\xfe", b"/Span", b"/a#zz"]),
    st.binary(max_size=10).map(lambda b: b"(" + b + b")"),
    st.text("()\\nab01 ", max_size=8).map(lambda t: b"(" + t.encode() + b")"),
    st.text("0123456789abcdefABCDEF \nxyz", max_size=8).map(lambda t: b"<" + t.encode() + b">"),
    st.sampled_from([b"<< /MCID 0 >>", b"<</A [1 2] /B (x)>>", b"true", b"false", b"null", b"1 0 R"]),
)
_OPERATORS = st.sampled_from([
    b"Tj", b"TJ", b"'", b'"', b"T*", b"BT", b"ET", b"re", b"true", b"null", b"d0", b"BDC", b"EMC",
    b"R", b"RG", b"Do", b"Tf", b"Td", b"q", b"Q", b"cm", b"]", b")", b">", b"{", b"x\x00y",
])
_ITEMS = st.recursive(
    _SCALARS,
    lambda inner: st.lists(st.tuples(inner, _SEPARATORS), max_size=4).map(
        lambda xs: b"[" + b"".join(a + (s or b" ") for a, s in xs) + b"]"
    ),
    max_leaves=8,
)
_STREAMS = st.lists(st.tuples(st.one_of(_ITEMS, _OPERATORS), _SEPARATORS), max_size=25).map(
    lambda parts: b"".join(token + sep for token, sep in parts)
)


@needs_fast
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_STREAMS)
def test_tokeniser_never_disagrees_with_pypdf(stream):
    """Whatever the tokeniser returns is what pypdf returns; where pypdf fails, so does it."""
    expected = _outcome(lambda: shape(pypdf_ops(stream)))
    try:
        got = shape(pdftext._operations(stream))
    except pdftext._Unsupported:
        return  # handed to pypdf
    except Exception:  # noqa: BLE001 - layout_text then asks pypdf, which decides
        return
    assert got == expected


# -- whole pages -----------------------------------------------------------------

STREAM_PAGES = {
    "plain": b"BT /F1 9 Tf 40 750 Td (Date) Tj 80 0 Td (Description) Tj 200 0 Td (Amount) Tj ET",
    "cells": b"".join(
        b"BT /F1 9 Tf %d %d Td (%s) Tj ET " % (x, 700 - 14 * row, text)
        for row in range(20)
        for x, text in ((40, b"01/02/2024"), (120, b"SHOP %d" % row), (400, b"-%d.50" % row))
    ),
    "tj_kerning": b"BT /F2 11 Tf 50 700 Td [(W) 120 (o) -80 (r) 1500 (ds) -3000 (far)] TJ ET",
    "state_ops": b"BT /F1 10 Tf 2 Tc 5 Tw 80 Tz 3 Ts 14 TL 50 700 Td (spaced out) Tj T* (next line) Tj "
    b"1 2 (quoted) \" (apostrophe) ' 0 -20 TD (td) Tj T* (after TD) Tj ET",
    "tm_and_fonts": b"BT /F1 12 Tf 1 0 0 1 50 650 Tm (Helvetica) Tj /F3 12 Tf 1 0 0 1 200 650 Tm (Times) Tj "
    b"/F2 8 Tf 2 0 0 2 50 600 Tm (double) Tj ET",
    "nested_q": b"q 1 0 0 1 10 10 cm q 2 0 0 2 0 0 cm BT /F1 6 Tf 20 300 Td (inner) Tj ET Q "
    b"BT /F1 9 Tf 20 300 Td (outer) Tj ET Q BT /F1 9 Tf 20 100 Td (page) Tj ET",
    "rotated": b"q 0 1 -1 0 300 100 cm BT /F1 10 Tf 0 0 Td (rotated 90) Tj ET Q "
    b"BT /F1 10 Tf 50 500 Td (upright) Tj ET q -1 0 0 -1 500 400 cm BT /F1 10 Tf 0 0 Td (upside) Tj ET Q",
    "flipped": b"q 1 0 0 -1 0 792 cm BT /F1 10 Tf 1 0 0 -1 50 100 Tm (word flip) Tj ET Q",
    "bt_in_bt": b"BT /F1 9 Tf 50 700 Td (a) Tj BT 100 700 Td (b) Tj ET",
    "unbalanced": b"q BT /F1 9 Tf 50 700 Td (never closed) Tj",
    "unknown_font": b"BT /F9 9 Tf 50 700 Td (no such font) Tj ET",
    "no_font": b"BT 50 700 Td (no Tf at all) Tj ET",
    "zero_size": b"BT /F1 0 Tf 50 700 Td (zero) Tj /F1 9 Tf (nine) Tj 0 Tz (squashed) Tj ET",
    "marked": b"/P <</MCID 0>> BDC BT /F1 9 Tf 50 700 Td (marked \\(content\\)) Tj ET EMC",
    "hex_and_bytes": b"BT /F1 9 Tf 50 700 Td <416D6F756E74> Tj (caf\xe9 \x80 \x93) Tj ET",
    "overlapping": b"BT /F1 9 Tf 50 700 Td (left) Tj -45 0 Td (back) Tj 300 0 Td (far) Tj ET",
    "nan_matrix": b"BT /F1 9 Tf 50 700 Td (A) Tj q 1 0 0 (nan) 60 0 cm (B) Tj Q 300 0 Td (C) Tj ET",
    "string_numbers": b"BT /F1 9 Tf (50) (700) Td (A) Tj <696e66> 0 Td (B) Tj ET",
    "empty": b"",
    "graphics_only": b"0 0 1 RG 10 10 100 50 re S",
}


@needs_fast
@pytest.mark.parametrize("name", sorted(STREAM_PAGES))
def test_hand_written_pages_read_as_pypdf_reads_them(name):
    data = page_with_stream(STREAM_PAGES[name])
    assert_pages_agree(data)


@needs_fast
def test_a_page_with_an_inline_image_goes_through_pypdf():
    data = page_with_stream(
        b"BT /F1 9 Tf 50 700 Td (before) Tj ET BI /W 1 /H 1 /BPC 8 /CS /G ID \x00 EI "
        b"BT /F1 9 Tf 50 680 Td (after) Tj ET"
    )
    ours, theirs = _readers(data)
    with pytest.raises(pdftext._Unsupported):
        pdftext._fast_layout_text(ours.pages[0])
    assert pdftext.layout_text(ours.pages[0]) == theirs.pages[0].extract_text(extraction_mode="layout")
    assert "before" in pdftext.layout_text(ours.pages[0])


def test_layout_text_raises_what_pypdf_raises():
    # No Tf before the text: pypdf's layout mode refuses the page; the importer then falls
    # back to plain mode (formats/pdf.py), so the same error must reach it.
    ours, theirs = _readers(page_with_stream(b"BT 50 700 Td (no font) Tj ET"))
    assert _outcome(lambda: pdftext.layout_text(ours.pages[0])) == _outcome(
        lambda: theirs.pages[0].extract_text(extraction_mode="layout")
    ) == ("raised", "PdfReadError")


_NUM = st.sampled_from(["0", "1", "-1", "2.5", "-3.25", "12", "100", "0.001", "-0.0", "750", "36"])
# Operands pypdf's text state turns into floats with float(): strings too, NaN and infinity included.
_ODD_NUM = st.one_of(_NUM, st.sampled_from(["(nan)", "(inf)", "(-inf)", "(1e3)", "/N", "<31>"]))
_TEXT = st.text(st.sampled_from(list("Aaz09 .,-()\\") + ["\xe9", "\x80"]), max_size=12).map(
    lambda t: b"(" + t.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1") + b")"
)
_TEXT_OP = st.one_of(
    st.tuples(st.sampled_from(["/F1", "/F2", "/F3", "/F9"]), _NUM).map(lambda a: f"{a[0]} {a[1]} Tf".encode()),
    st.tuples(_ODD_NUM, _NUM).map(lambda a: f"{a[0]} {a[1]} Td".encode()),
    st.tuples(_NUM, _NUM).map(lambda a: f"{a[0]} {a[1]} TD".encode()),
    st.tuples(st.sampled_from(["1 0 0 1", "0 1 -1 0", "-1 0 0 -1", "1 0 0 -1", "2 0 0 2", "0.5 0 0.2 1"]),
              _ODD_NUM, _NUM).map(lambda a: f"{a[0]} {a[1]} {a[2]} Tm".encode()),
    st.tuples(st.sampled_from(["Tc", "Tw", "Tz", "TL", "Ts"]), _ODD_NUM).map(lambda a: f"{a[1]} {a[0]}".encode()),
    st.just(b"T*"),
    _TEXT.map(lambda t: t + b" Tj"),
    _TEXT.map(lambda t: t + b" '"),
    st.tuples(_NUM, _NUM, _TEXT).map(lambda a: f"{a[0]} {a[1]} ".encode() + a[2] + b' "'),
    st.lists(st.one_of(_TEXT, _NUM.map(str.encode)), max_size=6).map(lambda xs: b"[" + b" ".join(xs) + b"] TJ"),
)
_BLOCK = st.tuples(
    st.sampled_from([None, "1 0 0 1 20 30", "0 1 -1 0 400 50", "1 0 0 -1 0 792", "0.8 0 0 0.8 10 10",
                     "1 0 0 (nan) 60 0"]),
    st.tuples(st.sampled_from(["/F1", "/F2", "/F3"]), st.sampled_from(["9", "11", "6.5"]), _NUM, _NUM),
    st.lists(_TEXT_OP, max_size=10),
    st.booleans(),
).map(lambda b: (
    (f"q {b[0]} cm ".encode() if b[0] else b"")
    + f"BT {b[1][0]} {b[1][1]} Tf {abs(float(b[1][2])) * 5 + 20} {abs(float(b[1][3])) * 7 + 40} Td ".encode()
    + b" ".join(b[2])
    + (b" ET" if b[3] else b" ET ET")
    + (b" Q" if b[0] else b"")
))


@needs_fast
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_BLOCK, min_size=1, max_size=6))
def test_generated_pages_read_as_pypdf_reads_them(blocks):
    data = page_with_stream(b"\n".join(blocks))
    ours, theirs = _readers(data)
    expected = _outcome(lambda: theirs.pages[0].extract_text(extraction_mode="layout"))
    got = _outcome(lambda: pdftext._fast_layout_text(ours.pages[0]))
    assert got == expected


# -- statements and other real PDFs ---------------------------------------------


@needs_fast
@pytest.mark.parametrize("layout", ["debit_credit", "signed", "crdr", "parens", "card"])
@pytest.mark.parametrize("date_style", ["dmy", "mdy", "dm", "d_mon_y", "mon_d", "iso"])
def test_factory_statements_read_as_pypdf_reads_them(layout, date_style):
    rows = make_rows(120)
    data = build_statement(rows, layout=layout, date_style=date_style, card=layout == "card")
    assert assert_pages_agree(data) >= 2


@needs_fast
@pytest.mark.parametrize("algorithm", ["RC4-40", "AES-128", "AES-256"])
def test_encrypted_statement_reads_as_pypdf_reads_it(algorithm):
    data = encrypt_pdf(build_statement(make_rows(60)), "s3cret", algorithm=algorithm)
    assert assert_pages_agree(data, "s3cret") >= 1


def _fpdf_page(draw) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    draw(pdf)
    return bytes(pdf.output())


@needs_fast
@pytest.mark.parametrize(
    "draw",
    [
        lambda pdf: [pdf.cell(40, 6, f"cell {i}", border=1) for i in range(12)],
        lambda pdf: (pdf.set_char_spacing(3), pdf.cell(0, 8, "Spaced statement text")),
        lambda pdf: (pdf.set_stretching(70), pdf.cell(0, 8, "Condensed 1,234.56")),
        lambda pdf: [pdf.multi_cell(80, 5, "A long description that wraps over several lines " * 3)],
        lambda pdf: (pdf.cell(50, 8, "x"), pdf.set_font("Times", "B", 14), pdf.cell(50, 8, "bold"),
                     pdf.set_font("Courier", size=7), pdf.cell(50, 8, "mono 0.00")),
        lambda pdf: [pdf.text(20 + 15 * i, 40 + 9 * i, f"diagonal {i}") for i in range(10)],
        lambda pdf: pdf.write(6, "Caf\xe9 cr\xe8me \xa3 12,50 \xb1 total \xbd"),
    ],
    ids=["cells", "char_spacing", "stretching", "multi_cell", "fonts", "positioned", "latin"],
)
def test_fpdf_pages_read_as_pypdf_reads_them(draw):
    assert_pages_agree(_fpdf_page(draw))


@needs_fast
def test_rotated_fpdf_text_reads_as_pypdf_reads_it():
    def draw(pdf):
        pdf.text(30, 30, "upright")
        for angle in (90, 180, 270, 30):
            with pdf.rotation(angle, x=100, y=100):
                pdf.text(100, 100, f"turned {angle}")

    assert_pages_agree(_fpdf_page(draw))


@needs_fast
def test_embedded_truetype_font_reads_as_pypdf_reads_it():
    if not DEJAVU.exists():
        pytest.skip(f"{DEJAVU} is not installed (Debian's fonts-dejavu-core); the corpus covers Type0 fonts too")
    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("DejaVu", fname=str(DEJAVU))
    pdf.set_font("DejaVu", size=10)
    for i in range(30):
        pdf.cell(30, 5, f"0{i % 9 + 1}.03.2025")
        pdf.cell(90, 5, f"Zahlung \u00fcber {i} \u20ac \u2014 \u0141\u00f3d\u017a")
        pdf.cell(30, 5, f"-{i},{i:02d}", align="R", new_x="LMARGIN", new_y="NEXT")
    assert_pages_agree(bytes(pdf.output()))


@needs_fast
def test_text_pdf_reads_as_pypdf_reads_it():
    assert assert_pages_agree(text_pdf("Statement", "01/01/2024  Coffee  -3.50", pages=3)) == 3


# -- the corpus ------------------------------------------------------------------

_PASSWORDS = {name: password for name, password, _ in NEED_PASSWORD} | {"monopoly__protected.pdf": "foobar123"}


def _corpus_pdfs() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(str(p.relative_to(CORPUS)) for p in (*CORPUS.glob("pdf/*.pdf"), *CORPUS.glob("pdf_encrypted/*.pdf")))


@pytest.mark.corpus
@needs_fast
@pytest.mark.parametrize("relative", _corpus_pdfs() or ["(corpus missing)"])
def test_corpus_pdfs_read_as_pypdf_reads_them(relative, corpus):
    path = corpus / relative
    data = path.read_bytes()
    password = _PASSWORDS.get(path.name)
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(password or ""):
        pytest.skip(f"{path.name}: its password is not among the tests' known passwords")
    assert assert_pages_agree(data, password) >= 1
