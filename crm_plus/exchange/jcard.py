# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""jCard (RFC 7095): vCard 4.0 in JSON, read and written.

A file is one jCard ["vcard", [properties]] or a list of them; each
property is [name, parameters, value type, value...], a structured value
(N, ADR, ORG) a list whose items may be lists of several values.
"""
import json

from . import vcard
from .contact import Contact
from .errors import ExchangeError


def looks_like(text):
    head = text.lstrip('\ufeff \t\r\n')[:200]
    return head.startswith('[') and '"vcard"' in head.lower()


def _escaped(value):
    "The escaped vCard text of a jCard value"
    if isinstance(value, list):
        return ';'.join(
            ','.join(vcard.escape(str(v)) for v in item)
            if isinstance(item, list) else vcard.escape(str(item))
            for item in value)
    return vcard.escape(str(value))


def _types(parameters):
    types = set()
    for key, value in parameters.items():
        values = value if isinstance(value, list) else [value]
        if key.lower() == 'type':
            for v in values:
                types.update(t.strip().lower() for t in str(v).split(','))
        elif key.lower() == 'pref':
            types.add('pref')
    return types


def _contact(number, card):
    if (not isinstance(card, list) or len(card) != 2
            or str(card[0]).lower() != 'vcard'
            or not isinstance(card[1], list)):
        raise ValueError("not a jCard")
    contact = Contact(number=number)
    for item in card[1]:
        if not isinstance(item, list) or len(item) < 4:
            raise ValueError(f"not a property: {json.dumps(item)[:40]}")
        name, parameters, _, *values = item
        name = str(name).upper()
        if name not in vcard.KEPT or name == 'VERSION':
            continue
        if not isinstance(parameters, dict):
            parameters = {}
        prop = vcard.Property(name, {}, _types(parameters), None, None)
        if name in {'N', 'ADR', 'ORG'}:
            value = values[0] if len(values) == 1 else values
        else:
            value = ','.join(_escaped(v) for v in values)
            vcard.fill(contact, prop, value)
            continue
        vcard.fill(contact, prop, _escaped(value))
    return vcard.finish(contact)


def read(text):
    "Return (contacts, rejects) of the jCard text"
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ExchangeError('json_malformed', reason=str(error))
    if isinstance(data, list) and data and isinstance(data[0], str):
        data = [data]
    if not isinstance(data, list):
        raise ExchangeError('json_malformed', reason="not a list of jCards")
    contacts, rejects = [], []
    for number, card in enumerate(data, 1):
        try:
            contacts.append(_contact(number, card))
        except Exception as error:
            rejects.append(ExchangeError('jcard_unreadable', number,
                    reason=str(error) or type(error).__name__))
    return contacts, rejects


def properties(contact):
    """The vCard 4.0 properties of a contact: (name, types, value type,
    value), a structured value as a list"""
    result = [('fn', [], 'text', contact.name),
        ('n', [], 'text', [contact.family_name, contact.given_name,
                contact.middle_name, '', ''])]
    if not contact.name_is_fallback:
        result.append(('kind', [], 'text',
                'individual' if contact.is_person else 'org'))
    if contact.organisation:
        result.append(('org', [], 'text', [contact.organisation]
                + ([contact.department] if contact.department else [])))
    if contact.job_title:
        result.append(('title', [], 'text', contact.job_title))
    for email in contact.emails:
        result.append(('email', [email.kind] if email.kind in {
                    'work', 'home'} else [], 'text', email.address))
    for phone in contact.phones:
        result.append(
            ('tel', vcard.PHONE_TYPES[phone.kind], 'text', phone.number))
    for website in contact.websites:
        result.append(('url', [], 'uri', website))
    for address in contact.addresses:
        result.append(('adr', [address.kind] if address.kind in {
                    'work', 'home'} else [], 'text',
                ['', '', address.street, address.city, address.region,
                    address.postal_code, address.country]))
    if contact.notes:
        result.append(('note', [], 'text', contact.notes))
    if contact.birthday:
        result.append(('bday', [], 'date', contact.birthday.isoformat()))
    if contact.uid:
        result.append(('uid', [], 'text', contact.uid))
    return result


def write(contacts):
    "Return the jCard text of the contacts: a list of jCards"
    cards = []
    for contact in contacts:
        props = [['version', {}, 'text', '4.0']]
        for name, types, type_, value in properties(contact):
            parameters = {}
            if types:
                parameters['type'] = types if len(types) > 1 else types[0]
            props.append([name, parameters, type_, value])
        cards.append(['vcard', props])
    return json.dumps(cards, ensure_ascii=False, indent=1) + '\n'
