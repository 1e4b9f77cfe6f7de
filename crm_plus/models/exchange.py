# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Import and export of contacts as vCard and Outlook or Google CSV.

The formats themselves are in crm_plus.exchange, without Tryton; here the
neutral contacts become partners, contact persons, contact mechanisms and
addresses, and back.
"""
from collections import defaultdict

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
    _phone_country_codes, normalize_email, normalize_name, normalize_phone)

try:
    import phonenumbers
    from phonenumbers import NumberParseException
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


def _valid_phone(number, country_codes):
    """Whether the host accepts the number as a phone: the others are kept
    as "other" contact mechanisms, which it does not check, rather than
    refusing the whole file."""
    if not phonenumbers:
        return True
    for country_code in [*country_codes, None]:
        try:
            parsed = phonenumbers.parse(number, country_code)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return True
    return False


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


class ContactImportStart(ModelView):
    __name__ = 'crm.contact.import.start'
    __string__ = "Import Contacts"
    file = fields.Binary("File", required=True, filename='filename')
    filename = fields.Char("File Name")
    format = fields.Selection(
        [(None, "Detect")] + FORMATS, "Format",
        help="Leave empty to detect the format from the file.")


class ContactImportPreview(ModelView):
    __name__ = 'crm.contact.import.preview'
    __string__ = "Import Contacts Preview"
    format = fields.Selection(FORMATS, "Format", readonly=True)
    lines = fields.One2Many(
        'crm.contact.import.line', None, "Contacts",
        help="What the import will do with each contact of the file.")


class ContactImportLine(ModelView):
    __name__ = 'crm.contact.import.line'
    __string__ = "Contact to Import"
    number = fields.Integer(
        "Number", readonly=True,
        help="The card of a vCard file, the line of a CSV file.")
    name = fields.Char("Name", readonly=True)
    organisation = fields.Char("Organization", readonly=True)
    emails = fields.Char("E-Mails", readonly=True)
    phones = fields.Char("Phones", readonly=True)
    status = fields.Selection([
            ('new', "New"),
            ('match', "Matched"),
            ('decide', "Several Matches"),
            ], "Status", readonly=True,
        help="New: no partner has the e-mail, phone or name; partners with "
        "a similar name are offered as candidates.\n"
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
        help="What the import did with each contact of the file.")


class ContactImportResultLine(ModelView):
    __name__ = 'crm.contact.import.result.line'
    __string__ = "Imported Contact"
    number = fields.Integer(
        "Number", readonly=True,
        help="The card of a vCard file, the line of a CSV file.")
    name = fields.Char("Name", readonly=True)
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
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
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

    @classmethod
    def get_queue_threshold(cls):
        "The threshold, lowered by the context (for tests and scripts)"
        return Transaction().context.get(
            'contact_import_queue_threshold', cls.queue_threshold)

    def read_file(self):
        try:
            return exchange.read(self.start.file, self.start.format)[:2]
        except exchange.ExchangeError as error:
            raise_exchange_error(error)

    def default_preview(self, fields):
        pool = Pool()
        Party = pool.get('party.party')
        format, contacts = self.read_file()
        Party.check_import_contacts(format, contacts)
        lines = []
        for contact, (same, similar) in zip(
                contacts, Party.match_import_contacts(contacts)):
            candidates = same + similar
            if not same:
                # Similar names are offered, but only the user decides
                # that a contact is one of them.
                status, action, party = 'new', 'create', None
            elif len(same) == 1:
                status, action, party = 'match', 'update', same[0]
            else:
                status, action, party = 'decide', 'update', None
            lines.append({
                    'number': contact.number,
                    'name': contact.name,
                    'organisation': (
                        contact.organisation if contact.is_person else ''),
                    'emails': ', '.join(e.address for e in contact.emails),
                    'phones': ', '.join(p.number for p in contact.phones),
                    'status': status,
                    'action': action,
                    'candidates': candidates,
                    'party': party,
                    })
        return {'format': format, 'lines': lines}

    def get_targets(self, format, contacts):
        """The id of the partner to update of each contact, None to create
        one, or SKIP"""
        decisions = {l.number: l for l in self.preview.lines}
        targets = []
        for contact in contacts:
            line = decisions.get(contact.number)
            if line and line.action == 'update':
                if not line.party:
                    raise _location_error(format, contact, 'undecided')
                targets.append(line.party.id)
            elif line and line.action == 'skip':
                targets.append(SKIP)
            else:
                targets.append(None)
        return targets

    def transition_import_(self):
        pool = Pool()
        Party = pool.get('party.party')
        # The file is read again: the preview keeps only what the user
        # decides, and the same file gives the same contacts.
        format, contacts = self.read_file()
        targets = self.get_targets(format, contacts)
        # Jobs belong to a company: without one (a database whose company
        # is not set up yet) the import runs here, as for small files.
        if (len(contacts) > self.get_queue_threshold()
                and Transaction().context.get('company')):
            return 'queued'
        outcomes = []
        parties = Party.import_contacts(
            format, contacts, targets, outcomes=outcomes)
        # The summary is shown by the next state, from the session.
        self.done.created = outcomes.count('created')
        self.done.updated = outcomes.count('updated')
        self.done.unchanged = outcomes.count('unchanged')
        self.done.skipped = outcomes.count('skipped')
        self.done.lines = [{
                'number': contact.number,
                'name': contact.name,
                'outcome': outcome,
                'party': party.id if party else None,
                'reason': outcome_reason(
                    outcome, party.rec_name if party else ''),
                } for contact, outcome, party in zip(
                contacts, outcomes, parties)]
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
        format, contacts = self.read_file()
        targets = self.get_targets(format, contacts)
        # Users only read their jobs: the states and counts are the
        # import's, so the job is created here, for the user, as the
        # wizard they are allowed to run.
        with without_check_access():
            job = Job(
                file=self.start.file,
                filename=self.start.filename,
                format=format,
                decisions={str(c.number): t
                    for c, t in zip(contacts, targets) if t},
                total=len(contacts))
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
        "Countries by lowered code and name, in English and user's language"
        pool = Pool()
        Country = pool.get('country.country')
        countries = {}
        languages = {'en', Transaction().language}
        for language in languages:
            with Transaction().set_context(language=language):
                for country in Country.search([]):
                    countries[country.name.lower()] = country
                    countries[country.code.lower()] = country
                    if country.code3:
                        countries[country.code3.lower()] = country
        return countries

    @classmethod
    def _contact_country(cls, contact, countries):
        for address in contact.addresses:
            country = countries.get(address.country.lower())
            if country:
                return country

    @classmethod
    def check_import_contacts(cls, format, contacts):
        "Refuse the file with the first contact that cannot be imported"
        for contact in contacts:
            if not contact.name:
                raise _location_error(format, contact, 'no_name')
            for email in contact.emails:
                try:
                    validate_email(email.address)
                except EmailNotValidError:
                    raise _location_error(
                        format, contact, 'invalid_email',
                        email=email.address)

    @classmethod
    def match_import_contacts(cls, contacts):
        """Return for each contact (same, similar): the ids of the partners
        that are the contact, sharing an e-mail or a phone with it (else
        the same name), and the ids of those with a similar name only.

        The whole list is matched at once by find_duplicates, then the
        keys of the partners found are read in two queries."""
        pool = Pool()
        Mechanism = pool.get('party.contact_mechanism')
        cursor = Transaction().connection.cursor()
        mechanism = Mechanism.__table__()
        party = cls.__table__()
        countries = cls._import_countries()
        company_codes = _phone_country_codes()

        candidates, keys = [], []
        for contact in contacts:
            codes = cls._phone_codes(contact, countries, company_codes)
            emails = set(filter(None, (
                        normalize_email(e.address) for e in contact.emails)))
            phones = set(filter(None, (
                        normalize_phone(p.number, codes)
                        for p in contact.phones)))
            kind = 'person' if contact.is_person else 'organisation'
            candidates.append({
                    'name': contact.name,
                    'emails': sorted(emails),
                    'phones': sorted(phones),
                    'party_kind': kind,
                    })
            keys.append((emails | phones, normalize_name(contact.name), kind))
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
            cursor.execute(*party.select(
                    party.id, party.name_key, party.party_kind,
                    where=party.id.in_(sub)))
            for party_id, name_key, kind in cursor:
                name_keys[party_id] = (name_key, kind)

        result = []
        for (contact_keys, name_key, kind), parties in zip(keys, found):
            same = [p.id for p in parties if party_keys[p.id] & contact_keys]
            if not same:
                # Without a shared e-mail or phone, the same name of the
                # same kind is the same partner.
                same = [p.id for p in parties
                    if name_keys[p.id] == (name_key, kind)]
            similar = [p.id for p in parties if p.id not in same]
            result.append((same, similar))
        return result

    @classmethod
    def _phone_codes(cls, contact, countries, company_codes):
        "The countries in which the phone numbers of contact are read"
        country = cls._contact_country(contact, countries)
        codes = [country.code] if country else []
        return codes + [c for c in company_codes if c not in codes]

    @classmethod
    def import_contacts(
            cls, format, contacts, targets, progress=None, outcomes=None):
        """Create or update the partners of the contacts and return them
        (None for a contact skipped).

        targets holds for each contact the id of the partner to update, None
        to create one, or SKIP to leave the contact out. Organisations named
        by the contacts are matched by name or created, and the contacts
        linked to them. Everything is created and written by batches.

        progress, when given, is called with the number of contacts done
        (partner, addresses and contact mechanisms) after each batch: the
        queued imports show it to the user.

        outcomes, when given, is a list extended with what became of each
        contact (see OUTCOMES): created, updated (a value written or an
        address or a contact mechanism added), unchanged or skipped."""
        kept = [i for i, t in enumerate(targets) if t != SKIP]
        kept_outcomes = []
        parties = cls._import_contacts(
            format, [contacts[i] for i in kept], [targets[i] for i in kept],
            progress, kept_outcomes)
        result = [None] * len(contacts)
        done = ['skipped'] * len(contacts)
        for index, party, outcome in zip(kept, parties, kept_outcomes):
            result[index] = party
            done[index] = outcome
        if outcomes is not None:
            outcomes.extend(done)
        return result

    @classmethod
    def _import_contacts(cls, format, contacts, targets, progress, outcomes):
        pool = Pool()
        Address = pool.get('party.address')
        Mechanism = pool.get('party.contact_mechanism')
        cls.check_import_contacts(format, contacts)
        countries = cls._import_countries()

        # Organisations first, so that the persons can be linked to them.
        organisations = {}
        order = sorted(
            range(len(contacts)), key=lambda i: contacts[i].is_person)
        parties = [None] * len(contacts)
        to_create = []
        for index in order:
            contact = contacts[index]
            if contact.is_person:
                continue
            if targets[index]:
                parties[index] = targets[index]
                organisations.setdefault(
                    _name_key(contact.name), targets[index])
            else:
                to_create.append(index)
        names = {_name_key(c.organisation): c.organisation
            for c in contacts if c.is_person and c.organisation}
        names.update({_name_key(contacts[i].name): contacts[i].name
                for i in to_create})
        found = cls._find_organisations(set(names) - set(organisations))
        organisations.update(found)
        new_names = sorted(set(names) - set(organisations))
        new_organisations = _create(cls, [{
                    'name': names[n],
                    'party_kind': 'organisation',
                    } for n in new_names])
        organisations.update(
            (n, p.id) for n, p in zip(new_names, new_organisations))
        for index in to_create:
            parties[index] = organisations[_name_key(contacts[index].name)]
        created_ids = {p.id for p in new_organisations}

        # Then the persons.
        new_persons = [
            i for i in order if contacts[i].is_person and not targets[i]]
        created = _create(cls, [
                cls._import_person_values(contacts[i], organisations)
                for i in new_persons])
        for index, person in zip(new_persons, created):
            parties[index] = person.id
        created_ids.update(p.id for p in created)
        # The contacts that write a value on their partner or add details.
        changed = set()
        updated = defaultdict(list)
        fields = ['surname', 'job_title', 'department', 'organisation']
        current = {}
        for sub in grouped_slice(
                [targets[i] for i in order if contacts[i].is_person
                    and targets[i]], 1000):
            current.update((r['id'], r) for r in cls.read(list(sub), fields))
        for index in order:
            contact = contacts[index]
            if contact.is_person and targets[index]:
                parties[index] = targets[index]
                values = cls._import_person_values(contact, organisations)
                # The name stays as the user wrote it, and so do the
                # private notes: a file does not overwrite them. Unchanged
                # values are not written: a file imported again changes
                # nothing.
                values = {k: values[k] for k in fields
                    if values[k] and values[k] != current[targets[index]][k]}
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

        # The addresses before the contact mechanisms: the host checks the
        # phone numbers against the country of the partner's addresses.
        existing_addresses = defaultdict(set)
        existing_mechanisms = defaultdict(set)
        company_codes = _phone_country_codes()
        # Only the partners that were there before have something to keep.
        # Read in SQL: records of thousands of partners would cost more
        # than the whole import.
        cursor = Transaction().connection.cursor()
        address_table = Address.__table__()
        mechanism_table = Mechanism.__table__()
        for sub in grouped_slice({t for t in targets if t}
                | set(found.values()), backend.MAX_QUERY_PARAMS):
            sub = list(sub)
            cursor.execute(*address_table.select(
                    address_table.party, address_table.street_unstructured,
                    address_table.city, address_table.postal_code,
                    where=address_table.party.in_(sub)
                    & (address_table.active == True)))  # noqa: E712
            for party_id, street, city, postal_code in cursor:
                existing_addresses[party_id].add(
                    cls._address_key(street, city, postal_code))
            cursor.execute(*mechanism_table.select(
                    mechanism_table.party, mechanism_table.match_key,
                    mechanism_table.value,
                    where=mechanism_table.party.in_(sub)
                    & (mechanism_table.active == True)))  # noqa: E712
            for party_id, match_key, value in cursor:
                existing_mechanisms[party_id].add(
                    match_key or (value or '').lower())
        # The addresses and contact mechanisms by batches of contacts, so
        # that the progress moves with them; the partners are all there.
        size = 500
        if progress:
            progress(0)
        for start in range(0, len(contacts), size):
            added = cls._import_details(
                contacts[start:start + size], parties[start:start + size],
                countries, company_codes,
                existing_addresses, existing_mechanisms)
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
        return cls.browse(parties)

    @classmethod
    def _import_details(
            cls, contacts, parties, countries, company_codes,
            existing_addresses, existing_mechanisms):
        """Create the addresses and contact mechanisms of the contacts and
        return for each contact whether it added any"""
        pool = Pool()
        Address = pool.get('party.address')
        Mechanism = pool.get('party.contact_mechanism')
        addresses, mechanisms = [], []
        added = []
        for contact, party_id in zip(contacts, parties):
            count = len(addresses) + len(mechanisms)
            codes = cls._phone_codes(contact, countries, company_codes)
            # The host reads the numbers in the country of the partner's
            # addresses only.
            country = cls._contact_country(contact, countries)
            address_codes = [country.code] if country else []
            for address in contact.addresses:
                key = cls._address_key(
                    address.street, address.city, address.postal_code)
                if key in existing_addresses[party_id]:
                    continue
                existing_addresses[party_id].add(key)
                country = countries.get(address.country.lower())
                addresses.append({
                        'party': party_id,
                        'street_unstructured': address.street or None,
                        'postal_code': address.postal_code or None,
                        'city': address.city or None,
                        'country': country.id if country else None,
                        })
            values = [(e.address, 'email', normalize_email(e.address))
                for e in contact.emails]
            for phone in contact.phones:
                if _valid_phone(phone.number, address_codes):
                    values.append((phone.number, PHONE_TYPES[phone.kind],
                            normalize_phone(phone.number, codes)))
                else:
                    values.append(
                        (phone.number, 'other', phone.number.lower()))
            for website in contact.websites:
                values.append((website, 'website', website.lower()))
            for value, type_, key in values:
                if key in existing_mechanisms[party_id]:
                    continue
                existing_mechanisms[party_id].add(key)
                mechanisms.append({
                        'party': party_id,
                        'type': type_,
                        'value': value,
                        })
            added.append(len(addresses) + len(mechanisms) > count)
        _create(Address, addresses)
        _create(Mechanism, mechanisms)
        return added

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
            'name': contact.name,
            'party_kind': 'person',
            'surname': contact.family_name or None,
            'job_title': contact.job_title or None,
            'department': contact.department or None,
            'private_notes': contact.notes or None,
            'organisation': (organisations[_name_key(contact.organisation)]
                if contact.organisation else None),
            }
        return values

    @staticmethod
    def _address_key(street, city, postal_code):
        return tuple(' '.join((v or '').lower().split())
            for v in (street, city, postal_code))

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
            contact.notes = self.private_notes or ''
        else:
            contact.organisation = self.name or ''
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
