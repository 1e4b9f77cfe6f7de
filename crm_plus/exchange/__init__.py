# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Contacts in and out of vCard, jCard, xCard and the CSV files of Outlook,
Google and Thunderbird.

Pure Python, without Tryton: `read` turns the bytes of a file into
`Contact` records, `write` turns them into the bytes of a file.
"""
from typing import List, NamedTuple

from . import charsets, csvformats, jcard, vcard, xcard
from .contact import Address, Contact, Email, Phone
from .errors import ExchangeError

__all__ = ['Address', 'Contact', 'Email', 'Phone', 'ExchangeError',
    'FORMATS', 'FORMAT_NAMES', 'Reading', 'decode', 'detect', 'read',
    'write']

# Format codes: the vCard versions are written differently, and read alike.
FORMATS = ('vcard3', 'vcard4', 'jcard', 'xcard', 'outlook', 'google',
    'thunderbird')
# The name of each format as the user chooses it.
FORMAT_NAMES = {
    'vcard3': "vCard 3.0",
    'vcard4': "vCard 4.0",
    'jcard': "jCard (JSON)",
    'xcard': "xCard (XML)",
    'outlook': "Outlook CSV",
    'google': "Google CSV",
    'thunderbird': "Thunderbird CSV",
    }
# Whether the number of a contact is a card or a line in each format.
LOCATIONS = {
    'vcard3': 'card', 'vcard4': 'card', 'jcard': 'card', 'xcard': 'card',
    'outlook': 'line', 'google': 'line', 'thunderbird': 'line'}
EXTENSIONS = {
    'vcard3': 'vcf', 'vcard4': 'vcf', 'jcard': 'json', 'xcard': 'xml',
    'outlook': 'csv', 'google': 'csv', 'thunderbird': 'csv'}
MIME_TYPES = {
    'vcard3': 'text/vcard', 'vcard4': 'text/vcard',
    'jcard': 'application/vcard+json', 'xcard': 'application/vcard+xml',
    'outlook': 'text/csv', 'google': 'text/csv', 'thunderbird': 'text/csv'}
VCARDS = {'vcard3', 'vcard4'}
CSVS = {'outlook', 'google', 'thunderbird'}


def decode(data):
    """Return the text of the file: by its BOM, UTF-16 without BOM, UTF-8,
    else the code page guessed from the text (see charsets)."""
    return charsets.decode(data)


def detect(text):
    """Return the format of the text: vcard3 (also for 2.1), vcard4, jcard,
    xcard, outlook, google, thunderbird, or None"""
    if vcard.looks_like(text):
        return 'vcard4' if vcard.version(text) == '4.0' else 'vcard3'
    if jcard.looks_like(text):
        return 'jcard'
    if xcard.looks_like(text):
        return 'xcard'
    return csvformats.detect_text(text)


class Reading(NamedTuple):
    "What was read from a file"
    format: str
    # The contacts of the cards or lines that could be read.
    contacts: List[Contact]
    # An ExchangeError for each card or line that could not be read, with
    # its number: the others are imported only if the user accepts to skip
    # these.
    rejects: List[ExchangeError]


def _vcard_bytes(data):
    """(bytes, raw) for the vCard reader: the file's own bytes when they
    are ASCII-compatible (the CHARSET of each value then applies), else
    the UTF-8 of its text"""
    if isinstance(data, str):
        return data.lstrip('\ufeff').encode('utf-8', 'replace'), False
    encoding = charsets.unicode_encoding(data)
    if encoding:
        try:
            text = data.decode(encoding).lstrip('\ufeff')
        except UnicodeDecodeError:
            raise ExchangeError('not_text')
        return text.encode('utf-8'), False
    if data.startswith(b'\xef\xbb\xbf'):
        data = data[3:]
    charsets.check_text(data)
    return data, True


def read(data, format=None):
    """Return the Reading of the file's bytes or text.

    The format is detected when not given. A file that cannot be read at
    all (not text, unknown format, no contact) raises ExchangeError (the
    first reject when no card could be read); a card or a line that cannot
    be read is a reject, and the others are read."""
    source, raw = _vcard_bytes(data)
    if vcard.looks_like(source):
        detected = 'vcard4' if vcard.version(source) == '4.0' else 'vcard3'
        text = None
    else:
        text = decode(data)
        detected = detect(text)
    format = format or detected
    if format is None or format not in FORMATS:
        raise ExchangeError('unknown_format')
    if format in VCARDS:
        contacts, rejects = vcard.read(source, raw)
    elif format == 'xcard':
        # The XML declaration names the encoding.
        contacts, rejects = xcard.read(data if isinstance(data, bytes)
            else data.encode('utf-8', 'replace'))
    else:
        if text is None:
            text = decode(data)
        if format == 'jcard':
            contacts, rejects = jcard.read(text)
        else:
            contacts, rejects = csvformats.read(text, format)
    if not contacts:
        # Nothing to import: the fault of the first card, if any, tells
        # why better than an empty file.
        raise rejects[0] if rejects else ExchangeError('empty')
    return Reading(format, contacts, rejects)


def write(contacts, format):
    "Return the bytes of the file of contacts in the format"
    if format == 'vcard3':
        return vcard.write(contacts, '3.0').encode('utf-8')
    if format == 'vcard4':
        return vcard.write(contacts, '4.0').encode('utf-8')
    if format == 'jcard':
        return jcard.write(contacts).encode('utf-8')
    if format == 'xcard':
        return xcard.write(contacts)
    if format in CSVS:
        return csvformats.write(contacts, format)
    raise ExchangeError('unknown_format')
