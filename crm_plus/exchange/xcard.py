# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""xCard (RFC 6351): vCard 4.0 in XML, read and written with lxml.

<vcards xmlns="urn:ietf:params:xml:ns:vcard-4.0"><vcard>...</vcard>
</vcards>; each property is an element with an optional <parameters> and
its value in a typed element (<text>, <uri>, <date>...), a structured value
in named elements (<surname>, <street>...).
"""
from lxml import etree

from . import vcard
from .contact import Contact
from .contact import text as contact_text
from .errors import ExchangeError
from .jcard import properties

NS = 'urn:ietf:params:xml:ns:vcard-4.0'
# The parts of the structured values, in the order of vCard.
PARTS = {
    'n': ['surname', 'given', 'additional', 'prefix', 'suffix'],
    'adr': ['pobox', 'ext', 'street', 'locality', 'region', 'code',
        'country'],
    }


def looks_like(text):
    head = text.lstrip('\ufeff \t\r\n')[:1000]
    return head.startswith('<') and (
        NS in head or '<vcards' in head or '<vcard' in head)


def _local(element):
    tag = element.tag
    if not isinstance(tag, str):
        return ''
    return tag.rsplit('}', 1)[-1].lower()


def _children(element):
    return [c for c in element if _local(c)]


def _types(element):
    types = set()
    for parameters in element:
        if _local(parameters) != 'parameters':
            continue
        for parameter in _children(parameters):
            if _local(parameter) == 'type':
                types.update((t.text or '').strip().lower()
                    for t in _children(parameter))
            elif _local(parameter) == 'pref':
                types.add('pref')
    return types


def _contact(number, card):
    contact = Contact(number=number)
    for element in _children(card):
        name = _local(element).upper()
        if name not in vcard.KEPT or name == 'VERSION':
            continue
        values = [c for c in _children(element)
            if _local(c) != 'parameters']
        if name.lower() in PARTS:
            parts = []
            for part in PARTS[name.lower()]:
                parts.append(','.join(vcard.escape(c.text or '')
                        for c in values if _local(c) == part))
            value = ';'.join(parts)
        elif name == 'ORG':
            value = ';'.join(vcard.escape(c.text or '') for c in values)
        else:
            value = ','.join(vcard.escape(c.text or '') for c in values)
        prop = vcard.Property(name, {}, _types(element), None,
            element.sourceline)
        vcard.fill(contact, prop, value)
    return vcard.finish(contact)


def read(data):
    "Return (contacts, rejects) of the xCard bytes"
    parser = etree.XMLParser(resolve_entities=False, no_network=True,
        remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as error:
        raise ExchangeError('xml_malformed', reason=str(error))
    cards = [root] if _local(root) == 'vcard' else [
        c for c in root if _local(c) == 'vcard']
    contacts, rejects = [], []
    for number, card in enumerate(cards, 1):
        try:
            contacts.append(_contact(number, card))
        except Exception as error:
            rejects.append(ExchangeError('xcard_unreadable', number,
                    line=card.sourceline,
                    reason=str(error) or type(error).__name__))
    return contacts, rejects


def write(contacts):
    "Return the xCard bytes (UTF-8) of the contacts"
    def element(parent, name, text=None):
        child = etree.SubElement(parent, f'{{{NS}}}{name}')
        if text is not None:
            child.text = contact_text(text)
        return child

    root = etree.Element(f'{{{NS}}}vcards', nsmap={None: NS})
    for contact in contacts:
        card = element(root, 'vcard')
        for name, types, type_, value in properties(contact):
            prop = element(card, name)
            if types:
                type_element = element(
                    element(prop, 'parameters'), 'type')
                for t in types:
                    element(type_element, 'text', t)
            if name in PARTS:
                for part, text in zip(PARTS[name], value):
                    element(prop, part, text)
            elif name == 'org':
                for text in value:
                    element(prop, 'text', text)
            else:
                element(prop, type_, value)
    return etree.tostring(root, xml_declaration=True, encoding='UTF-8',
        pretty_print=True)
