"""A page's layout-mode text, read several times faster than pypdf reads it.

``page.extract_text(extraction_mode="layout")`` is most of a PDF import's
time. pypdf spends it in two places: tokenising the content stream one byte
at a time, and building a ``TextStateParams`` object per shown string, which
decodes and measures the string a character at a time through generator
expressions. This module does both with the same results, faster:

* :func:`_operations` tokenises the stream with regular expressions into the
  very objects pypdf's tokeniser builds (``NumberObject``, ``FloatObject``,
  ``NameObject``, ``ByteStringObject``, ``ArrayObject``; operators as bytes);
* :func:`_text_show_operations` walks the operators as pypdf's layout engine
  does (pypdf's own ``TextStateManager`` keeps the graphics and text state),
  but works out each shown string's position, width and text with per-font
  tables (:class:`_FontTables`), in the same floating-point order;
* pypdf's own ``y_coordinate_groups``, ``fixed_char_width`` and
  ``fixed_width_page`` lay the lines out.

So the text is pypdf's; ``tests/test_pdf_layout_text.py`` checks that it is
equal, page for page, on every fixture and corpus PDF. Whatever is not on the
common road is pypdf's to handle:

* a token not reproduced byte for byte here (a dictionary, a string with
  escapes or nested brackets, a name with ``#`` escapes, a hex string with
  spaces, ``true``/``false``/``null`` in an array) is read by pypdf's own
  ``read_object`` at that offset;
* a page with an inline image, an indirect-reference pattern, an overlong
  token, more tokens than pypdf's parsing budget, a font whose tables are
  unusual, or any error at all is extracted by ``extract_text`` itself,
  which then raises or recovers exactly as it always did;
* both halves mirror the pypdf releases in :data:`TESTED_PYPDF` (its
  tokeniser and its layout engine are private and may change); with any
  other release, or if the private pieces used here are not there,
  :data:`FAST` is False and every page goes through ``extract_text``.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any

__all__ = ["TESTED_PYPDF", "layout_text"]  # and FAST, worked out on first use (__getattr__)

#: pypdf releases this module was checked against (its private tokeniser and layout engine).
TESTED_PYPDF = ("7.1.",)


class _Unsupported(Exception):
    """This page needs pypdf's own parser or engine."""


def _pypdf_parts() -> dict[str, Any] | None:
    """The pypdf pieces this module uses, or None if this pypdf is not a tested release or lacks one."""
    try:
        import pypdf
        from pypdf import PageObject
        from pypdf._text_extraction import LAYOUT_NEW_BT_GROUP_SPACE_WIDTHS, _layout_mode, mult, orient
        from pypdf._text_extraction._layout_mode import _fixed_width_page
        from pypdf._text_extraction._layout_mode._text_state_manager import TextStateManager
        from pypdf._utils import logger_warning
        from pypdf.errors import PdfReadError
        from pypdf.generic import (
            ArrayObject,
            ByteStringObject,
            ContentStream,
            FloatObject,
            NameObject,
            NumberObject,
            StreamObject,
        )
        from pypdf.generic._data_structures import IndirectPattern, read_object
        from pypdf.generic._font import Font
        from pypdf.generic._utils import StreamParsingBudget
    except ImportError:
        return None
    if not pypdf.__version__.startswith(TESTED_PYPDF):
        return None
    layout = ("y_coordinate_groups", "fixed_char_width", "fixed_width_page")
    if not all(hasattr(_layout_mode, name) for name in layout):
        return None
    if not all(hasattr(_fixed_width_page, name) for name in ("set_font_operation", "WHITESPACE_LIMIT")):
        return None
    if not callable(getattr(PageObject, "_layout_mode_fonts", None)):
        return None
    return {
        "layout_mode": _layout_mode,
        "ArrayObject": ArrayObject,
        "ByteStringObject": ByteStringObject,
        "ContentStream": ContentStream,
        "FloatObject": FloatObject,
        "NameObject": NameObject,
        "NumberObject": NumberObject,
        "StreamObject": StreamObject,
        "IndirectPattern": IndirectPattern,
        "read_object": read_object,
        "Font": Font,
        "StreamParsingBudget": StreamParsingBudget,
        "PdfReadError": PdfReadError,
        "TextStateManager": TextStateManager,
        "set_font_operation": _fixed_width_page.set_font_operation,
        "mult": mult,
        "orient": orient,
        "logger_warning": logger_warning,
        "NEW_GROUP_SPACES": LAYOUT_NEW_BT_GROUP_SPACE_WIDTHS,
        "WHITESPACE_LIMIT": _fixed_width_page.WHITESPACE_LIMIT,
        "WARN_SOURCE": _fixed_width_page.__name__,
    }


_E: dict[str, Any] | None = None
_LOADED = False
_NUMBERS: tuple[type, ...] = ()  # pypdf's number classes, once loaded (a Td's fast path)


def _load() -> bool:
    """Look pypdf's pieces up on first use: importing this module does not import pypdf
    (the package imports it only when a PDF is read). True when the fast path is on."""
    global _E, _LOADED, _NUMBERS, _layout_mode, ArrayObject, ByteStringObject, ContentStream, FloatObject
    global NameObject, NumberObject, StreamObject, _INDIRECT, read_object
    if not _LOADED:
        _E = _pypdf_parts()
        if _E is not None:
            _layout_mode = _E["layout_mode"]
            ArrayObject = _E["ArrayObject"]
            ByteStringObject = _E["ByteStringObject"]
            ContentStream = _E["ContentStream"]
            FloatObject = _E["FloatObject"]
            NameObject = _E["NameObject"]
            NumberObject = _E["NumberObject"]
            StreamObject = _E["StreamObject"]
            _INDIRECT = _E["IndirectPattern"]
            read_object = _E["read_object"]
            _NUMBERS = (NumberObject, FloatObject)
        _LOADED = True
    return _E is not None


def __getattr__(name: str) -> Any:
    #: FAST: True when pages are read here; False when every page goes through pypdf's extract_text.
    if name == "FAST":
        return _load()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _budget() -> tuple[int, int]:
    """pypdf's limits on tokens per stream and items per array (its defaults if it has no setting)."""
    try:
        from pypdf._configuration import get_configuration

        config = get_configuration()
        return config.stream_parsing_work_maximum_count, config.array_maximum_element_count
    except (ImportError, AttributeError):
        return 2_000_000, 100_000


# pypdf ends operators and names at ``\s`` (which includes \x0b but not \x00) or a delimiter,
# and skips \x00 \t \n \x0c \r and space between top-level tokens.
_END = rb"\t\n\x0b\x0c\r ()<>\[\]{}/%"
_TOKEN = (
    rb"(?:(?P<num>[+\-.0-9][+,\-.0-9]*)"  # pypdf's number run: [+,-.0-9] (its class is a range)
    rb"|(?P<op>[A-Za-z'\"][^" + _END + rb"]*)"
    rb"|\((?P<str>[^()\\]*)\)"  # a literal string without escapes or nested brackets
    rb"|(?P<name>/[^#" + _END + rb"]*)(?![^" + _END + rb"])"  # a name with # escapes is pypdf's
    rb"|<(?P<hex>[0-9A-Fa-f]*)>"
    rb"|(?P<arr>\[)"
    rb"|(?P<close>\])"
    rb"|(?P<comment>%[^\r\n]*)"
    rb"|(?P<eof>\Z)"
    rb"|(?P<other>.))"
)
# Tokens are read with one finditer over the stream. pypdf's arrays also skip \x0b, its top
# level does not (it fails there): _operations checks for that case itself.
_TOKENS = re.compile(rb"[\x00\t\n\x0b\x0c\r ]*" + _TOKEN, re.S)
_NUM, _OP, _STR, _NAME, _HEX, _ARR, _CLOSE, _COMMENT, _EOF = range(1, 10)


def _operations(data: bytes) -> list[tuple[Any, bytes]]:
    """Tokenise a decoded content stream as pypdf's ContentStream.operations would."""
    if not _load():
        raise _Unsupported
    # pypdf reads "1 0 R" as a reference where a number starts (a 20-byte peek); so do we.
    # Not one search over the stream: on a long run of digits that search is quadratic.
    references = b"R" in data
    vertical_tab = b"\x0b" in data
    max_tokens, max_items = _budget()
    ops: list[tuple[Any, bytes]] = []
    operands: list[Any] = []
    target = operands  # where the next operand goes: the operands, or the innermost open array
    arrays: list[list[Any]] = []  # the enclosing lists of the open arrays
    pypdf_reads = _PypdfReads(data)
    tokens = 0
    pos = 0
    while True:
        for m in _TOKENS.finditer(data, pos):  # restarted only after pypdf has read a token
            kind = m.lastindex
            tokens += 1
            if vertical_tab and not arrays and b"\x0b" in data[m.start() : m.start(kind)]:
                raise _Unsupported  # pypdf stops at a top-level \x0b, and fails
            if kind == _NUM:
                token = m.group(kind)
                if len(token) >= 20:  # pypdf peeks 20 bytes and reads longer numbers another way
                    raise _Unsupported
                if references and _INDIRECT.match(data, m.start(kind), m.start(kind) + 20):
                    raise _Unsupported
                target.append(FloatObject(token) if b"." in token else NumberObject(token))
            elif kind == _OP and not arrays:
                op = m.group(kind)
                # pypdf reads an operator in chunks of 16, 32, 64 bytes and fails once 128 could be passed
                if op == b"BI" or len(op) >= 112 or (op[:1] == b"R" and op != b"RG"):
                    raise _Unsupported  # inline image (its own syntax), past pypdf's limit, or a reference
                ops.append((operands, op))
                operands = target = []
            elif kind == _STR:
                target.append(ByteStringObject(m.group(kind)))
            elif kind == _NAME:
                if m.end(kind) - m.start(kind) > 4080:  # pypdf's chunks of 16..2048 bytes reach its 4,096 limit
                    raise _Unsupported
                try:
                    target.append(NameObject(m.group(kind).decode("utf-8")))
                except UnicodeDecodeError:
                    raise _Unsupported from None
            elif kind == _ARR:
                arrays.append(target)
                target = []
            elif kind == _CLOSE and arrays:
                if len(target) > max_items:
                    raise _Unsupported
                array = ArrayObject(target)
                target = arrays.pop()
                target.append(array)
            elif kind == _HEX:
                digits = m.group(kind)
                if len(digits) % 2:
                    digits += b"0"
                target.append(ByteStringObject(bytes.fromhex(digits.decode("ascii"))))
            elif kind == _COMMENT:
                tokens -= 1
            elif kind == _EOF:
                if arrays:  # pypdf keeps an unclosed array; leave that to it
                    raise _Unsupported
                return ops
            else:  # a dictionary, an escaped string, true/false/null, a stray bracket: pypdf reads it (or raises)
                obj, pos, used = pypdf_reads(m.start(kind), max_tokens - tokens)
                tokens += used  # pypdf charges a dictionary's entries to the stream's budget
                target.append(obj)
                break
            if tokens > max_tokens:
                raise _Unsupported
        else:  # pragma: no cover - the pattern always ends with an EOF match
            return ops


class _PypdfReads:
    """pypdf's ``read_object`` at an offset of the stream (forced "bytes" encoding, as its ContentStream)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.stream: io.BytesIO | None = None

    def __call__(self, offset: int, remaining: int) -> tuple[Any, int, int]:
        """The object at ``offset``, where the next token starts, and the budget it used."""
        if self.stream is None:
            self.stream = io.BytesIO(self.data)
        self.stream.seek(offset)
        budget = _E["StreamParsingBudget"](remaining_budget=remaining)
        obj = read_object(self.stream, None, "bytes", parsing_budget=budget)
        return obj, self.stream.tell(), remaining - budget.remaining_budget


def layout_text(page: Any) -> str:
    """``page.extract_text(extraction_mode="layout")``, computed faster (see the module docstring).

    Same text, same errors: a page this path cannot reproduce exactly goes
    through ``extract_text`` itself.
    """
    if not _load():
        return page.extract_text(extraction_mode="layout")
    try:
        return _fast_layout_text(page)
    except Exception:  # unsupported syntax or a broken page: pypdf decides what happens
        return page.extract_text(extraction_mode="layout")


def _fast_layout_text(page: Any) -> str:
    # What PageObject._layout_mode_text does with pypdf's default layout settings.
    if not _load():
        raise _Unsupported
    fonts = page._layout_mode_fonts()
    contents = page.get("/Contents")
    if contents is not None:
        contents = contents.get_object()
    if not isinstance(contents, (ArrayObject, StreamObject)):
        return ""
    ops = iter(_operations(ContentStream(contents, page.pdf, "bytes").get_data()))
    bt_groups = _text_show_operations(ops, fonts)
    if not bt_groups:
        return ""
    ty_groups = _layout_mode.y_coordinate_groups(bt_groups, None)
    char_width = _layout_mode.fixed_char_width(bt_groups, 1.25)
    return _layout_mode.fixed_width_page(ty_groups, char_width, True, 1)


# -- the layout engine, with each shown string measured by table ------------------
#
# The walk below is pypdf's text_show_operations / recurse_to_target_op (releases in
# TESTED_PYPDF) with strip_rotated=True; pypdf's TextStateManager keeps the state.
# Only TextStateParams is replaced, by _Shown; its arithmetic keeps pypdf's order, so
# the floats (and so the rounding into columns) come out identical.


def _warn(message: str, **params: Any) -> None:
    _E["logger_warning"](message, source=_E["WARN_SOURCE"], **params)


class _FontTables:
    """One font's lookups: byte -> text, character map, widths, and space widths by text state."""

    __slots__ = ("byte_text", "cmap", "codec", "default_width", "font", "space_char", "space_tx", "space_width",
                 "widths")

    def __init__(self, font: Any) -> None:
        self.font = font  # held, so the id() this is filed under stays this font's
        encoding = font.encoding
        self.codec: str | None = None
        self.byte_text: list[str] | None = None
        if isinstance(encoding, str):
            self.codec = encoding
        elif isinstance(encoding, dict):
            self.byte_text = [encoding.get(code, chr(code)) for code in range(256)]
            if not all(isinstance(text, str) for text in self.byte_text):
                raise _Unsupported
        else:
            raise _Unsupported
        # pypdf maps each character with character_map.get(char, char): only one-character
        # string keys can ever match, and str.translate does the same lookup in C.
        self.cmap: dict[int, str] = {}
        for key, value in font.character_map.items():
            if isinstance(key, str) and len(key) == 1:
                if not isinstance(value, str):
                    raise _Unsupported
                self.cmap[ord(key)] = value
        self.widths = font.character_widths
        self.default_width = font.character_widths["default"]
        self.space_char = font.space_char
        self.space_width = font.space_width
        self.space_tx: dict[tuple[Any, ...], float] = {}

    def word_tx(self, chars: str, size: Any, tc: Any, tw: Any, tz: Any, td_offset: Any = 0.0) -> float:
        """TextStateParams.word_tx: the horizontal displacement of ``chars``."""
        width = 0.0
        space_char, space_width = self.space_char, self.space_width
        get, default = self.widths.get, self.default_width
        for char in chars:
            width += space_width if char == space_char else get(char, default)
        return (
            (size * ((width - td_offset) / 1000.0)) + len(chars) * tc + chars.count(space_char) * tw
        ) * (tz / 100.0)

    def space(self, size: Any, tc: Any, tw: Any, tz: Any) -> float:
        """TextStateParams.space_tx, which depends only on the font and the text state."""
        key = (size, tc, tw, tz)
        found = self.space_tx.get(key)
        if found is None:
            found = round(self.word_tx(self.space_char, size, tc, tw, tz), 3)
            if found < 1e-6:  # a zero-width space: pypdf measures the font's space width instead
                found = round(self.word_tx("", size, tc, tw, tz, -self.space_width), 3)
            self.space_tx[key] = found
        return found


class _Shown:
    """What pypdf's TextStateParams works out for one shown string (the fields the layout reads)."""

    __slots__ = ("chars", "displaced_tx", "flip_vertical", "font", "font_height", "font_size", "rotated",
                 "space_tx", "tables", "tc", "text", "transform", "tw", "tx", "ty", "tz")

    def __init__(self, tables: _FontTables, value: Any, mgr: Any) -> None:
        self.tables = tables
        self.font = tables.font
        size, tc, tw, tz = self.font_size, self.tc, self.tw, self.tz = mgr.font_size, mgr.Tc, mgr.Tw, mgr.Tz
        if isinstance(value, bytes):
            if tables.codec is not None:
                try:  # 2-byte UTF-16-BE units; odd bytes or unmapped codes are replaced
                    chars = value.decode(tables.codec, "surrogatepass")
                except UnicodeDecodeError:
                    chars = value.decode(tables.codec, "replace")
                decoded = ""
            else:
                chars = value.decode("latin-1")  # chr() of each byte
                decoded = "".join([tables.byte_text[code] for code in value])
            self.text = (decoded or chars).translate(tables.cmap)
        else:  # a str operand is shown as it is, and measured as it is
            chars = self.text = value
        self.chars = chars
        t = mgr.effective_transform
        self.rotated = False
        orient, mult = _E["orient"], _E["mult"]
        if not t[3] > 1e-6:  # not upright (or NaN, which pypdf's orient() calls 270): its rotation handling
            if orient(t) in (90, 270):
                t = mult([1.0, -t[1], -t[2], 1.0, 0.0, 0.0], t)
                self.rotated = True
            if orient(t) == 180 and t[0] < -1e-6:
                t = mult([-1.0, 0.0, 0.0, -1.0, 0.0, 0.0], t)
                self.rotated = True
        self.transform = t
        # mult(displacement matrix, t)[4] and mult(font size matrix, t)[5], term by term
        self.displaced_tx = tables.word_tx(chars, size, tc, tw, tz) * t[0] + 0.0 * t[2] + t[4]
        self.tx = t[4]
        self.ty = 0.0 * t[1] + mgr.Ts * t[3] + t[5]
        self.space_tx = tables.space(size, tc, tw, tz)
        self.font_height = size * math.sqrt(t[1] ** 2 + t[3] ** 2)
        self.flip_vertical = t[3] < -1e-6

    def displacement(self, td_offset: Any) -> list[float]:
        """TextStateParams.displacement_matrix(td_offset=...): a TJ array's number after this string."""
        return [1.0, 0.0, 0.0, 1.0, self.tables.word_tx(self.chars, self.font_size, self.tc, self.tw, self.tz,
                                                        td_offset), 0.0]


def _show(mgr: Any, value: Any, tables: dict[int, _FontTables]) -> _Shown:
    font = mgr.font
    if not isinstance(font, _E["Font"]):
        raise _E["PdfReadError"]("font not set: is PDF missing a Tf operator?")
    found = tables.get(id(font))
    if found is None or found.font is not font:
        found = tables[id(font)] = _FontTables(font)
    return _Shown(found, value, mgr)


def _show_operand(mgr: Any, operands: list[Any], index: int, tables: dict[int, _FontTables],
                  shown: list[_Shown]) -> None:
    """Tj, ' and ": show the operand at ``index`` if there is one and it is a string (else nothing)."""
    if index < len(operands) and isinstance(operands[index], (str, bytes)):
        shown.append(_show(mgr, operands[index], tables))


def _bt_group(first: _Shown, text: str, displaced_tx: float) -> dict[str, Any]:
    return {
        "tx": first.tx,
        "ty": first.ty,
        "font_size": first.font_size,
        "font_height": first.font_height,
        "text": text,
        "displaced_tx": displaced_tx,
        "flip_sort": -1 if first.flip_vertical else 1,
    }


def _text_show_operations(ops: Any, fonts: dict[str, Any]) -> list[dict[str, Any]]:
    mgr = _E["TextStateManager"]()
    tables: dict[int, _FontTables] = {}
    bt_groups: list[dict[str, Any]] = []
    shown: list[_Shown] = []
    for operands, op in ops:
        if op == b"BT" or op == b"q":
            groups, strings = _until(ops, mgr, b"ET" if op == b"BT" else b"Q", fonts, tables)
            bt_groups.extend(groups)
            shown.extend(strings)
        elif op == b"Tf":
            _E["set_font_operation"](mgr, fonts, operands)
        else:
            mgr.set_state_param(op, operands)
    if any(s.rotated for s in shown):
        _warn("Rotated text discovered. Output will be incomplete.")
    if not all(s.font.interpretable for s in shown):
        _warn("PDF contains an uninterpretable font. Output will be incomplete.")
    min_x = min((g["tx"] for g in bt_groups), default=0.0)
    return [
        dict(g, tx=g["tx"] - min_x, displaced_tx=g["displaced_tx"] - min_x)
        for g in sorted(bt_groups, key=lambda g: (g["ty"] * g["flip_sort"], -g["tx"]), reverse=True)
    ]


def _until(
    ops: Any, mgr: Any, end: bytes, fonts: dict[str, Any], tables: dict[int, _FontTables]
) -> tuple[list[dict[str, Any]], list[_Shown]]:
    """recurse_to_target_op: the operators up to ``end`` (ET or Q), their lines and shown strings."""
    bt_groups: list[dict[str, Any]] = []
    shown: list[_Shown] = []
    if end == b"Q":
        mgr.add_q()
    for operands, op in ops:
        if op == end:
            if op == b"Q":
                mgr.remove_q()
            else:
                if not shown:
                    return bt_groups, shown
                _lines(shown, bt_groups)
                mgr.reset_tm()
            break
        if op == b"q" or (op == b"BT" and end == b"Q"):
            groups, strings = _until(ops, mgr, b"ET" if op == b"BT" else b"Q", fonts, tables)
            bt_groups.extend(groups)
            shown.extend(strings)
        elif op == b"cm":
            mgr.add_cm(*operands)
        elif op == b"BT":  # BT inside BT only resets the text matrix
            mgr.reset_tm()
        elif op == b"Tj":
            _show_operand(mgr, operands, 0, tables, shown)
        elif op == b"TJ":
            if operands and isinstance(operands[0], ArrayObject):
                last = _show(mgr, "", tables)
                for item in operands[0]:
                    if isinstance(item, bytes):
                        last = _show(mgr, item, tables)
                        shown.append(last)
                    elif isinstance(item, (int, float)):
                        mgr.add_trm(last.displacement(item))
        elif op == b"'":
            mgr.reset_trm()
            mgr.add_tm([0, -mgr.TL])
            _show_operand(mgr, operands, 0, tables, shown)
        elif op == b'"' and len(operands) >= 3:
            mgr.reset_trm()
            mgr.set_state_param(b"Tw", operands[0])
            mgr.set_state_param(b"Tc", operands[1])
            mgr.add_tm([0, -mgr.TL])
            _show_operand(mgr, operands, 2, tables, shown)
        elif op == b"Td" and len(operands) == 2 and type(operands[0]) in _NUMBERS and type(operands[1]) in _NUMBERS:
            mgr.reset_trm()
            _move_text(mgr, float(operands[0]), float(operands[1]))
        elif op in (b"Td", b"Tm", b"TD", b"T*"):
            mgr.reset_trm()
            if op == b"Tm":
                mgr.reset_tm()
            elif op == b"TD" and len(operands) >= 2 and isinstance(operands[1], (int, float)):
                mgr.set_state_param(b"TL", -operands[1])
            elif op == b"T*":
                operands = [0, -mgr.TL]
            mgr.add_tm(operands)
        elif op == b"Tf":
            _E["set_font_operation"](mgr, fonts, operands)
        else:  # Tc, Tw, Tz, TL, Ts; the manager ignores every other operator
            mgr.set_state_param(op, operands)
    else:
        _warn("Unbalanced target operations, expected %(end_target)r.", end_target=end)
    return bt_groups, shown


def _move_text(mgr: Any, x: float, y: float) -> None:
    """``mgr.add_tm([x, y])`` (a Td), without building and converting the matrix twice.

    The manager keeps matrices as dicts {0..5, "is_text", "is_render"} in a ChainMap; a
    move right after another text matrix is folded into it (mult([1, 0, 0, 1, x, y], top)).
    """
    stack = mgr.transform_stack
    top = stack.maps[0]
    if top["is_text"] and not top["is_render"]:
        n0, n1, n2, n3, n4, n5 = top[0], top[1], top[2], top[3], top[4], top[5]
        stack.maps[0] = {
            0: 1.0 * n0 + 0.0 * n2,
            1: 1.0 * n1 + 0.0 * n3,
            2: 0.0 * n0 + 1.0 * n2,
            3: 0.0 * n1 + 1.0 * n3,
            4: x * n0 + y * n2 + n4,
            5: x * n1 + y * n3 + n5,
            "is_text": True,
            "is_render": False,
        }
    else:
        mgr.transform_stack = stack.new_child(
            {0: 1.0, 1: 0.0, 2: 0.0, 3: 1.0, 4: x, 5: y, "is_text": True, "is_render": False}
        )


def _lines(shown: list[_Shown], bt_groups: list[dict[str, Any]]) -> None:
    """At ET: join the shown strings into lines, spacing them by their gaps (pypdf's rules)."""
    new_group_spaces, limit = _E["NEW_GROUP_SPACES"], _E["WHITESPACE_LIMIT"]
    text = ""
    first = 0
    last_displaced_tx = shown[0].displaced_tx
    last_ty = shown[0].ty
    for idx, s in enumerate(shown):
        if s.rotated or not s.font.interpretable:
            continue
        if abs(s.ty - last_ty) > s.font_height:  # a new line
            if text.strip():
                bt_groups.append(_bt_group(shown[first], text, last_displaced_tx))
            first = idx
            text = ""
        if last_displaced_tx - s.tx > s.space_tx * new_group_spaces:  # jumped back left
            if text.strip():
                bt_groups.append(_bt_group(shown[first], text, last_displaced_tx))
            first = idx
            last_displaced_tx = s.displaced_tx
            text = ""
        excess_tx = round(s.tx - last_displaced_tx, 3) * (idx != first)
        page_space_tx = s.space_tx * abs(s.transform[0])
        spaces = round(excess_tx / page_space_tx) if excess_tx > 0 and page_space_tx else 0
        if spaces > limit:
            _warn("Limiting excessive whitespace from %(actual)d to %(limit)d characters.", actual=spaces,
                  limit=limit)
            spaces = limit
        last_ty = s.ty
        text = f"{text}{' ' * spaces}{s.text}"
        last_displaced_tx = s.displaced_tx
    if text:
        bt_groups.append(_bt_group(shown[first], text, last_displaced_tx))
