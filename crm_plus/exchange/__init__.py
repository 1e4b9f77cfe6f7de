# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Contacts in and out of vCard and the CSV files of Outlook and Google.

Pure Python, without Tryton: `read` turns the bytes of a file into
`Contact` records, `write` turns them into the bytes of a file.
"""
import codecs
from typing import List, NamedTuple

from . import csvformats, vcard
from .contact import Address, Contact, Email, Phone
from .errors import ExchangeError

__all__ = ['Address', 'Contact', 'Email', 'Phone', 'ExchangeError',
    'FORMATS', 'FORMAT_NAMES', 'Reading', 'decode', 'detect', 'read',
    'write']

# Format codes: the vCard versions are written differently, and read alike.
FORMATS = ('vcard3', 'vcard4', 'outlook', 'google')
# The name of each format as the user chooses it.
FORMAT_NAMES = {
    'vcard3': "vCard 3.0",
    'vcard4': "vCard 4.0",
    'outlook': "Outlook CSV",
    'google': "Google CSV",
    }
# Whether the number of a contact is a card or a line in each format.
LOCATIONS = {
    'vcard3': 'card', 'vcard4': 'card', 'outlook': 'line', 'google': 'line'}
EXTENSIONS = {
    'vcard3': 'vcf', 'vcard4': 'vcf', 'outlook': 'csv', 'google': 'csv'}
MIME_TYPES = {
    'vcard3': 'text/vcard', 'vcard4': 'text/vcard', 'outlook': 'text/csv',
    'google': 'text/csv'}


def decode(data):
    """Return the text of the file: UTF-8 (with or without BOM), UTF-16
    with BOM, else Windows-1252, the encoding of Outlook's exports on
    Western Windows."""
    if isinstance(data, str):
        return data.lstrip('\ufeff')
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode('utf-16')
        except UnicodeDecodeError:
            raise ExchangeError('not_text')
    # Text never holds NUL bytes nor many control characters.
    head = data[:4096]
    controls = sum(1 for b in head if b < 32 and b not in b'\t\r\n\x0c')
    if b'\x00' in data or controls > len(head) // 100 + 2:
        raise ExchangeError('not_text')
    try:
        return data.decode('utf-8-sig')
    except UnicodeDecodeError:
        pass
    try:
        return data.decode('cp1252')
    except UnicodeDecodeError:
        raise ExchangeError('not_text')


def detect(text):
    """Return the format of the text: vcard3 (also for 2.1), vcard4,
    outlook or google"""
    if vcard.looks_like(text):
        return 'vcard4' if vcard.version(text) == '4.0' else 'vcard3'
    return csvformats.detect(csvformats.read_header(text))


class Reading(NamedTuple):
    "What was read from a file"
    format: str
    # The contacts of the cards or lines that could be read.
    contacts: List[Contact]
    # An ExchangeError for each card or line that could not be read, with
    # its number: the others are imported only if the user accepts to skip
    # these.
    rejects: List[ExchangeError]


def read(data, format=None):
    """Return the Reading of the file's bytes or text.

    The format is detected when not given. A file that cannot be read at
    all (not text, unknown format, no contact) raises ExchangeError."""
    text = decode(data)
    detected = detect(text)
    format = format or detected
    if format is None:
        raise ExchangeError('unknown_format')
    if format in {'vcard3', 'vcard4'}:
        contacts = vcard.read(text)
    elif format == 'outlook':
        contacts = csvformats.read_outlook(text)
    elif format == 'google':
        contacts = csvformats.read_google(text)
    else:
        raise ExchangeError('unknown_format')
    if not contacts:
        raise ExchangeError('empty')
    return Reading(format, contacts, [])


def write(contacts, format):
    "Return the bytes of the file of contacts in the format"
    if format == 'vcard3':
        return vcard.write(contacts, '3.0').encode('utf-8')
    if format == 'vcard4':
        return vcard.write(contacts, '4.0').encode('utf-8')
    if format == 'outlook':
        # With BOM: Excel and Outlook read it as UTF-8 and not as the
        # code page of Windows.
        return csvformats.write_outlook(contacts).encode('utf-8-sig')
    if format == 'google':
        return csvformats.write_google(contacts).encode('utf-8')
    raise ExchangeError('unknown_format')
