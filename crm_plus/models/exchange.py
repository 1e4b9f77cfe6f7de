# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Import and export of contacts as vCard and Outlook or Google CSV.

The formats themselves are in crm_plus.exchange, without Tryton; here the
neutral contacts become partners, contact persons, contact mechanisms and
addresses, and back.
"""
import dataclasses
import datetime
import json
import re
import unicodedata
from collections import defaultdict
from typing import NamedTuple

from sql import Null

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.tools.email_ import EmailNotValidError, validate_email
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import (
    Button, StateAction, StateTransition, StateView, Wizard)

from .. import exchange
from .duplicate import (
    _phone_country_codes, _strip_accents, normalize_email, normalize_name,
    normalize_phone)

try:
    import phonenumbers
    from phonenumbers import NumberParseException, PhoneNumberFormat
except ImportError:
    phonenumbers = None

FORMATS = list(exchange.FORMAT_NAMES.items())
# The host's contact mechanism types of each kind of phone.
PHONE_TYPES = {
    'work': 'phone', 'home': 'phone', 'other': 'phone', 'mobile': 'mobile',
    'fax': 'fax'}
MECHANISM_PHONE_KINDS = {'phone': 'work', 'mobile': 'mobile', 'fax': 'fax'}
# The target of a contact left out of the import (see import_contacts).
SKIP = 'skip'
# The default of a contact of several matches: the user chooses.
DECIDE = 'decide'
# What the import did with each contact.
OUTCOMES = [
    ('created', "Created"),
    ('updated', "Updated"),
    ('unchanged', "Unchanged"),
    ('skipped', "Skipped"),
    ]


class ExchangeError(ValidationError):
    pass


def raise_exchange_error(error):
    "Raise the translated error of a file that cannot be read"
    raise ExchangeError(gettext(
            'crm_plus.msg_exchange_' + error.code,
            number=error.number, **error.params)) from error


def _location_error(format, contact, message, **params):
    location = exchange.LOCATIONS[format]
    return ExchangeError(gettext(
            f'crm_plus.msg_exchange_{location}_{message}',
            number=contact.number, name=contact.name, **params))


def _create(Model, values, size=250):
    """Create by lists of size: the host checks the domain of a field that
    depends on the record itself (the organisation of a contact) with one
    clause per record, and SQLite refuses a query of a thousand clauses."""
    records = []
    for start in range(0, len(values), size):
        records.extend(Model.create(values[start:start + size]))
    return records


def _name_key(name):
    "Organisations are the same when their name keys are"
    return normalize_name(name) or name.lower()


# The other names of countries that address books write, by ISO code;
# the names of the database's countries in every language and their codes
# are known without them.
COUNTRY_ALIASES = {
    'US': ["USA", "U.S.A.", "U.S.", "United States of America", "America",
        "Estados Unidos", "Vereinigte Staaten", "États-Unis"],
    'GB': ["UK", "U.K.", "United Kingdom", "Great Britain", "Britain",
        "England", "Scotland", "Wales", "Northern Ireland",
        "Royaume-Uni", "Reino Unido", "Vereinigtes Königreich"],
    'DE': ["Deutschland", "Germany", "Allemagne", "Alemania", "BRD"],
    'ES': ["España", "Spain", "Espagne", "Spanien"],
    'CZ': ["Česká republika", "Česko", "Czechia", "Czech Republic",
        "Tschechien"],
    'JP': ["日本", "日本国", "Nippon", "Nihon", "Japan", "Japon"],
    'CN': ["中国", "中华人民共和国", "中華人民共和國", "China", "PRC",
        "People's Republic of China"],
    'FR': ["France", "Frankreich", "Francia"],
    'IT': ["Italia", "Italy", "Italien"],
    'NL': ["Nederland", "Holland", "The Netherlands", "Netherlands"],
    'AT': ["Österreich", "Austria"],
    'CH': ["Schweiz", "Suisse", "Svizzera", "Switzerland"],
    'PT': ["Portugal"],
    'MX': ["México", "Mexico"],
    'CA': ["Canada", "Canadá"],
    'KR': ["South Korea", "Korea", "대한민국", "한국"],
    'RU': ["Russia", "Россия"],
    }
# Street words and their abbreviations, compared in full.
STREET_WORDS = {
    'st': 'street', 'str': 'strasse', 'ave': 'avenue', 'av': 'avenue',
    'avda': 'avenida', 'rd': 'road', 'blvd': 'boulevard', 'dr': 'drive',
    'ln': 'lane', 'ct': 'court', 'pl': 'place', 'sq': 'square',
    'hwy': 'highway', 'pkwy': 'parkway', 'ste': 'suite', 'apt': 'apartment',
    'fl': 'floor', 'n': 'north', 's': 'south', 'e': 'east', 'w': 'west',
    'c': 'calle', 'pza': 'plaza', 'nam': 'namesti',
    }
_PLACE_DOTS = re.compile(r"[.'’]")
_PLACE_SEPARATORS = re.compile(r'[^\w]+')


class _Country(NamedTuple):
    id: int
    code: str


def contact_name(contact):
    """The name a contact is imported under: its name, else its first
    e-mail, else its first phone"""
    return (contact.name
        or (contact.emails[0].address if contact.emails else '')
        or (contact.phones[0].number if contact.phones else ''))


def contact_is_person(contact):
    "Whether the contact is imported as a person: all but organisations"
    return contact.is_person or not (
        contact.person_name or contact.organisation)


def _place_key(text):
    "Countries, regions, cities and streets compare as their keys"
    text = _strip_accents(unicodedata.normalize('NFKC', text or ''))
    text = _PLACE_DOTS.sub('', text.casefold())
    return ' '.join(_PLACE_SEPARATORS.sub(' ', text).split())


def _street_key(street):
    words = []
    for word in _place_key(street).split():
        word = STREET_WORDS.get(word, word)
        # Hauptstr. and Hauptstraße
        if word.endswith('str') and len(word) > 3:
            word += 'asse'
        words.append(word)
    return ' '.join(words)


def _address_key(street, city, postal_code):
    return (_street_key(street), _place_key(city),
        ''.join(_place_key(postal_code).split()))


def _same_address(key, other):
    """Whether two address keys are the same address: the same street, and
    the same city and postal code where both have them"""
    if key[0] != other[0]:
        return False
    shared = [a == b for a, b in zip(key, other) if a and b]
    return bool(shared) and all(shared)


def _website_key(url):
    url = (url or '').strip().lower()
    for prefix in ('https://', 'http://', 'www.'):
        if url.startswith(prefix):
            url = url[len(prefix):]
    return url.rstrip('/')


def _merge_notes(notes, new):
    "The notes with the new ones added, unless they are there already"
    notes, new = (notes or '').strip(), (new or '').strip()
    if not new or new in notes:
        return notes
    return f'{notes}\n\n{new}' if notes else new


def _parse_phone(number, country_codes):
    "The phone number valid in the first of the countries that reads it"
    if not phonenumbers:
        return None
    for country_code in [*country_codes, None]:
        try:
            parsed = phonenumbers.parse(number, country_code)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return parsed


def _message(error):
    "The translated message of an ExchangeError, else its English text"
    try:
        return gettext(
            'crm_plus.msg_exchange_' + error.code,
            number=error.number, **error.params)
    except (KeyError, ValueError):
        return str(error)


class _Places:
    """The countries of an import: those of its contacts, of their
    organisations and of the company, in which their numbers are read"""

    def __init__(self, Party, contacts):
        self.Party = Party
        self.countries = Party._import_countries()
        self.company_codes = _phone_country_codes()
        self._subdivisions = {}
        self.organisation_codes = defaultdict(list)
        keys = set()
        for contact in contacts:
            if contact_is_person(contact):
                if contact.organisation:
                    keys.add(_name_key(contact.organisation))
            else:
                country = self.contact_country(contact)
                codes = self.organisation_codes[
                    _name_key(contact_name(contact))]
                if country and country.code not in codes:
                    codes.append(country.code)
        for key, codes in Party._organisation_countries(keys).items():
            self.organisation_codes[key].extend(
                c for c in codes if c not in self.organisation_codes[key])

    def country(self, text):
        return self.countries.get(_place_key(text)) if text else None

    def contact_country(self, contact):
        for address in contact.addresses:
            country = self.country(address.country)
            if country:
                return country

    def phone_codes(self, contact):
        """The countries in which the numbers of the contact are read: its
        address's, else its organisation's, else the company's"""
        codes = []
        country = self.contact_country(contact)
        if country:
            codes.append(country.code)
        if contact_is_person(contact) and contact.organisation:
            codes.extend(self.organisation_codes.get(
                    _name_key(contact.organisation), []))
        codes.extend(self.company_codes)
        return list(dict.fromkeys(codes))

    def subdivision(self, country, region):
        "The id of the subdivision of the country named or coded region"
        if not country or not region:
            return None
        if country.id not in self._subdivisions:
            self._subdivisions[country.id] = (
                self.Party._import_subdivisions(country))
        return self._subdivisions[country.id].get(
            (country.id, _place_key(region)))


class _AddressEntry:
    "An address of a partner: its key and its values, filled as it merges"
    __slots__ = ('id', 'key', 'values')

    def __init__(self, id_, values):
        self.id = id_
        self.values = values
        self.key = _address_key(
            values.get('street_unstructured'), values.get('city'),
            values.get('postal_code'))

    def same(self, key, country):
        return _same_address(self.key, key) and (
            not country or not self.values.get('country')
            or self.values['country'] == country)


class _Details:
    """The addresses and contact mechanisms of an import's partners: those
    they have, and those the contacts add"""

    def __init__(self, Party, party_ids, places):
        pool = Pool()
        Address = pool.get('party.address')
        Mechanism = pool.get('party.contact_mechanism')
        self.places = places
        self.addresses = defaultdict(list)
        self.mechanisms = defaultdict(set)
        # Only the partners that were there before have something to keep.
        # Read in SQL: records of thousands of partners would cost more
        # than the whole import.
        cursor = Transaction().connection.cursor()
        address = Address.__table__()
        mechanism = Mechanism.__table__()
        for sub in grouped_slice(party_ids, backend.MAX_QUERY_PARAMS):
            sub = list(sub)
            cursor.execute(*address.select(
                    address.id, address.party, address.street_unstructured,
                    address.city, address.postal_code, address.country,
                    address.subdivision,
                    where=address.party.in_(sub)
                    & (address.active == True)))  # noqa: E712
            for id_, party_id, *values in cursor:
                self.addresses[party_id].append(_AddressEntry(id_, dict(zip(
                                ['street_unstructured', 'city',
                                    'postal_code', 'country', 'subdivision'],
                                values))))
            cursor.execute(*mechanism.select(
                    mechanism.party, mechanism.type, mechanism.match_key,
                    mechanism.value,
                    where=mechanism.party.in_(sub)
                    & (mechanism.active == True)))  # noqa: E712
            for party_id, type_, match_key, value in cursor:
                self.mechanisms[party_id].add(
                    _website_key(value) if type_ == 'website'
                    else match_key or (value or '').lower())

    def add(self, contacts, parties):
        """Create the addresses and contact mechanisms of the contacts that
        their partners lack, complete the addresses they have, and return
        for each contact whether it added anything"""
        pool = Pool()
        Address = pool.get('party.address')
        Mechanism = pool.get('party.contact_mechanism')
        places = self.places
        addresses, mechanisms, to_write, raw = [], [], [], []
        added = []
        for contact, party_id in zip(contacts, parties):
            count = len(addresses) + len(mechanisms) + len(to_write)
            for address in contact.addresses:
                country = places.country(address.country)
                values = {
                    'street_unstructured': address.street or None,
                    'city': address.city or None,
                    'postal_code': address.postal_code or None,
                    'country': country.id if country else None,
                    'subdivision': places.subdivision(
                        country, address.region),
                    }
                key = _address_key(
                    address.street, address.city, address.postal_code)
                entry = next((e for e in self.addresses[party_id]
                        if e.same(key, values['country'])), None)
                if entry is None:
                    values['party'] = party_id
                    addresses.append(values)
                    self.addresses[party_id].append(
                        _AddressEntry(None, values))
                    continue
                fill = {k: v for k, v in values.items()
                    if v and not entry.values.get(k)}
                if fill.get('subdivision') and (
                        entry.values.get('country') or values['country']
                        ) != values['country']:
                    del fill['subdivision']
                if fill:
                    entry.values.update(fill)
                    entry.key = _AddressEntry(None, entry.values).key
                    if entry.id:
                        to_write.extend(([Address(entry.id)], fill))
            codes = places.phone_codes(contact)
            values = [(e.address, 'email', normalize_email(e.address))
                for e in contact.emails]
            for phone in contact.phones:
                type_ = PHONE_TYPES.get(phone.kind, 'phone')
                parsed = _parse_phone(phone.number, codes)
                if parsed:
                    # In the international form, which the host reads
                    # whatever the countries of the partner.
                    values.append((
                            phonenumbers.format_number(
                                parsed, PhoneNumberFormat.INTERNATIONAL),
                            type_, phonenumbers.format_number(
                                parsed, PhoneNumberFormat.E164)))
                else:
                    # Kept as written, with its kind, rather than lost.
                    raw.append(phone.number)
                    values.append((phone.number, type_,
                            normalize_phone(phone.number)
                            or phone.number.lower()))
            for website in contact.websites:
                values.append((website, 'website', _website_key(website)))
            for value, type_, key in values:
                if key in self.mechanisms[party_id]:
                    continue
                self.mechanisms[party_id].add(key)
                mechanisms.append({
                        'party': party_id,
                        'type': type_,
                        'value': value,
                        })
            added.append(
                len(addresses) + len(mechanisms) + len(to_write) > count)
        # The addresses before the contact mechanisms: the host checks the
        # phone numbers against the country of the partner's addresses.
        _create(Address, addresses)
        if to_write:
            Address.write(*to_write)
        with Transaction().set_context(
                _contact_import_raw_phones=tuple(raw)):
            _create(Mechanism, mechanisms)
        return added


class ContactImportStart(ModelView):
    __name__ = 'crm.contact.import.start'
    __string__ = "Import Contacts"
    file = fields.Binary("File", required=True, filename='filename')
    filename = fields.Char("File Name")
    format = fields.Selection(
        [(None, "Detect")] + FORMATS, "Format",
        help="Leave empty to detect the format from the file.")
    # What the file holds and the default of each contact, kept in the
    # session by the preview so that the file is read once; never shown.
    # A client may post them back changed, as any value of a wizard: the
    # import matches the contacts that update a partner again
    # (check_targets).
    reading = fields.Text("Reading", readonly=True)
    defaults = fields.Text("Defaults", readonly=True)
    # The numbers of the contacts listed by the preview, page after page,
    # the decisions taken on the pages left, and the page shown.
    listed = fields.Text("Listed", readonly=True)
    decisions = fields.Text("Decisions", readonly=True)
    page = fields.Integer("Page", readonly=True)
    turning = fields.Boolean("Turning", readonly=True)


class ContactImportPreview(ModelView):
    __name__ = 'crm.contact.import.preview'
    __string__ = "Import Contacts Preview"
    format = fields.Selection(FORMATS, "Format", readonly=True)
    total = fields.Integer(
        "Contacts", readonly=True, help="The contacts read from the file.")
    to_create = fields.Integer(
        "To Create", readonly=True,
        help="The contacts that create a partner by default.")
    to_update = fields.Integer(
        "To Update", readonly=True,
        help="The contacts that update their partner by default.")
    hidden = fields.Integer(
        "Not Listed", readonly=True,
        help="The contacts that need no decision and are not listed: "
        "they are imported with their default action.")
    page = fields.Integer(
        "Page", readonly=True,
        states={
            'invisible': Eval('pages', 1) <= 1,
            })
    pages = fields.Integer(
        "Of", readonly=True,
        states={
            'invisible': Eval('pages', 1) <= 1,
            },
        help="The pages of contacts listed: the choices made on a page are "
        "kept when turning to another.")
    lines = fields.One2Many(
        'crm.contact.import.line', None, "Contacts",
        help="What the import will do with each contact of the file; "
        "a large file lists only the contacts that need a decision, "
        "those of several matches first.")
    rejects = fields.Text(
        "Unreadable Cards", readonly=True,
        states={
            'invisible': ~Eval('rejects'),
            },
        help="The cards or lines of the file that cannot be read, with "
        "the reason.")
    skip_rejects = fields.Boolean(
        "Skip the Cards That Cannot Be Read",
        states={
            'invisible': ~Eval('rejects'),
            },
        help="Import the other contacts without the unreadable cards.")


class ContactInFileMixin:
    "A contact of the file, as a line of the preview or of the result"
    __slots__ = ()
    number = fields.Integer(
        "Number", readonly=True,
        help="The card of a vCard file, the line of a CSV file.")
    name = fields.Char("Name", readonly=True)


class ContactImportLine(ContactInFileMixin, ModelView):
    __name__ = 'crm.contact.import.line'
    __string__ = "Contact to Import"
    organisation = fields.Char("Organization", readonly=True)
    surname = fields.Char("Surname", readonly=True)
    job_title = fields.Char("Job Title", readonly=True)
    department = fields.Char("Department", readonly=True)
    emails = fields.Char("E-Mails", readonly=True)
    phones = fields.Char("Phones", readonly=True)
    dropped = fields.Char(
        "Left Out", readonly=True,
        help="The values of the contact that are not valid and are not "
        "imported.")
    status = fields.Selection([
            ('new', "New"),
            ('match', "Matched"),
            ('decide', "Several Matches"),
            ], "Status", readonly=True,
        help="New: no partner has the e-mail or phone, nor the name with "
        "the organization; partners of the same or a similar name are "
        "offered as candidates.\n"
        "Matched: one partner has them and is updated.\n"
        "Several matches: choose the partner to update or create one.")
    action = fields.Selection([
            ('create', "Create"),
            ('update', "Update"),
            ('skip', "Skip"),
            ], "Action", required=True,
        help="Create a partner, update the partner chosen, or leave the "
        "contact out of the import.")
    candidates = fields.Many2Many(
        'party.party', None, None, "Candidates", readonly=True)
    party = fields.Many2One(
        'party.party', "Partner",
        domain=[
            ('id', 'in', Eval('candidates', [])),
            ],
        states={
            'required': Eval('action') == 'update',
            'invisible': Eval('action') != 'update',
            },
        help="The partner the contact updates.")
    conflicts = fields.Text(
        "Conflicts", readonly=True,
        help="The values of the partner that the contact would change: "
        "they are kept unless Replace is checked.")
    replace = fields.Boolean(
        "Replace",
        states={
            'readonly': ~Eval('conflicts'),
            },
        help="Replace the partner's values listed in Conflicts by the "
        "contact's.")

    @classmethod
    def default_replace(cls):
        return False

    def _contact(self):
        contact = exchange.Contact(
            full_name=self.name or '', family_name=self.surname or '',
            organisation=self.organisation or '',
            job_title=self.job_title or '', department=self.department or '')
        return contact

    @fields.depends('action', 'party', 'name', 'surname', 'organisation',
        'job_title', 'department')
    def on_change_with_conflicts(self):
        pool = Pool()
        Party = pool.get('party.party')
        if self.action != 'update' or not self.party:
            return None
        (changes, conflicts), = Party.import_changes(
            [self._contact()], [self.party.id])
        return Party.format_import_conflicts(changes, conflicts)

    @fields.depends(methods=['on_change_with_conflicts'])
    def on_change_party(self):
        self.conflicts = self.on_change_with_conflicts()
        if not self.conflicts:
            self.replace = False

    @fields.depends(methods=['on_change_party'])
    def on_change_action(self):
        self.on_change_party()


class ImportCountsMixin:
    "What an import did with the contacts, counted by outcome"
    __slots__ = ()
    created = fields.Integer(
        "Created", readonly=True,
        help="The contacts imported as new partners.")
    updated = fields.Integer(
        "Updated", readonly=True,
        help="The contacts that added details to existing partners.")
    unchanged = fields.Integer(
        "Unchanged", readonly=True,
        help="The contacts whose partner already had all their details.")
    skipped = fields.Integer(
        "Skipped", readonly=True,
        help="The contacts left out of the import in the preview.")


class ContactImportResult(ImportCountsMixin, ModelView):
    __name__ = 'crm.contact.import.result'
    __string__ = "Imported Contacts"
    lines = fields.One2Many(
        'crm.contact.import.result.line', None, "Contacts", readonly=True,
        help="What the import did with each contact of the file; a large "
        "file lists only the contacts that imported nothing.")


class ContactImportResultLine(ContactInFileMixin, ModelView):
    __name__ = 'crm.contact.import.result.line'
    __string__ = "Imported Contact"
    outcome = fields.Selection(OUTCOMES, "Outcome", readonly=True)
    party = fields.Many2One('party.party', "Partner", readonly=True)
    reason = fields.Char(
        "Reason", readonly=True,
        help="Why nothing of the contact was imported.")


def outcome_reason(outcome, party_name):
    "The translated reason why a contact with outcome imported nothing"
    if outcome == 'unchanged':
        return gettext(
            'crm_plus.msg_contact_import_unchanged', party=party_name)
    elif outcome == 'skipped':
        return gettext('crm_plus.msg_contact_import_skipped')
    return None


CONTACT_FIELDS = [f.name for f in dataclasses.fields(exchange.Contact)]


def dump_reading(reading):
    "The JSON text of a Reading, to keep it in a session or a job"
    def error(e):
        return {'code': e.code, 'number': e.number, 'params': e.params}

    def contact(c):
        values = {f: getattr(c, f) for f in CONTACT_FIELDS}
        values['emails'] = [vars(e) for e in c.emails]
        values['phones'] = [vars(p) for p in c.phones]
        values['addresses'] = [vars(a) for a in c.addresses]
        values['birthday'] = c.birthday.isoformat() if c.birthday else None
        values['dropped'] = [error(e) for e in c.dropped]
        return values
    return json.dumps({
            'format': reading.format,
            'contacts': [contact(c) for c in reading.contacts],
            'rejects': [error(e) for e in reading.rejects],
            }, separators=(',', ':'))


def load_reading(text):
    "The Reading of a JSON text of dump_reading"
    def error(values):
        return exchange.ExchangeError(
            values['code'], values['number'], **values['params'])

    def contact(values):
        values['emails'] = [exchange.Email(**e) for e in values['emails']]
        values['phones'] = [exchange.Phone(**p) for p in values['phones']]
        values['addresses'] = [
            exchange.Address(**a) for a in values['addresses']]
        values['dropped'] = [error(e) for e in values['dropped']]
        if values['birthday']:
            values['birthday'] = datetime.date.fromisoformat(
                values['birthday'])
        return exchange.Contact(**values)
    values = json.loads(text)
    return exchange.Reading(
        values['format'], [contact(c) for c in values['contacts']],
        [error(e) for e in values['rejects']])


def load_session(text, default):
    """The JSON value the wizard keeps in its session: it comes back from
    the client like every value of a wizard, so a value that does not
    parse is taken as none"""
    try:
        value = json.loads(text) if text else default
    except ValueError:
        return default
    return value if isinstance(value, type(default)) else default


def decision_of(value):
    "The (action, party, replace) of a decision kept, None if malformed"
    if not isinstance(value, list) or len(value) != 3:
        return None
    action, party, replace = value
    if action not in {'create', 'update', 'skip'} or not (
            party is None or type(party) is int):
        return None
    return action, party, bool(replace)


def encode_decision(target, replace=False):
    "A decision of a job: the partner to update, with replace, or skip"
    if replace and target not in {None, SKIP}:
        return {'party': target, 'replace': True}
    return target


def decode_decision(decision):
    "The target and the replace of a decision of encode_decision"
    if isinstance(decision, dict):
        return decision['party'], bool(decision.get('replace'))
    return decision, False


class ContactImport(Wizard):
    "Import contacts from vCard, Outlook or Google CSV"
    __name__ = 'crm.contact.import'
    start = StateView(
        'crm.contact.import.start',
        'crm_plus.contact_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Preview", 'preview', 'tryton-forward', default=True),
            ])
    preview = StateView(
        'crm.contact.import.preview',
        'crm_plus.contact_import_preview_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Back", 'start', 'tryton-back'),
            Button("Previous Page", 'previous_page', 'tryton-back',
                states={
                    'invisible': Eval('pages', 1) <= 1,
                    'readonly': Eval('page', 1) <= 1,
                    }),
            Button("Next Page", 'next_page', 'tryton-forward',
                states={
                    'invisible': Eval('pages', 1) <= 1,
                    'readonly': Eval('page', 1) >= Eval('pages', 1),
                    }),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    previous_page = StateTransition()
    next_page = StateTransition()
    import_ = StateTransition()
    done = StateView(
        'crm.contact.import.result',
        'crm_plus.contact_import_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])
    queued = StateAction('crm_plus.act_contact_import_job_form')
    # Files of more contacts are imported in the queue: the user follows
    # the progress of the job instead of waiting on the request.
    queue_threshold = 200
    # The preview of a larger file lists only the contacts that need a
    # decision, by pages of this number: the client would build and send
    # back every line.
    preview_lines = 200

    @classmethod
    def get_preview_lines(cls):
        "The lines of the preview, lowered by the context (for tests)"
        return Transaction().context.get(
            'contact_import_preview_lines', cls.preview_lines)

    @classmethod
    def get_queue_threshold(cls):
        "The threshold, lowered by the context (for tests and scripts)"
        return Transaction().context.get(
            'contact_import_queue_threshold', cls.queue_threshold)

    def read_file(self):
        try:
            return exchange.read(self.start.file, self.start.format)
        except exchange.ExchangeError as error:
            raise_exchange_error(error)

    def get_reading(self):
        "The Reading of the file, read by the preview"
        if getattr(self, '_reading', None) is None:
            try:
                self._reading = load_reading(self.start.reading)
            except (ValueError, TypeError, KeyError, AttributeError):
                # Not what the preview kept: the file is read again.
                self._reading = self.read_file()
        return self._reading

    def default_preview(self, fields):
        if self.start.turning:
            # Another page of the same reading.
            self.start.turning = False
            return self.preview_page()
        return self.preview_file()

    def preview_file(self):
        "Read and match the file, and show the first page of its contacts"
        pool = Pool()
        Party = pool.get('party.party')
        reading = self._reading = self.read_file()
        format, contacts = reading.format, reading.contacts
        Party.check_import_contacts(format, contacts)
        matches = Party.match_import_contacts(contacts)
        large = len(contacts) > self.get_preview_lines()
        changes = [({}, [])] * len(contacts)
        if large:
            changes = Party.import_changes(contacts, [
                    same[0] if len(same) == 1 else None
                    for same, _ in matches])
        defaults, to_create, to_update = {}, 0, 0
        decide, listed = [], []
        for contact, (same, similar), (_, conflicts) in zip(
                contacts, matches, changes):
            if not same:
                # Similar names are offered, but only the user decides
                # that a contact is one of them.
                to_create += 1
            elif len(same) == 1:
                defaults[str(contact.number)] = same[0]
                to_update += 1
            else:
                # Waits for the user's choice: in a large file, listed
                # first.
                defaults[str(contact.number)] = DECIDE
                if large:
                    decide.append(contact.number)
                    continue
            # A large file lists only the contacts that need a look: the
            # default of the others is safe (create, or update without
            # replacing anything).
            if (not large or similar and not same or conflicts
                    or contact.dropped):
                listed.append(contact.number)
        # Kept in the session for the pages and the import, never shown.
        self.start.reading = dump_reading(reading)
        self.start.defaults = json.dumps(defaults)
        self.start.listed = json.dumps(decide + listed)
        self.start.decisions = None
        self.start.page = 1
        page = self.preview_page(
            dict(zip((c.number for c in contacts), matches)))
        page.update({
                'format': format,
                'total': len(contacts),
                'to_create': to_create,
                'to_update': to_update,
                'hidden': len(contacts) - len(decide) - len(listed),
                'rejects': '\n'.join(
                    _message(e) for e in reading.rejects) or None,
                'skip_rejects': False,
                })
        return page

    def preview_page(self, matches=None):
        """The lines of the page of the session, with the decisions taken
        on it before; matches maps the number of a contact to its
        (same, similar) when known"""
        pool = Pool()
        Party = pool.get('party.party')
        listed = load_session(self.start.listed, [])
        size = max(self.get_preview_lines(), 1)
        pages = max((len(listed) + size - 1) // size, 1)
        page = min(max(self.start.page or 1, 1), pages)
        numbers = listed[(page - 1) * size:page * size]
        by_number = {c.number: c for c in self.get_reading().contacts}
        contacts = [by_number[n] for n in numbers if n in by_number]
        if matches is None:
            matches = dict(zip((c.number for c in contacts),
                    Party.match_import_contacts(contacts)))
        decisions = load_session(self.start.decisions, {})
        lines, parties = [], []
        for contact in contacts:
            same, similar = matches[contact.number]
            if not same:
                status, action, party = 'new', 'create', None
            elif len(same) == 1:
                status, action, party = 'match', 'update', same[0]
            else:
                status, action, party = 'decide', 'update', None
            replace = False
            decision = decision_of(decisions.get(str(contact.number)))
            if decision:
                action, party, replace = decision
            if party not in same + similar:
                party = None
            parties.append(party if action == 'update' else None)
            lines.append({
                    'number': contact.number,
                    'name': contact_name(contact),
                    'organisation': (contact.organisation
                        if contact_is_person(contact) else ''),
                    'surname': contact.family_name,
                    'job_title': contact.job_title,
                    'department': contact.department,
                    'emails': ', '.join(e.address for e in contact.emails),
                    'phones': ', '.join(p.number for p in contact.phones),
                    'dropped': '; '.join(
                        _message(e) for e in contact.dropped) or None,
                    'status': status,
                    'action': action,
                    'candidates': same + similar,
                    'party': party,
                    'replace': bool(replace),
                    })
        for line, (values, conflicts) in zip(
                lines, Party.import_changes(contacts, parties)):
            line['conflicts'] = Party.format_import_conflicts(
                values, conflicts)
            line['replace'] = bool(line['replace'] and conflicts)
        self.start.page = page
        return {
            'format': self.preview.format,
            'total': self.preview.total,
            'to_create': self.preview.to_create,
            'to_update': self.preview.to_update,
            'hidden': self.preview.hidden,
            'rejects': self.preview.rejects,
            'skip_rejects': bool(self.preview.skip_rejects),
            'page': page,
            'pages': pages,
            'lines': lines,
            }

    def keep_decisions(self):
        "Keep in the session the decisions of the lines of the page"
        decisions = load_session(self.start.decisions, {})
        for line in self.preview.lines:
            decisions[str(line.number)] = [line.action,
                line.party.id if line.party else None, bool(line.replace)]
        self.start.decisions = json.dumps(decisions)

    def turn_page(self, step):
        self.keep_decisions()
        self.start.page = (self.start.page or 1) + step
        self.start.turning = True
        return 'preview'

    def transition_previous_page(self):
        return self.turn_page(-1)

    def transition_next_page(self):
        return self.turn_page(1)

    def get_targets(self, format, contacts):
        """The id of the partner to update of each contact, None to create
        one, or SKIP, and whether it replaces the partner's values

        Every value of a wizard's session comes back from the client, the
        partners of the preview as the defaults kept for the contacts not
        listed: each partner to update is checked against those the server
        finds for the contact again, so that no request can merge a
        contact into a partner it does not match."""
        self.keep_decisions()
        defaults = load_session(self.start.defaults, {})
        decisions = load_session(self.start.decisions, {})
        targets, replace, chosen = [], [], []
        for contact in contacts:
            decision = decision_of(decisions.get(str(contact.number)))
            chosen.append(decision is not None)
            if decision is None:
                target = defaults.get(str(contact.number))
                if target == DECIDE:
                    # Several matches on a page the user did not open.
                    raise _location_error(format, contact, 'undecided')
                targets.append(target)
                replace.append(False)
                continue
            action, party, replace_ = decision
            if action == 'update':
                if not party:
                    raise _location_error(format, contact, 'undecided')
                targets.append(party)
                replace.append(bool(replace_))
            elif action == 'skip':
                targets.append(SKIP)
                replace.append(False)
            else:
                targets.append(None)
                replace.append(False)
        self.check_targets(format, contacts, targets, chosen)
        return targets, replace

    @classmethod
    def check_targets(cls, format, contacts, targets, chosen):
        """Refuse a partner to update that the contact does not match: one
        of its candidates when the user chose it on a line of the preview,
        else its only match (the default of the contacts not listed).

        Only the contacts that update a partner are matched again: those
        that create one or are skipped change nobody."""
        pool = Pool()
        Party = pool.get('party.party')
        updating = [i for i, t in enumerate(targets)
            if t is not None and t != SKIP]
        matches = Party.match_import_contacts(
            [contacts[i] for i in updating])
        for index, (same, similar) in zip(updating, matches):
            if chosen[index]:
                allowed = same + similar
            else:
                allowed = same if len(same) == 1 else []
            target = targets[index]
            if isinstance(target, bool) or target not in allowed:
                raise _location_error(
                    format, contacts[index], 'not_candidate')

    def check_rejects(self, reading):
        "Refuse to import a file with unreadable cards unless skipped"
        if reading.rejects and not self.preview.skip_rejects:
            raise ExchangeError(gettext(
                    'crm_plus.msg_contact_import_rejects',
                    count=len(reading.rejects),
                    first=_message(reading.rejects[0])))

    def transition_import_(self):
        pool = Pool()
        Party = pool.get('party.party')
        reading = self.get_reading()
        self.check_rejects(reading)
        format, contacts = reading.format, reading.contacts
        targets, replace = self.get_targets(format, contacts)
        # Jobs belong to a company: without one (a database whose company
        # is not set up yet) the import runs here, as for small files.
        if (len(contacts) > self.get_queue_threshold()
                and Transaction().context.get('company')):
            self._targets = targets, replace
            return 'queued'
        outcomes = []
        parties = Party.import_contacts(
            format, contacts, targets, outcomes=outcomes, replace=replace)
        # The summary is shown by the next state, from the session.
        self.done.created = outcomes.count('created')
        self.done.updated = outcomes.count('updated')
        self.done.unchanged = outcomes.count('unchanged')
        self.done.skipped = outcomes.count('skipped')
        rows = list(zip(contacts, outcomes, parties))
        if len(rows) > self.get_preview_lines():
            rows = [r for r in rows if r[1] not in {'created', 'updated'}
                ][:self.get_preview_lines()]
        names = {p.id: p.rec_name for p in Party.browse(
                list({p for _, o, p in rows if p and o == 'unchanged'}))}
        self.done.lines = [{
                'number': contact.number,
                'name': contact_name(contact),
                'outcome': outcome,
                'party': party,
                'reason': outcome_reason(outcome, names.get(party, '')),
                } for contact, outcome, party in rows]
        return 'done'

    def default_done(self, fields):
        return {
            'created': self.done.created,
            'updated': self.done.updated,
            'unchanged': self.done.unchanged,
            'skipped': self.done.skipped,
            'lines': [{
                    'number': l.number,
                    'name': l.name,
                    'outcome': l.outcome,
                    'party': l.party.id if l.party else None,
                    'reason': l.reason,
                    } for l in self.done.lines],
            }

    def do_queued(self, action):
        pool = Pool()
        Job = pool.get('crm.contact.import.job')
        reading = self.get_reading()
        if getattr(self, '_targets', None) is None:
            self.check_rejects(reading)
            self._targets = self.get_targets(
                reading.format, reading.contacts)
        targets, replace = self._targets
        # Users only read their jobs: the states and counts are the
        # import's, so the job is created here, for the user, as the
        # wizard they are allowed to run.
        with without_check_access():
            job = Job(
                file=self.start.file,
                filename=self.start.filename,
                format=reading.format,
                reading=self.start.reading,
                skip_rejects=bool(self.preview.skip_rejects),
                decisions={str(c.number): encode_decision(t, r)
                    for c, t, r in zip(reading.contacts, targets, replace)
                    if t},
                total=len(reading.contacts))
            job.save()
            Job.queue([job])
        action['res_id'] = [job.id]
        action['views'].reverse()
        return action, {}


class ContactExportStart(ModelView):
    __name__ = 'crm.contact.export.start'
    __string__ = "Export Contacts"
    format = fields.Selection(FORMATS, "Format", required=True)
    party_count = fields.Integer("Partners", readonly=True)

    @classmethod
    def default_format(cls):
        return 'vcard3'


class ContactExportResult(ModelView):
    __name__ = 'crm.contact.export.result'
    __string__ = "Exported Contacts"
    file = fields.Binary("File", filename='filename', readonly=True)
    filename = fields.Char("File Name", readonly=True)


class ContactExport(Wizard):
    "Export partners as vCard, Outlook or Google CSV"
    __name__ = 'crm.contact.export'
    start = StateView(
        'crm.contact.export.start',
        'crm_plus.contact_export_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Export", 'result', 'tryton-ok', default=True),
            ])
    result = StateView(
        'crm.contact.export.result',
        'crm_plus.contact_export_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def get_parties(self):
        pool = Pool()
        Party = pool.get('party.party')
        # From a partner list, the selected partners; else (none selected,
        # or from the menu) all of them.
        if (self.model and self.model.__name__ == 'party.party'
                and self.records):
            return list(self.records)
        return Party.search([])

    def default_start(self, fields):
        return {'party_count': len(self.get_parties())}

    def default_result(self, fields):
        pool = Pool()
        Party = pool.get('party.party')
        format = self.start.format
        contacts = Party.export_contacts(self.get_parties())
        return {
            'file': exchange.write(contacts, format),
            'filename': 'contacts.%s' % exchange.EXTENSIONS[format],
            }


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    @classmethod
    def _import_countries(cls):
        """Countries by place key of their codes, of their names in every
        language of the database and of the usual other names"""
        pool = Pool()
        Country = pool.get('country.country')
        Translation = pool.get('ir.translation')
        cursor = Transaction().connection.cursor()
        country = Country.__table__()
        translation = Translation.__table__()
        by_id, names = {}, []
        cursor.execute(*country.select(
                country.id, country.code, country.code3, country.name,
                where=country.active == True))  # noqa: E712
        for id_, code, code3, name in cursor:
            by_id[id_] = _Country(id_, code.upper())
            names.append((name, id_))
            names.extend((c, id_) for c in (code, code3) if c)
        cursor.execute(*translation.select(
                translation.res_id, translation.value,
                where=(translation.name == 'country.country,name')
                & (translation.type == 'model')
                & (translation.value != Null)))
        names.extend((value, res_id) for res_id, value in cursor)
        by_code = {c.code: c for c in by_id.values()}
        countries = {}
        for code, aliases in COUNTRY_ALIASES.items():
            if code in by_code:
                countries.update(
                    (_place_key(a), by_code[code]) for a in aliases)
        # The names the database knows win over the aliases.
        countries.update(
            (_place_key(n), by_id[i]) for n, i in names if i in by_id)
        countries.pop('', None)
        return countries

    @classmethod
    def _import_subdivisions(cls, country):
        """The subdivisions of the country that its addresses take, by
        (country id, place key of their name, code or code without the
        country's prefix)"""
        pool = Pool()
        Subdivision = pool.get('country.subdivision')
        Types = pool.get('party.address.subdivision_type')
        cursor = Transaction().connection.cursor()
        subdivision = Subdivision.__table__()
        codes, names = {}, {}
        where = ((subdivision.country == country.id)
            & (subdivision.active == True))  # noqa: E712
        types = Types.get_types(country)
        if types:
            where &= subdivision.type.in_(types)
        cursor.execute(*subdivision.select(
                subdivision.id, subdivision.country, subdivision.name,
                subdivision.code, where=where, order_by=subdivision.id.desc))
        for id_, country_id, name, code in cursor:
            names[country_id, _place_key(name)] = id_
            if code:
                codes[country_id, _place_key(code)] = id_
                codes[country_id, _place_key(code.split('-')[-1])] = id_
        return {**codes, **names}

    @classmethod
    def _organisation_countries(cls, keys):
        """The codes of the countries of the addresses of the oldest active
        organisation of each name key"""
        pool = Pool()
        Address = pool.get('party.address')
        Country = pool.get('country.country')
        cursor = Transaction().connection.cursor()
        party = cls.__table__()
        address = Address.__table__()
        country = Country.__table__()
        result = defaultdict(list)
        found = cls._find_organisations(keys)
        by_id = defaultdict(list)
        for key, party_id in found.items():
            by_id[party_id].append(key)
        for sub in grouped_slice(by_id, backend.MAX_QUERY_PARAMS):
            cursor.execute(*party.join(address,
                    condition=address.party == party.id
                    ).join(country, condition=address.country == country.id
                    ).select(party.id, country.code,
                    where=party.id.in_(list(sub))
                    & (address.active == True),  # noqa: E712
                    order_by=[party.id, address.sequence, address.id]))
            for party_id, code in cursor:
                for key in by_id[party_id]:
                    if code not in result[key]:
                        result[key].append(code)
        return result

    @classmethod
    def check_import_contacts(cls, format, contacts):
        "Refuse the file with the first contact that cannot be imported"
        for contact in contacts:
            if not contact_name(contact):
                location = exchange.LOCATIONS[format]
                raise ExchangeError(gettext(
                        f'crm_plus.msg_contact_import_{location}_empty',
                        number=contact.number))
            for email in contact.emails:
                try:
                    validate_email(email.address)
                except EmailNotValidError:
                    raise _location_error(
                        format, contact, 'invalid_email',
                        email=email.address)

    @classmethod
    def match_import_contacts(cls, contacts, places=None):
        """Return for each contact (same, similar): the ids of the partners
        that are the contact, and the ids of the others offered as
        candidates.

        A partner is the contact when it shares an e-mail or a phone with
        it, or, without any, when it has the same name and kind and, for a
        person, works for an organisation of the same name (or, for a
        contact without organisation, e-mail nor phone, for none): the same
        name alone is a candidate, as two persons may share it.

        The whole list is matched at once by find_duplicates, then the
        keys of the partners found are read in two queries."""
        pool = Pool()
        Mechanism = pool.get('party.contact_mechanism')
        cursor = Transaction().connection.cursor()
        mechanism = Mechanism.__table__()
        party = cls.__table__()
        organisation = cls.__table__()
        if places is None:
            places = _Places(cls, contacts)

        candidates, keys = [], []
        for contact in contacts:
            codes = places.phone_codes(contact)
            emails = set(filter(None, (
                        normalize_email(e.address) for e in contact.emails)))
            phones = set(filter(None, (
                        normalize_phone(p.number, codes)
                        for p in contact.phones)))
            is_person = contact_is_person(contact)
            kind = 'person' if is_person else 'organisation'
            name = contact_name(contact)
            candidates.append({
                    'name': name,
                    'emails': sorted(emails),
                    'phones': sorted(phones),
                    'party_kind': kind,
                    })
            keys.append((emails | phones, normalize_name(name), kind,
                    _name_key(contact.organisation)
                    if is_person and contact.organisation else None,
                    bool(emails or phones)))
        # E-mails and phones first: the similarity of names costs most and
        # matters only for the contacts that none of them found.
        found = cls.find_duplicates([
                {k: v for k, v in c.items() if k != 'name'}
                for c in candidates])
        unmatched = [i for i, parties in enumerate(found) if not parties]
        for i, parties in zip(unmatched, cls.find_duplicates(
                    [candidates[i] for i in unmatched])):
            found[i] = parties

        ids = {p.id for parties in found for p in parties}
        party_keys = defaultdict(set)
        name_keys = {}
        for sub in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            sub = list(sub)
            cursor.execute(*mechanism.select(
                    mechanism.party, mechanism.match_key,
                    where=mechanism.party.in_(sub)
                    & (mechanism.match_key != Null)
                    & (mechanism.active == True)))  # noqa: E712
            for party_id, key in cursor:
                party_keys[party_id].add(key)
            cursor.execute(*party.join(organisation, 'LEFT',
                    condition=party.organisation == organisation.id
                    ).select(party.id, party.name_key, party.party_kind,
                    organisation.name_key,
                    where=party.id.in_(sub)))
            for party_id, name_key, kind, organisation_key in cursor:
                name_keys[party_id] = (name_key, kind, organisation_key)

        result = []
        for (contact_keys, name_key, kind, organisation_key, reachable
                ), parties in zip(keys, found):
            same = [p.id for p in parties if party_keys[p.id] & contact_keys]
            if not same:
                # An organisation is known by its name; a person by the
                # name together with the organisation's, or the lack of
                # one when nothing else of the contact (an e-mail or a
                # phone not shared) tells another person.
                same = [p.id for p in parties
                    if name_keys[p.id][:2] == (name_key, kind)
                    and (kind == 'organisation'
                        or name_keys[p.id][2] == organisation_key and (
                            organisation_key or not reachable))]
            similar = [p.id for p in parties if p.id not in same]
            result.append((same, similar))
        return result

    @classmethod
    def import_changes(cls, contacts, party_ids):
        """Return for each contact and its partner (None for none) the
        changes the contact brings to the partner's fields: a dictionary of
        field name to (old, new), old empty for a value filled, and the
        list of the names of the fields whose non-empty value differs (the
        conflicts, written only when the user chooses so).

        The name stays as the user wrote it; the notes of the file are
        added to the partner's."""
        current = {}
        fields = ['surname', 'job_title', 'department', 'private_notes',
            'organisation.name']
        ids = {i for i in party_ids if i is not None}
        for sub in grouped_slice(ids, 1000):
            current.update((r['id'], r) for r in cls.read(list(sub), fields))
        result = []
        for contact, party_id in zip(contacts, party_ids):
            changes, conflicts = {}, []
            if party_id is not None:
                values = current[party_id]
                olds = {
                    'surname': values['surname'],
                    'job_title': values['job_title'],
                    'department': values['department'],
                    'organisation': (values['organisation.'] or {}).get(
                        'name'),
                    }
                news = {}
                if contact_is_person(contact):
                    news = {
                        'organisation': contact.organisation,
                        'surname': contact.family_name,
                        'job_title': contact.job_title,
                        'department': contact.department,
                        }
                for name, new in news.items():
                    old = olds[name]
                    if not new:
                        continue
                    if name == 'organisation':
                        same = old and _name_key(old) == _name_key(new)
                    else:
                        same = (old or '').strip() == new.strip()
                    if same:
                        continue
                    changes[name] = (old or '', new)
                    if old:
                        conflicts.append(name)
                notes = _merge_notes(values['private_notes'], contact.notes)
                if notes != (values['private_notes'] or ''):
                    changes['private_notes'] = (
                        values['private_notes'] or '', notes)
            result.append((changes, conflicts))
        return result

    @classmethod
    def format_import_conflicts(cls, changes, conflicts):
        "The text of the conflicts: a line of old → new for each"
        strings = {n: f['string']
            for n, f in cls.fields_get(list(conflicts)).items()}
        return '\n'.join(gettext('crm_plus.msg_contact_import_conflict',
                field=strings[n], old=changes[n][0], new=changes[n][1])
            for n in conflicts) or None

    @classmethod
    def import_contacts(
            cls, format, contacts, targets, progress=None, outcomes=None,
            replace=None):
        """Create or update the partners of the contacts and return their
        ids (None for a contact skipped).

        targets holds for each contact the id of the partner to update, None
        to create one, or SKIP to leave the contact out. Organisations named
        by the contacts are matched by name or created, and the contacts
        linked to them. Everything is created and written by batches.

        An update fills the empty fields of the partner, adds the notes,
        addresses and contact mechanisms it lacks, and replaces a value
        that differs only for the contacts whose replace is true.

        progress, when given, is called with the number of contacts done
        (partner, addresses and contact mechanisms) after each batch: the
        queued imports show it to the user.

        outcomes, when given, is a list extended with what became of each
        contact (see OUTCOMES): created, updated (a value written or an
        address or a contact mechanism added), unchanged or skipped."""
        if replace is None:
            replace = [False] * len(contacts)
        kept = [i for i, t in enumerate(targets) if t != SKIP]
        kept_outcomes = []
        parties = cls._import_contacts(
            format, [contacts[i] for i in kept], [targets[i] for i in kept],
            [replace[i] for i in kept], progress, kept_outcomes)
        result = [None] * len(contacts)
        done = ['skipped'] * len(contacts)
        for index, party, outcome in zip(kept, parties, kept_outcomes):
            result[index] = party
            done[index] = outcome
        if outcomes is not None:
            outcomes.extend(done)
        return result

    @classmethod
    def _import_contacts(
            cls, format, contacts, targets, replace, progress, outcomes):
        cls.check_import_contacts(format, contacts)
        places = _Places(cls, contacts)
        # The company's countries are read once for all the numbers that
        # the contact mechanisms normalise and check.
        with Transaction().set_context(
                _company_phone_codes=tuple(places.company_codes)):
            return cls._import_partners(
                contacts, targets, replace, places, progress, outcomes)

    @classmethod
    def _import_partners(
            cls, contacts, targets, replace, places, progress, outcomes):
        is_person = [contact_is_person(c) for c in contacts]
        changes = cls.import_changes(contacts, targets)
        # The values each updated partner gets: the empty ones filled, the
        # notes added, and the others only where the user chose to replace.
        updates = {}
        for index, (values, conflicts) in enumerate(changes):
            if targets[index]:
                updates[index] = {n: new for n, (_, new) in values.items()
                    if n not in conflicts or replace[index]}

        # Organisations first, so that the persons can be linked to them.
        organisations = {}
        order = sorted(range(len(contacts)), key=lambda i: is_person[i])
        parties = [None] * len(contacts)
        to_create = []
        for index in order:
            contact = contacts[index]
            if is_person[index]:
                continue
            if targets[index]:
                parties[index] = targets[index]
                organisations.setdefault(
                    _name_key(contact_name(contact)), targets[index])
            else:
                to_create.append(index)
        names = {}
        for index in order:
            contact = contacts[index]
            if is_person[index] and contact.organisation and (
                    not targets[index]
                    or 'organisation' in updates[index]):
                names[_name_key(contact.organisation)] = contact.organisation
        notes = {}
        for index in to_create:
            name = contact_name(contacts[index])
            names[_name_key(name)] = name
            notes[_name_key(name)] = _merge_notes(
                notes.get(_name_key(name)), contacts[index].notes)
        found = cls._find_organisations(set(names) - set(organisations))
        organisations.update(found)
        new_names = sorted(set(names) - set(organisations))
        new_organisations = _create(cls, [{
                    'name': names[n],
                    'party_kind': 'organisation',
                    'private_notes': notes.get(n) or None,
                    } for n in new_names])
        organisations.update(
            (n, p.id) for n, p in zip(new_names, new_organisations))
        for index in to_create:
            parties[index] = organisations[_name_key(
                    contact_name(contacts[index]))]
        created_ids = {p.id for p in new_organisations}

        # Then the persons.
        new_persons = [
            i for i in order if is_person[i] and not targets[i]]
        created = _create(cls, [
                cls._import_person_values(contacts[i], organisations)
                for i in new_persons])
        for index, person in zip(new_persons, created):
            parties[index] = person.id
        created_ids.update(p.id for p in created)

        # The contacts that write a value on their partner or add details.
        changed = set()
        updated = defaultdict(list)
        for index in order:
            if not targets[index]:
                continue
            parties[index] = targets[index]
            values = dict(updates[index])
            if 'organisation' in values:
                values['organisation'] = organisations[
                    _name_key(values['organisation'])]
            if values:
                updated[tuple(sorted(values.items()))].append(
                    targets[index])
                changed.add(index)
        # One write per list of 250 partners, whatever their values, for
        # the same reason as the creation.
        to_write, size = [], 0
        for values, ids in updated.items():
            to_write.extend((cls.browse(ids), dict(values)))
            size += len(ids)
            if size >= 250:
                cls.write(*to_write)
                to_write, size = [], 0
        if to_write:
            cls.write(*to_write)

        details = _Details(cls, {t for t in targets if t}
            | set(found.values()), places)
        # The addresses and contact mechanisms by batches of contacts, so
        # that the progress moves with them; the partners are all there.
        size = 500
        if progress:
            progress(0)
        for start in range(0, len(contacts), size):
            added = cls._import_details(
                details, contacts[start:start + size],
                parties[start:start + size])
            changed.update(start + i for i, a in enumerate(added) if a)
            if progress:
                progress(min(start + size, len(contacts)))

        # A partner created for several contacts (the cards of one
        # organisation) is created by the first one.
        seen = set()
        for index, party_id in enumerate(parties):
            if party_id in created_ids and party_id not in seen:
                outcomes.append('created')
            elif index in changed:
                outcomes.append('updated')
            else:
                outcomes.append('unchanged')
            seen.add(party_id)
        return parties

    @classmethod
    def _import_details(cls, details, contacts, parties):
        """Add the addresses and contact mechanisms of the contacts to their
        partners and return for each contact whether it added any"""
        return details.add(contacts, parties)

    @classmethod
    def _find_organisations(cls, keys):
        "The oldest active organisation of each name key"
        cursor = Transaction().connection.cursor()
        party = cls.__table__()
        result = {}
        for sub in grouped_slice(keys, backend.MAX_QUERY_PARAMS):
            cursor.execute(*party.select(
                    party.name_key, party.id,
                    where=party.name_key.in_(list(sub))
                    & (party.party_kind == 'organisation')
                    & (party.active == True),  # noqa: E712
                    order_by=party.id.desc))
            result.update(cursor)
        return result

    @classmethod
    def _import_person_values(cls, contact, organisations):
        values = {
            'name': contact_name(contact),
            'party_kind': 'person',
            'surname': contact.family_name or None,
            'job_title': contact.job_title or None,
            'department': contact.department or None,
            'private_notes': contact.notes or None,
            'organisation': (organisations[_name_key(contact.organisation)]
                if contact.organisation else None),
            }
        return values

    @classmethod
    def export_contacts(cls, parties):
        "Return the neutral contacts of the parties"
        contacts = []
        for sub in grouped_slice(parties, backend.MAX_QUERY_PARAMS):
            for party in cls.browse(list(sub)):
                contacts.append(party._export_contact())
        return contacts

    def _export_contact(self):
        contact = exchange.Contact(full_name=self.name or '')
        if self.party_kind == 'person':
            contact.family_name = self.surname or ''
            contact.given_name = _given_name(self.name or '', self.surname)
            if self.organisation:
                contact.organisation = self.organisation.name
            contact.job_title = self.job_title or ''
            contact.department = self.department or ''
        else:
            contact.organisation = self.name or ''
        contact.notes = self.private_notes or ''
        # A person without an organisation has home addresses and numbers.
        work = self.party_kind == 'organisation' or bool(self.organisation)
        kind = 'work' if work else 'home'
        for mechanism in self.contact_mechanisms:
            if mechanism.type == 'email':
                contact.emails.append(
                    exchange.Email(mechanism.value, kind))
            elif mechanism.type in MECHANISM_PHONE_KINDS:
                phone_kind = MECHANISM_PHONE_KINDS[mechanism.type]
                if phone_kind == 'work':
                    phone_kind = kind
                contact.phones.append(
                    exchange.Phone(mechanism.value, phone_kind))
            elif mechanism.type == 'website':
                contact.websites.append(mechanism.value)
        for address in self.addresses:
            contact.addresses.append(exchange.Address(
                    street=address.street_unstructured or '',
                    city=address.city or '',
                    postal_code=address.postal_code or '',
                    region=(address.subdivision.name
                        if address.subdivision else ''),
                    country=address.country.name if address.country else '',
                    kind=kind))
        return contact


def _given_name(name, surname):
    "The name without the surname, at its end or, in Asian order, start"
    if surname and name != surname:
        if name.endswith(surname):
            return name[:-len(surname)].strip()
        if name.startswith(surname):
            return name[len(surname):].strip()
    return name if not surname else ''
