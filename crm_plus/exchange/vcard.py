# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""vCard 2.1, 3.0 and 4.0 through vobject.

vobject parses the properties, their escaping, folding, parameters and
QUOTED-PRINTABLE values with their CHARSET. Around it this module adds what
it lacks for real address books: splitting a file into cards itself, so
that an error names the card at fault; joining the soft line breaks that
Outlook writes in QUOTED-PRINTABLE values (vobject stops at them); the
vCard 4.0 forms of parameters (TYPE="work,voice", PREF=1) and of telephone
URIs (tel:+...).
"""
import datetime
import quopri
import re

import vobject
from vobject.base import ParseError

from .contact import Address, Contact, Email, Phone
from .errors import ExchangeError

VERSIONS = ('2.1', '3.0', '4.0')
BEGIN = re.compile(r'^BEGIN:VCARD\s*$', re.IGNORECASE)
END = re.compile(r'^END:VCARD\s*$', re.IGNORECASE)
VERSION = re.compile(r'^VERSION:\s*(\S*)\s*$', re.IGNORECASE)
QUOTED_PRINTABLE = re.compile(
    r'^[^:]*;(ENCODING=)?QUOTED-PRINTABLE[;:]', re.IGNORECASE)


def looks_like(text):
    for line in text.splitlines():
        if line.strip():
            return bool(BEGIN.match(line.strip()))
    return False


def version(text):
    "The version of the first card"
    for line in text.splitlines():
        match = VERSION.match(line.strip())
        if match:
            return match.group(1)


def split_cards(text):
    """Yield (card number, list of lines) of each card.

    Lines are unfolded, and the soft line breaks of QUOTED-PRINTABLE values
    joined."""
    card, number = None, 0
    for index, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if BEGIN.match(stripped):
            if card is not None:
                raise ExchangeError('vcard_unterminated', number)
            number += 1
            card = []
        elif END.match(stripped):
            if card is None:
                raise ExchangeError('vcard_end_without_begin', index)
            yield number, _join(card)
            card = None
        elif card is not None:
            card.append(line)
        elif stripped:
            raise ExchangeError(
                'vcard_outside', index, text=_excerpt(stripped))
    if card is not None:
        raise ExchangeError('vcard_unterminated', number)


def _join(lines):
    logical = []
    soft_break = False
    for line in lines:
        if soft_break:
            logical[-1] = logical[-1][:-1] + line.lstrip()
        elif line[:1] in {' ', '\t'} and logical:
            logical[-1] += line[1:]
        elif line.strip():
            logical.append(line)
        last = logical[-1] if logical else ''
        soft_break = bool(
            QUOTED_PRINTABLE.match(last) and last.endswith('='))
    return [_charset(line) for line in logical]


def _charset(line):
    """Name the charset of a QUOTED-PRINTABLE value that has none.

    vCard 2.1 says US-ASCII, vobject then takes UTF-8, but Outlook and old
    phones write their code page: take Windows-1252 when the bytes are not
    UTF-8."""
    params, colon, value = line.partition(':')
    if (not colon or not QUOTED_PRINTABLE.match(line)
            or 'CHARSET=' in params.upper()):
        return line
    try:
        quopri.decodestring(value.encode('utf-8')).decode('utf-8')
    except UnicodeDecodeError:
        return f'{params};CHARSET=Windows-1252:{value}'
    return line


def _excerpt(text, size=40):
    return text if len(text) <= size else text[:size] + '…'


def read(text):
    "Return the contacts of the vCard text"
    contacts = []
    for number, lines in split_cards(text):
        version = '3.0'
        for line in lines:
            match = VERSION.match(line)
            if match:
                version = match.group(1)
        if version not in VERSIONS:
            raise ExchangeError('vcard_version', number, version=version)
        for line in lines:
            # vobject would skip or mangle a line without a property name.
            if ':' not in line or not re.match(r'^[\w.\-]+[;:]', line):
                raise ExchangeError(
                    'vcard_bad_line', number, text=_excerpt(line))
        source = '\r\n'.join(['BEGIN:VCARD', *lines, 'END:VCARD', ''])
        try:
            card = vobject.readOne(source, allowQP=True)
        except (ParseError, ValueError, TypeError) as exception:
            line = getattr(exception, 'lineNumber', None)
            text = lines[line - 2] if line and 1 < line <= len(lines) + 1 \
                else str(exception)
            raise ExchangeError(
                'vcard_bad_line', number, text=_excerpt(text))
        contact = _contact(card)
        contact.number = number
        contacts.append(contact)
    return contacts


def _types(prop):
    "The lowered TYPE values of a property in any vCard version"
    types = set()
    for value in prop.params.get('TYPE', []):
        types.update(v.strip().strip('"').lower() for v in value.split(','))
    # vCard 2.1 writes the types alone (TEL;WORK;VOICE:...)
    types.update(v.lower() for v in prop.singletonparams)
    if 'PREF' in prop.params:
        types.add('pref')
    return types


def _text(prop):
    value = prop.value
    if isinstance(value, list):
        value = ','.join(value)
    return (value or '').strip()


def _email_kind(types):
    if 'work' in types:
        return 'work'
    if 'home' in types:
        return 'home'
    return 'other'


def _phone_kind(types):
    if 'fax' in types:
        return 'fax'
    if 'cell' in types or 'mobile' in types:
        return 'mobile'
    if 'home' in types:
        return 'home'
    if 'work' in types:
        return 'work'
    return 'other'


def _address_kind(types):
    if 'home' in types:
        return 'home'
    if 'work' in types:
        return 'work'
    return 'other'


def _birthday(value):
    value = (value or '').strip()
    for pattern in ('%Y-%m-%d', '%Y%m%d'):
        try:
            return datetime.datetime.strptime(value[:10], pattern).date()
        except ValueError:
            continue
    # Dates without year (--0115) and free text have no date.
    return None


def _preferred(props):
    "Properties with the preferred ones first, else in file order"
    return sorted(props, key=lambda p: 'pref' not in _types(p))


def _contact(card):
    contents = card.contents
    contact = Contact()
    if 'n' in contents:
        name = contents['n'][0].value
        if isinstance(name, str):
            contact.family_name = name.strip()
        else:
            contact.family_name = _text_part(name.family)
            contact.given_name = _text_part(name.given)
            contact.middle_name = _text_part(name.additional)
    if 'fn' in contents:
        contact.full_name = _text(contents['fn'][0])
    if 'org' in contents:
        org = contents['org'][0].value
        if isinstance(org, str):
            org = org.split(';')
        org = [o.strip() for o in org]
        contact.organisation = org[0] if org else ''
        contact.department = '; '.join(o for o in org[1:] if o)
    if 'title' in contents:
        contact.job_title = _text(contents['title'][0])
    for prop in _preferred(contents.get('email', [])):
        address = _text(prop)
        if address.lower().startswith('mailto:'):
            address = address[7:]
        if address:
            contact.emails.append(Email(address, _email_kind(_types(prop))))
    for prop in _preferred(contents.get('tel', [])):
        number = _text(prop)
        if number.lower().startswith('tel:'):
            number = number[4:]
        if number:
            contact.phones.append(Phone(number, _phone_kind(_types(prop))))
    for prop in contents.get('url', [])[:1]:
        contact.websites.append(_text(prop))
    for prop in _preferred(contents.get('adr', [])):
        value = prop.value
        if isinstance(value, str):
            continue
        address = Address(
            street='\n'.join(filter(None, (
                        _text_part(value.street),
                        _text_part(value.extended)))),
            city=_text_part(value.city),
            postal_code=_text_part(value.code),
            region=_text_part(value.region),
            country=_text_part(value.country),
            kind=_address_kind(_types(prop)))
        if address:
            contact.addresses.append(address)
    if 'note' in contents:
        contact.notes = '\n'.join(_text(p) for p in contents['note']).replace(
            '\r\n', '\n')
    if 'bday' in contents:
        contact.birthday = _birthday(_text(contents['bday'][0]))
    if 'uid' in contents:
        contact.uid = _text(contents['uid'][0])
    return contact.fill_names()


def _text_part(value):
    if isinstance(value, list):
        value = ' '.join(value)
    return (value or '').strip()


def write(contacts, version='3.0'):
    "Return the vCard text of the contacts"
    assert version in {'3.0', '4.0'}
    return ''.join(_card(c, version).serialize() for c in contacts)


def _type(prop, version, *types):
    types = [t for t in types if t]
    if not types:
        return
    if version == '4.0':
        prop.type_param = ','.join(t.lower() for t in types)
    else:
        prop.type_paramlist = [t.upper() for t in types]


def _card(contact, version):
    card = vobject.vCard()
    card.add('version').value = version
    card.add('fn').value = contact.name
    card.add('n').value = vobject.vcard.Name(
        family=contact.family_name, given=contact.given_name,
        additional=contact.middle_name)
    if version == '4.0':
        card.add('kind').value = (
            'individual' if contact.is_person else 'org')
    if contact.organisation:
        card.add('org').value = [contact.organisation] + (
            [contact.department] if contact.department else [])
    if contact.job_title:
        card.add('title').value = contact.job_title
    for email in contact.emails:
        prop = card.add('email')
        prop.value = email.address
        _type(prop, version,
            'internet' if version != '4.0' else None,
            email.kind if email.kind in {'work', 'home'} else None)
    for phone in contact.phones:
        prop = card.add('tel')
        prop.value = phone.number
        kinds = {
            'work': ['work', 'voice'],
            'home': ['home', 'voice'],
            'mobile': ['cell', 'voice'],
            'fax': ['work', 'fax'],
            'other': ['voice'],
            }[phone.kind]
        _type(prop, version, *kinds)
    for website in contact.websites:
        card.add('url').value = website
    for address in contact.addresses:
        prop = card.add('adr')
        prop.value = vobject.vcard.Address(
            street=address.street, city=address.city,
            region=address.region, code=address.postal_code,
            country=address.country)
        _type(prop, version,
            address.kind if address.kind in {'work', 'home'} else None)
    if contact.notes:
        card.add('note').value = contact.notes
    if contact.birthday:
        card.add('bday').value = contact.birthday.isoformat()
    if contact.uid:
        card.add('uid').value = contact.uid
    return card
