# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The encodings of contact files, told or guessed.

A file is decoded in this order:
- a BOM (UTF-8, UTF-16, UTF-32) decides;
- UTF-16 without BOM is told by its NUL bytes: every other byte of Latin
  text is NUL, on the even bytes for big-endian, odd for little-endian;
- UTF-8 when the bytes are valid UTF-8 (other encodings' non-ASCII bytes
  almost never are);
- else charset-normalizer guesses among the code pages that address books
  and Outlook really write (Western, Central European and Cyrillic
  Windows code pages, Japanese, Chinese): it weighs how plausible the
  decoded text is in each language, which a try-order cannot do, as
  Windows-1250 and Windows-1252 decode any byte. Windows-1252 wins a tie,
  as most exports without BOM are Western Outlook's.
"""
import codecs

from .errors import ExchangeError

# The encodings guessed among, most likely first.
CANDIDATES = ['cp1252', 'cp1250', 'cp1251', 'cp1253', 'cp1254', 'cp1257',
    'iso8859_2', 'cp932', 'euc_jp', 'gb18030', 'big5']
# Names that phones and mail clients write in CHARSET and what Python
# decodes them with: the Windows supersets, as those are what they write.
ALIASES = {
    'shift_jis': 'cp932', 'shift-jis': 'cp932', 'sjis': 'cp932',
    'x-sjis': 'cp932', 'ms_kanji': 'cp932', 'windows-31j': 'cp932',
    'gb2312': 'gb18030', 'gbk': 'gb18030', 'euc-cn': 'gb18030',
    'x-gbk': 'gb18030', 'big5': 'big5hkscs', 'big-5': 'big5hkscs',
    'iso-8859-1': 'cp1252', 'latin1': 'cp1252', 'us-ascii': 'cp1252',
    'ascii': 'cp1252', 'iso-8859-2': 'iso8859_2',
    'utf8': 'utf-8', 'x-euc-jp': 'euc_jp',
    }


def codec(name):
    "The Python codec of a CHARSET name, None if unknown"
    name = (name or '').strip().strip('"').lower()
    if not name:
        return None
    name = ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def utf16_without_bom(data):
    "'utf-16-le', 'utf-16-be' or None from the NUL bytes of the head"
    head = data[:2048]
    if len(head) < 4 or len(head) % 2:
        head = head[:len(head) // 2 * 2]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if even.count(0) > len(even) * 0.7 and not odd.count(0):
        return 'utf-16-be'
    if odd.count(0) > len(odd) * 0.7 and not even.count(0):
        return 'utf-16-le'
    return None


def unicode_encoding(data):
    """The encoding of a UTF-16 or UTF-32 file (with its BOM), None when
    the file is ASCII-compatible"""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return 'utf-32'
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return 'utf-16'
    return utf16_without_bom(data)


def check_text(data):
    "Raise not_text for binary data"
    head = data[:4096]
    controls = sum(1 for b in head if b < 32 and b not in b'\t\r\n\x0c\x1a')
    if b'\x00' in head or controls > len(head) // 100 + 2:
        raise ExchangeError('not_text')


def guess(data):
    "The encoding of bytes that are not UTF-8"
    from charset_normalizer import from_bytes
    matches = list(from_bytes(data, cp_isolation=CANDIDATES))
    if not matches:
        return 'cp1252'
    best = min(m.chaos for m in matches)
    tied = [m for m in matches if m.chaos <= best]
    # Each match also names the encodings that decode the same text.
    if any('cp1252' in m.could_be_from_charset for m in tied):
        return 'cp1252'
    return tied[0].encoding


def decode(data):
    "The text of a whole file"
    if isinstance(data, str):
        return data.lstrip('\ufeff')
    encoding = unicode_encoding(data)
    if encoding:
        try:
            return data.decode(encoding).lstrip('\ufeff')
        except UnicodeDecodeError:
            raise ExchangeError('not_text')
    check_text(data)
    try:
        return data.decode('utf-8-sig')
    except UnicodeDecodeError:
        pass
    try:
        return data.decode(guess(data))
    except UnicodeDecodeError:
        raise ExchangeError('not_text')
