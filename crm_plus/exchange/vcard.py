# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""vCard 2.1, 3.0 and 4.0, read by a tolerant line parser and written.

Phones and mail clients break the standards, and a strict parser refuses
their address books; this one reads what they write:
- the file stays bytes until a property's value is decoded, with the
  CHARSET of the property when it has one (Japanese phones write raw
  Shift_JIS in otherwise ASCII files), whether QUOTED-PRINTABLE, BASE64
  or not encoded; else UTF-8, else the encoding guessed for the file;
- commas are kept in every text value (Outlook and Gmail do not escape
  them), and \\: \\, \\; \\\\ \\n are unescaped after decoding;
- QUOTED-PRINTABLE soft line breaks join the next line exactly as it is,
  spaces included;
- properties the product does not keep (PHOTO, LOGO, SOUND, KEY, AGENT
  with its nested card, PROFILE, X-...) are skipped without being decoded;
- a card that cannot be read becomes a reject naming the card and the
  line of the file, and the other cards are read.
"""
import base64
import binascii
import datetime
import re

from . import charsets
from .contact import Address, Contact, Email, Phone
from .errors import ExchangeError

VERSIONS = ('2.1', '3.0', '4.0')
BEGIN = re.compile(rb'^\s*BEGIN\s*:\s*VCARD\s*$', re.IGNORECASE)
END = re.compile(rb'^\s*END\s*:\s*VCARD\s*$', re.IGNORECASE)
FIRST_VERSION = re.compile(rb'^VERSION\s*:\s*(\S*)', re.IGNORECASE | re.M)
# A property's group and name: item1.EMAIL
NAME = re.compile(rb'^(?:([A-Za-z0-9_-]+)\.)*([A-Za-z0-9_-]+)$')
# The properties a contact keeps; the others are not even decoded.
KEPT = {'VERSION', 'N', 'FN', 'ORG', 'TITLE', 'EMAIL', 'TEL', 'URL', 'ADR',
    'NOTE', 'BDAY', 'UID'}
# Apple's label of the properties of its group (item1.TEL, item1.X-ABLabel:
# _$!<Mobile>!$_ or a label of the user's own): its words are types.
LABEL = 'X-ABLABEL'
LABEL_WORDS = re.compile(r'[a-z]+')
ENCODINGS = {'quoted-printable', 'base64', 'b', '8bit', '7bit'}
BASE64_HEAD = re.compile(rb'[;:](?:ENCODING=)?(?:BASE64|B)[;:]', re.I)
# A line of base64 data: some phones do not indent the lines of a photo.
BASE64_LINE = re.compile(rb'^[A-Za-z0-9+/=]+\s*$')
ESCAPE = re.compile(r'\\(.)', re.S)
UNESCAPED = {'n': '\n', 'N': '\n', ',': ',', ';': ';', ':': ':', '\\': '\\'}
COMPONENT = re.compile(r'\\.|;|[^\\;]+|\\$', re.S)


def looks_like(data):
    "Whether the text or bytes begin with BEGIN:VCARD"
    if isinstance(data, str):
        data = data[:1000].encode('utf-8', 'replace')
    for line in data[:1000].lstrip(b'\xef\xbb\xbf').splitlines():
        if line.strip():
            return bool(BEGIN.match(line))
    return False


def version(data):
    "The version of the first card"
    if isinstance(data, str):
        data = data.encode('utf-8', 'replace')
    match = FIRST_VERSION.search(data)
    return match.group(1).decode('ascii', 'replace') if match else None


def _excerpt(text, size=40):
    text = text.strip()
    return text if len(text) <= size else text[:size] + '…'


class Card:
    "The logical lines of a card, with the line of the file of each"

    def __init__(self, number, line):
        self.number = number
        self.line = line
        # [line number, chunks of bytes, quoted-printable, base64]
        self.lines = []
        self.soft_break = False

    def add(self, index, line):
        if self.soft_break:
            # A QUOTED-PRINTABLE soft line break: the next line follows
            # as it is, its leading spaces being text.
            last = self.lines[-1][1]
            last[-1] = last[-1][:-1]
            last.append(line)
        elif line[:1] in (b' ', b'\t') and self.lines:
            self.lines[-1][1].append(line[1:])
        elif self.lines and self.lines[-1][3] and BASE64_LINE.match(line):
            self.lines[-1][1].append(line)
        elif line.strip():
            head = line.split(b':', 1)[0].upper() + b':'
            self.lines.append([index, [line], b'QUOTED-PRINTABLE' in head,
                    bool(BASE64_HEAD.search(head))])
        else:
            return
        current = self.lines[-1]
        self.soft_break = current[2] and current[1][-1].endswith(b'=')

    def last_name(self):
        if not self.lines:
            return b''
        head = self.lines[-1][1][0].split(b':', 1)[0]
        return head.split(b';', 1)[0].rsplit(b'.', 1)[-1].strip().upper()


def split_cards(data):
    """Yield Card or ExchangeError in the order of the file.

    A card nested in the AGENT property of vCard 2.1 is skipped with it."""
    card, number, nested, outside = None, 0, 0, False
    for index, line in enumerate(data.splitlines(), 1):
        if card is not None and nested:
            if BEGIN.match(line):
                nested += 1
            elif END.match(line):
                nested -= 1
            continue
        if BEGIN.match(line):
            if card is not None:
                if card.last_name() == b'AGENT':
                    nested = 1
                    continue
                yield ExchangeError(
                    'vcard_unterminated', card.number, line=card.line)
            number += 1
            card, outside = Card(number, index), False
        elif END.match(line):
            if card is None:
                yield ExchangeError('vcard_end_without_begin', index)
            else:
                yield card
            card = None
        elif card is not None:
            card.add(index, line)
        elif line.strip() and not outside:
            # Only the first line of a run of text outside of the cards.
            outside = True
            yield ExchangeError('vcard_outside', index,
                text=_excerpt(line.decode('utf-8', 'replace')))
    if card is not None:
        yield ExchangeError('vcard_unterminated', card.number, line=card.line)


class Property:
    __slots__ = ('name', 'params', 'types', 'value', 'line', 'group')

    def __init__(self, name, params, types, value, line, group=None):
        self.name = name
        self.params = params
        self.types = types
        self.value = value
        self.line = line
        self.group = group


def _split_quoted(data, separator):
    "Split on the separator outside of double quotes"
    if b'"' not in data:
        return data.split(separator)
    parts, current, quoted = [], bytearray(), False
    for byte in data:
        if byte == 0x22:
            quoted = not quoted
        elif byte == separator[0] and not quoted:
            parts.append(bytes(current))
            current = bytearray()
            continue
        current.append(byte)
    parts.append(bytes(current))
    return parts


def _colon(line):
    """The index of the colon that ends the name and parameters: the first
    one outside of the double quotes of parameter values, else the first
    one"""
    colon = line.find(b':')
    quote = line.find(b'"', 0, colon)
    if quote < 0 or colon < 0:
        return colon
    quoted = False
    for index in range(len(line)):
        byte = line[index]
        if byte == 0x22:
            quoted = not quoted
        elif byte == 0x3a and not quoted:
            return index
    return colon


def parse_line(line, number):
    "The Property of a logical line, None for a property not kept"
    colon = _colon(line)
    if colon < 0:
        return False
    head, value = line[:colon], line[colon + 1:]
    parts = _split_quoted(head, b';')
    match = NAME.match(parts[0].strip())
    if not match:
        return False
    name = match.group(2).decode('ascii').upper()
    if name not in KEPT and name != LABEL:
        return None
    group = match.group(1).lower() if match.group(1) else None
    params, types = {}, set()
    for part in parts[1:]:
        key, equal, values = part.partition(b'=')
        key = key.strip().decode('ascii', 'replace').upper()
        if not equal:
            # vCard 2.1 writes the types and the encoding alone.
            bare = key.lower()
            if bare in ENCODINGS:
                params['ENCODING'] = bare
            else:
                types.add(bare)
            continue
        values = values.decode('utf-8', 'replace')
        if key == 'TYPE':
            types.update(v.strip().strip('"').lower()
                for v in values.strip('"').split(',') if v.strip())
        elif key == 'PREF':
            types.add('pref')
        else:
            params[key] = values.strip().strip('"').lower()
    return Property(name, params, types, value, number, group)


class Decoder:
    """Decodes the values of a file's properties.

    raw: whether the bytes are the file's own, in which a CHARSET applies
    to every value; else they are UTF-8 (the file was text) and a CHARSET
    applies only to encoded values."""

    def __init__(self, data, raw):
        self.data = data
        self.raw = raw
        self._fallback = None

    @property
    def fallback(self):
        "The encoding of the values that are not UTF-8 and name none"
        if self._fallback is None:
            self._fallback = (charsets.guess(self.data)
                if self.raw else 'cp1252')
        return self._fallback

    def __call__(self, prop):
        value = prop.value
        encoding = prop.params.get('ENCODING')
        encoded = False
        if encoding == 'quoted-printable':
            value = binascii.a2b_qp(value)
            encoded = True
        elif encoding in {'b', 'base64'}:
            value = base64.b64decode(b''.join(value.split()), validate=True)
            encoded = True
        text = None
        charset = charsets.codec(prop.params.get('CHARSET'))
        if charset and (encoded or self.raw):
            try:
                text = value.decode(charset)
            except UnicodeDecodeError:
                pass
        if text is None:
            try:
                text = value.decode('utf-8')
            except UnicodeDecodeError:
                text = value.decode(self.fallback, 'replace')
        if encoded and '\r' in text:
            text = _newlines(text)
        return text


def _unescape(text):
    if '\\' not in text:
        return text
    return ESCAPE.sub(lambda m: UNESCAPED.get(m.group(1), m.group(0)), text)


def _components(text):
    "The unescaped parts of a structured value, split on ;"
    if '\\' not in text:
        return text.split(';')
    parts, current = [], []
    for token in COMPONENT.findall(text):
        if token == ';':
            parts.append(''.join(current))
            current = []
        else:
            current.append(token)
    parts.append(''.join(current))
    return [_unescape(p) for p in parts]


def _newlines(text):
    return text.replace('\r\n', '\n').replace('\r', '\n')


def email_kind(types):
    if 'work' in types:
        return 'work'
    if 'home' in types:
        return 'home'
    return 'other'


def phone_kind(types):
    "The kind of a phone from its types, in every spelling"
    types = {t[2:] if t.startswith('x-') else t for t in types}
    if types & {'fax', 'workfax', 'homefax', 'otherfax'}:
        return 'fax'
    if types & {'cell', 'mobile', 'iphone', 'cellular', 'car'}:
        return 'mobile'
    if 'pager' in types:
        return 'other'
    if 'home' in types:
        return 'home'
    if types & {'work', 'main', 'company'}:
        return 'work'
    return 'other'


def address_kind(types):
    if 'home' in types:
        return 'home'
    if 'work' in types:
        return 'work'
    return 'other'


def birthday(value):
    value = (value or '').strip()
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        pass
    for pattern in ('%Y-%m-%d', '%Y%m%d'):
        try:
            return datetime.datetime.strptime(value[:10], pattern).date()
        except ValueError:
            continue
    # Dates without year (--0115) and free text have no date.
    return None


def _tel(value):
    if value.lower().startswith('tel:'):
        value = value[4:]
    return value.strip()


def read(data, raw=True):
    """Return (contacts, rejects) of the vCard bytes.

    raw tells whether the bytes are the file's own (see Decoder) or the
    UTF-8 of a text."""
    decode = Decoder(data, raw)
    contacts, rejects = [], []
    for card in split_cards(data):
        if isinstance(card, ExchangeError):
            rejects.append(card)
            continue
        try:
            contacts.append(_contact(card, decode))
        except ExchangeError as error:
            rejects.append(error)
    return contacts, rejects


def _contact(card, decode):
    properties = []
    line = card.line
    try:
        for line, chunks, *_ in card.lines:
            source = b''.join(chunks)
            prop = parse_line(source, line)
            if prop is False:
                raise ExchangeError('vcard_bad_line', card.number, line=line,
                    text=_excerpt(source.decode('utf-8', 'replace')))
            if prop is None:
                continue
            if prop.name == 'VERSION':
                version = decode(prop).strip()
                if version not in VERSIONS:
                    raise ExchangeError('vcard_version', card.number,
                        line=line, version=version)
                continue
            properties.append(prop)
        labels = {}
        for prop in properties:
            if prop.name == LABEL and prop.group:
                line = prop.line
                labels[prop.group] = set(
                    LABEL_WORDS.findall(decode(prop).lower()))
        contact = Contact(number=card.number)
        for prop in properties:
            line = prop.line
            if prop.name == LABEL:
                continue
            if prop.group in labels:
                prop.types |= labels[prop.group]
            fill(contact, prop, decode(prop))
    except ExchangeError:
        raise
    except Exception as exception:
        raise ExchangeError('vcard_unreadable', card.number, line=line,
            reason=str(exception) or type(exception).__name__)
    return finish(contact)


def finish(contact):
    "The contact with its preferred values first, checked"
    contact.emails = _preferred(contact.emails)
    contact.phones = _preferred(contact.phones)
    contact.addresses = _preferred(contact.addresses)
    return contact.clean()


def _preferred(items):
    "The preferred items first, else in file order"
    ordered = sorted(items, key=lambda i: not getattr(i, '_pref', False))
    for item in ordered:
        item.__dict__.pop('_pref', None)
    return ordered


def fill(contact, prop, value):
    """Fill the contact with the property's value, the text of a vCard
    value still escaped"""
    name = prop.name
    pref = 'pref' in prop.types
    if name == 'N':
        parts = [p.strip() for p in _components(value)] + [''] * 5
        if len(_components(value)) == 1:
            contact.family_name = parts[0]
        else:
            contact.family_name, contact.given_name, \
                contact.middle_name = parts[:3]
    elif name == 'FN':
        if not contact.full_name:
            contact.full_name = _unescape(value).strip()
    elif name == 'ORG':
        parts = [p.strip() for p in _components(value)]
        if not contact.organisation:
            contact.organisation = parts[0]
            contact.department = '; '.join(p for p in parts[1:] if p)
    elif name == 'TITLE':
        if not contact.job_title:
            contact.job_title = _unescape(value).strip()
    elif name == 'EMAIL':
        address = _unescape(value).strip()
        if address:
            email = Email(address, email_kind(prop.types))
            email._pref = pref
            contact.emails.append(email)
    elif name == 'TEL':
        number = _tel(_unescape(value))
        if number:
            phone = Phone(number, phone_kind(prop.types))
            phone._pref = pref
            contact.phones.append(phone)
    elif name == 'URL':
        website = _unescape(value).strip()
        if website:
            contact.websites.append(website)
    elif name == 'ADR':
        parts = [_newlines(p).strip() for p in _components(value)]
        parts += [''] * (7 - len(parts))
        _, extended, street, city, region, code, country = parts[:7]
        address = Address(
            street='\n'.join(filter(None, (street, extended))),
            city=city, postal_code=code, region=region, country=country,
            kind=address_kind(prop.types))
        if address:
            address._pref = pref
            contact.addresses.append(address)
    elif name == 'NOTE':
        note = _newlines(_unescape(value)).strip()
        if note:
            contact.notes = '\n'.join(filter(None, (contact.notes, note)))
    elif name == 'BDAY':
        contact.birthday = birthday(_unescape(value))
    elif name == 'UID':
        contact.uid = _unescape(value).strip()


# Writing

def escape(text):
    return (text.replace('\\', '\\\\').replace('\n', '\\n')
        .replace(',', '\\,').replace(';', '\\;'))


def fold(line):
    "The line folded at 75 octets, never inside a UTF-8 character"
    data = line.encode('utf-8')
    if len(data) <= 75:
        return line + '\r\n'
    chunks, start, size = [], 0, 75
    while start < len(data):
        end = min(start + size, len(data))
        while end < len(data) and 0x80 <= data[end] < 0xc0:
            end -= 1
        chunks.append(data[start:end].decode('utf-8'))
        start, size = end, 74
    return '\r\n '.join(chunks) + '\r\n'


def _types(version, *types):
    types = [t for t in types if t]
    if not types:
        return ''
    if version == '4.0':
        value = ','.join(t.lower() for t in types)
        return f';TYPE="{value}"' if len(types) > 1 else f';TYPE={value}'
    return ';TYPE=' + ','.join(t.upper() for t in types)


PHONE_TYPES = {
    'work': ['work', 'voice'],
    'home': ['home', 'voice'],
    'mobile': ['cell', 'voice'],
    'fax': ['work', 'fax'],
    'other': ['voice'],
    }


def card_lines(contact, version):
    "The lines of the card of a contact, unfolded"
    lines = ['BEGIN:VCARD', f'VERSION:{version}',
        'FN:' + escape(contact.name),
        'N:' + ';'.join(escape(p) for p in (contact.family_name,
                contact.given_name, contact.middle_name, '', ''))]
    if version == '4.0' and not contact.name_is_fallback:
        lines.append(
            'KIND:' + ('individual' if contact.is_person else 'org'))
    if contact.organisation:
        lines.append('ORG:' + ';'.join(escape(p) for p in filter(None, (
                        contact.organisation, contact.department))))
    if contact.job_title:
        lines.append('TITLE:' + escape(contact.job_title))
    for email in contact.emails:
        kind = email.kind if email.kind in {'work', 'home'} else None
        lines.append('EMAIL' + _types(version,
                'internet' if version != '4.0' else None, kind)
            + ':' + escape(email.address))
    for phone in contact.phones:
        lines.append('TEL' + _types(version, *PHONE_TYPES[phone.kind])
            + ':' + escape(phone.number))
    for website in contact.websites:
        # A URI is not escaped.
        lines.append('URL:' + website)
    for address in contact.addresses:
        kind = address.kind if address.kind in {'work', 'home'} else None
        lines.append('ADR' + _types(version, kind) + ':' + ';'.join(
                escape(p) for p in ('', '', address.street, address.city,
                    address.region, address.postal_code, address.country)))
    if contact.notes:
        lines.append('NOTE:' + escape(contact.notes))
    if contact.birthday:
        lines.append('BDAY:' + (contact.birthday.strftime('%Y%m%d')
                if version == '4.0' else contact.birthday.isoformat()))
    if contact.uid:
        lines.append('UID:' + escape(contact.uid))
    lines.append('END:VCARD')
    return lines


def write(contacts, version='3.0'):
    "Return the vCard text of the contacts"
    assert version in {'3.0', '4.0'}
    return ''.join(fold(line)
        for contact in contacts for line in card_lines(contact, version))
