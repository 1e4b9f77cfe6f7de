# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Duplicate partners: normalised keys stored beside the host's records
and batch look-ups on them."""
import re
import unicodedata
from collections import defaultdict

try:
    import phonenumbers
    from phonenumbers import NumberParseException, PhoneNumberFormat
except ImportError:
    phonenumbers = None

from sql import Cast, Values
from sql.operators import Mod, Or

from trytond import backend
from trytond.model import Index, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

# Legal forms, written without dots, that end (or, for the Japanese and
# Chinese forms, also begin) company names: "Acme S.L." and "ACME, SL" are
# the same company.
LEGAL_FORM_WORDS = {
    # Spain, Latin America, Portugal, Italy, France
    'sl', 'slu', 'sll', 'sa', 'sau', 'sad', 'sc', 'scp', 'de', 'cv', 'rl',
    'srl', 'sapi', 'ltda', 'eireli', 'me', 'spa', 'sarl', 'sas', 'sasu',
    'snc', 'eurl',
    # German-speaking, Dutch, Nordic countries
    'gmbh', 'mbh', 'ag', 'kg', 'kgaa', 'ug', 'ohg', 'eg', 'ev', 'gbr', 'bv',
    'nv', 'vof', 'oy', 'oyj', 'ab', 'as', 'asa', 'aps', 'se',
    # English-speaking countries
    'ltd', 'limited', 'llc', 'llp', 'lp', 'inc', 'incorporated', 'corp',
    'corporation', 'co', 'company', 'plc', 'pty', 'pvt',
    # Czechia, Slovakia, Poland
    'sro', 'spol', 's', 'ro', 'vos', 'ks', 'sp', 'z', 'oo', 'zoo', 'ska',
    # Japan, China in Latin script
    'kk', 'gk', 'yk',
    }
CJK_LEGAL_FORMS = sorted([
        '株式会社', '有限会社', '合同会社', '合資会社', '合名会社', '(株)',
        '（株）', '㈱', '(有)', '（有）', '股份有限公司', '有限责任公司',
        '有限責任公司', '有限公司', '公司',
        ], key=len, reverse=True)
_WORD_SEPARATORS = re.compile(r'[^\w]+')
_DOTS = re.compile(r"[.'’]")
_NOT_TAX_CHARACTERS = re.compile(r'[^0-9A-Z]')
# The country prefixes of European VAT numbers (EL is Greece, XI Northern
# Ireland).
VAT_PREFIXES = {
    'AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'EL', 'ES', 'FI', 'FR',
    'GB', 'HR', 'HU', 'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT',
    'RO', 'SE', 'SI', 'SK', 'XI', 'CH', 'NO',
    }
# Above this trigram similarity two names are shown as possible duplicates.
# pg_trgm's default, 0.3, finds thousands of "... Logistics" for any
# "... Logistics" among 100,000 partners; 0.6 still finds a typo or a
# missing word in a name of two or three words.
NAME_SIMILARITY = 0.6
# Similar names proposed at most per candidate, the closest first.
NAME_MATCHES = 10
PHONE_TYPES = {'phone', 'mobile', 'fax'}


def _strip_accents(text):
    return unicodedata.normalize('NFC', ''.join(
            c for c in unicodedata.normalize('NFKD', text)
            if not unicodedata.combining(c)))


def normalize_name(name):
    "The key of a company or person name: lower case, no accents, no form"
    if not name:
        return None
    text = _strip_accents(unicodedata.normalize('NFKC', name)).casefold()
    text = text.strip()
    for form in CJK_LEGAL_FORMS:
        if text.startswith(form) and len(text) > len(form):
            text = text[len(form):]
        if text.endswith(form) and len(text) > len(form):
            text = text[:-len(form)]
    words = _WORD_SEPARATORS.sub(' ', _DOTS.sub('', text)).split()
    words = [w for w in words if w != '_']
    while len(words) > 1 and words[-1] in LEGAL_FORM_WORDS:
        words.pop()
    return ' '.join(words) or None


def normalize_email(email):
    "E-mail addresses are compared trimmed and in lower case"
    if not email:
        return None
    return email.strip().lower() or None


def normalize_phone(phone, country_codes=()):
    """The international E.164 form (+34911234567) of a phone number.

    country_codes are tried in turn for numbers written without their
    international prefix; a number that parses for none of them keeps its
    digits only."""
    if not phone:
        return None
    if phonenumbers:
        for country_code in [*country_codes, None]:
            try:
                number = phonenumbers.parse(phone, country_code)
            except NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                return phonenumbers.format_number(
                    number, PhoneNumberFormat.E164)
    digits = ''.join(c for c in phone if c.isdigit())
    if not digits:
        return None
    return ('+' + digits) if phone.strip().startswith('+') else digits


def normalize_tax_identifier(code):
    """Tax identifiers are compared without spaces, dots, dashes nor case,
    and without the country prefix of VAT numbers, which the host drops
    from the numbers it validates."""
    if not code:
        return None
    code = _NOT_TAX_CHARACTERS.sub('', code.upper())
    if code[:2] in VAT_PREFIXES and len(code) > 4:
        code = code[2:]
    return code or None


def trigrams(text):
    "The trigrams of text as PostgreSQL's pg_trgm computes them"
    result = set()
    for word in (text or '').split():
        word = '  ' + word + ' '
        result.update(word[i:i + 3] for i in range(len(word) - 2))
    return result


def similarity(a, b):
    "The trigram similarity of two keys, between 0 and 1 (as pg_trgm)"
    ta, tb = trigrams(a), trigrams(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


def _phone_country_codes():
    """Countries of the company, for numbers written without prefix

    An import reads them once and puts them in the context for all its
    numbers."""
    codes = Transaction().context.get('_company_phone_codes')
    if codes is not None:
        return list(codes)
    pool = Pool()
    Company = pool.get('company.company')
    company_id = Transaction().context.get('company')
    codes = []
    if company_id is not None and company_id >= 0:
        company = Company(company_id)
        for address in company.party.addresses:
            if address.country and address.country.code not in codes:
                codes.append(address.country.code)
    return codes


def _store_keys(table, column, keys):
    """Store the key of each (id, key) in column of table

    Keys are filled once, when their column is added to existing records;
    the records that share a key (none, a shared e-mail or name) are
    updated together."""
    ids_by_key = defaultdict(list)
    for id_, key in keys:
        ids_by_key[key].append(id_)
    cursor = Transaction().connection.cursor()
    for key, ids in ids_by_key.items():
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS - 10):
            cursor.execute(*table.update(
                    [column], [key], where=table.id.in_(list(sub_ids))))


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    name_key = fields.Char(
        "Name Key", readonly=True,
        help="The name in lower case, without accents nor legal form, "
        "used to find duplicates.")
    duplicates = fields.Function(fields.Many2Many(
            'party.party', None, None, "Possible Duplicates",
            help="Other partners with the same e-mail, phone, tax "
            "identifier or a similar name."),
        'get_duplicates')

    @classmethod
    def __setup__(cls):
        cls.name_key.search_unaccented = False
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                # The range also serves the prefix look-up of similar names
                # where the database has no trigram similarity.
                Index(t, (t.name_key, Index.Range())),
                Index(t, (t.name_key, Index.Similarity())),
                })
        cls._buttons.update({
                'merge': {
                    'invisible': ~Eval('duplicates', []),
                    'depends': ['duplicates'],
                    },
                })

    @classmethod
    def __register__(cls, module):
        table_h = cls.__table_handler__(module)
        fill = not table_h.column_exist('name_key')
        super().__register__(module)
        if fill:
            cls._fill_name_key()

    @classmethod
    def _fill_name_key(cls):
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        cursor.execute(*table.select(table.id, table.name))
        _store_keys(table, table.name_key,
            ((id_, normalize_name(name)) for id_, name in list(cursor)))

    def compute_fields(self, field_names=None):
        values = super().compute_fields(field_names=field_names)
        if field_names is None or 'name' in field_names:
            name_key = normalize_name(getattr(self, 'name', None))
            if getattr(self, 'name_key', None) != name_key:
                values['name_key'] = name_key
        return values

    @classmethod
    def get_duplicates(cls, parties, name):
        candidates = []
        for party in parties:
            candidate = {
                'name': party.name,
                'party_kind': party.party_kind,
                'emails': [], 'phones': [],
                }
            for mechanism in party.contact_mechanisms:
                if mechanism.type == 'email':
                    candidate['emails'].append(mechanism.value)
                elif mechanism.type in PHONE_TYPES:
                    candidate['phones'].append(mechanism.value)
            if party.tax_identifier:
                candidate['tax_identifier'] = party.tax_identifier.code
            candidates.append(candidate)
        result = {}
        for party, found in zip(
                parties, cls.find_duplicates(candidates, exclude=parties)):
            result[party.id] = [p.id for p in found]
        return result

    @classmethod
    def find_duplicates(cls, candidates, exclude=None):
        """candidates: list of dicts with optional keys 'name', 'emails'
        (list of str), 'phones' (list of str), 'tax_identifier' (str),
        'party_kind'. Returns a list, same order, of lists of
        party.party records, best match first (never the same party
        twice in one list).

        exclude, in the same order, gives for each candidate the party it
        describes, which is not its own duplicate.

        The look-ups are made for the whole list with a fixed number of
        queries, on indexed normalised keys: the tax identifier counts
        most, then e-mail and phone, then the similarity of the name."""
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        Identifier = pool.get('party.identifier')
        country_codes = _phone_country_codes()

        # score[i][party id]: tax 4, e-mail 3, phone 2, name up to 1
        scores = [defaultdict(float) for _ in candidates]
        by_email, by_phone, by_tax, by_name = (
            defaultdict(list) for _ in range(4))
        names = []
        for i, candidate in enumerate(candidates):
            for email in candidate.get('emails') or []:
                if key := normalize_email(email):
                    by_email[key].append(i)
            for phone in candidate.get('phones') or []:
                if key := normalize_phone(phone, country_codes):
                    by_phone[key].append(i)
            if key := normalize_tax_identifier(
                    candidate.get('tax_identifier')):
                by_tax[key].append(i)
            if key := normalize_name(candidate.get('name')):
                by_name[key].append(i)
                names.append(key)

        for Model, keys, types, weight in [
                (ContactMechanism, by_email, ['email'], 3),
                (ContactMechanism, by_phone, sorted(PHONE_TYPES), 2),
                (Identifier, by_tax, None, 4),
                ]:
            for key, party_id in Model._match_parties(keys, types):
                for i in keys[key]:
                    scores[i][party_id] = max(scores[i][party_id], weight)

        similar = defaultdict(list)
        for key, party_id, score in cls._similar_names(names):
            similar[key].append((score, party_id))
        for key, matches in similar.items():
            matches.sort(key=lambda m: (-m[0], m[1]))
            for score, party_id in matches[:NAME_MATCHES]:
                for i in by_name[key]:
                    scores[i][party_id] += score

        party_kinds = {}
        all_ids = {p for s in scores for p in s}
        if any(c.get('party_kind') for c in candidates) and all_ids:
            for sub_ids in grouped_slice(all_ids, backend.MAX_QUERY_PARAMS):
                for party in cls.browse(list(sub_ids)):
                    party_kinds[party.id] = party.party_kind

        result = []
        for i, candidate in enumerate(candidates):
            score = scores[i]
            if exclude is not None and exclude[i] is not None:
                score.pop(int(exclude[i]), None)
            kind = candidate.get('party_kind')
            if kind:
                # A person is not the duplicate of an organisation by name
                # alone: "Garcia" the person vs "Garcia S.L.".
                for party_id in list(score):
                    if party_kinds[party_id] != kind and score[party_id] < 1:
                        del score[party_id]
            ids = sorted(score, key=lambda p: (-score[p], p))
            result.append(cls.browse(ids))
        return result

    @classmethod
    def _similar_names(cls, keys):
        "Yield (key, party id, similarity) of the parties named like keys"
        transaction = Transaction()
        database = transaction.database
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        keys = sorted(set(keys))
        if not keys:
            return
        if database.has_similarity():
            # The % operator of pg_trgm is the one its index serves; it
            # takes its threshold from the setting, for this transaction.
            cursor.execute('SELECT set_config('
                "'pg_trgm.similarity_threshold', %s, true)",
                (str(NAME_SIMILARITY),))
            for sub_keys in grouped_slice(keys, backend.MAX_QUERY_PARAMS):
                values = Values([[k] for k in sub_keys])
                candidate = values.select(
                    Cast(values.column1, 'VARCHAR').as_('key'))
                score = database.similarity(table.name_key, candidate.key)
                cursor.execute(*table.join(candidate,
                        condition=Mod(table.name_key, candidate.key)
                        ).select(candidate.key, table.id, score,
                        where=table.active))
                yield from cursor
        else:
            # Without trigram similarity, fetch the names that begin with
            # the same word (an indexed range) and compare them here.
            # Two parameters per prefix.
            for sub_keys in grouped_slice(
                    keys, backend.MAX_QUERY_PARAMS // 2):
                sub_keys = list(sub_keys)
                prefixes = {k.split()[0] for k in sub_keys}
                where = Or([
                        (table.name_key >= prefix)
                        & (table.name_key < prefix + '\U0010ffff')
                        for prefix in sorted(prefixes)])
                cursor.execute(*table.select(
                        table.id, table.name_key,
                        where=where & table.active))
                rows = cursor.fetchall()
                by_prefix = defaultdict(list)
                for id_, name_key in rows:
                    by_prefix[name_key.split()[0]].append((id_, name_key))
                for key in sub_keys:
                    for id_, name_key in by_prefix[key.split()[0]]:
                        score = similarity(key, name_key)
                        if score >= NAME_SIMILARITY:
                            yield key, id_, score

    @classmethod
    @ModelView.button_action('party.wizard_replace')
    def merge(cls, parties):
        pass

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('name_key')
        return super().copy(parties, default=default)


class _MatchKeyMixin:
    __slots__ = ()

    match_key = fields.Char(
        "Match Key", readonly=True,
        help="The normalised value used to find duplicate partners.")

    @classmethod
    def __setup__(cls):
        cls.match_key.search_unaccented = False
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.match_key, Index.Equality())))

    @classmethod
    def __register__(cls, module):
        table_h = cls.__table_handler__(module)
        fill = not table_h.column_exist('match_key')
        super().__register__(module)
        if fill:
            cls._fill_match_key()

    @classmethod
    def _fill_match_key(cls):
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        columns = sorted(cls._match_key_fields)
        cursor.execute(*table.select(
                table.id, *(getattr(table, c) for c in columns)))
        _store_keys(table, table.match_key, (
                (row[0], cls(row[0], **dict(zip(columns, row[1:])))
                    ._get_match_key())
                for row in list(cursor)))

    def compute_fields(self, field_names=None):
        values = super().compute_fields(field_names=field_names)
        if field_names is None or self._match_key_fields & field_names:
            match_key = self._get_match_key()
            if getattr(self, 'match_key', None) != match_key:
                values['match_key'] = match_key
        return values

    @classmethod
    def _match_parties(cls, keys, types=None):
        "Yield (key, party id) of the active records matching keys"
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        for sub_keys in grouped_slice(
                sorted(keys), backend.MAX_QUERY_PARAMS - 10):
            where = table.match_key.in_(list(sub_keys)) & table.active
            if types is not None:
                where &= table.type.in_(types)
            cursor.execute(*table.select(
                    table.match_key, table.party, where=where))
            yield from cursor


class ContactMechanism(_MatchKeyMixin, metaclass=PoolMeta):
    __name__ = 'party.contact_mechanism'
    _match_key_fields = {'type', 'value'}

    @fields.depends('party', '_parent_party.addresses')
    def _phone_country_codes(self):
        codes = Transaction().context.get('_company_phone_codes')
        if codes is None:
            yield from super()._phone_country_codes()
            return
        # The host's countries (the partner's addresses', then the
        # company's) with the company's read once by the import rather than
        # for every number.
        if self.party:
            for address in self.party.addresses:
                if address.country:
                    yield address.country.code
        yield from codes

    @classmethod
    def check_valid_phonenumber(cls, mechanisms, field_names=None):
        # The numbers of an import that no country reads are kept as
        # written, with their kind, rather than lost.
        raw = set(Transaction().context.get('_contact_import_raw_phones')
            or ())
        if raw:
            mechanisms = [m for m in mechanisms if m.value not in raw]
        super().check_valid_phonenumber(mechanisms, field_names=field_names)

    def _get_match_key(self):
        type_ = getattr(self, 'type', None)
        value = getattr(self, 'value', None)
        if type_ == 'email':
            return normalize_email(value)
        elif type_ in PHONE_TYPES:
            return normalize_phone(value, self._phone_country_codes())


class Identifier(_MatchKeyMixin, metaclass=PoolMeta):
    __name__ = 'party.identifier'
    _match_key_fields = {'code'}

    def _get_match_key(self):
        return normalize_tax_identifier(getattr(self, 'code', None))


class Erase(metaclass=PoolMeta):
    __name__ = 'party.erase'

    def to_erase(self, party_id):
        pool = Pool()
        Party = pool.get('party.party')
        ContactMechanism = pool.get('party.contact_mechanism')
        Identifier = pool.get('party.identifier')
        # The keys repeat the name, e-mails, phones and tax identifiers that
        # the host erases.
        return super().to_erase(party_id) + [
            (Party, [('id', '=', party_id)], False,
                ['name_key'], [None]),
            (ContactMechanism, [('party', '=', party_id)], False,
                ['match_key'], [None]),
            (Identifier, [('party', '=', party_id)], False,
                ['match_key'], [None]),
            ]


class ReplaceAsk(metaclass=PoolMeta):
    __name__ = 'party.replace.ask'

    @fields.depends('source', 'destination')
    def on_change_source(self):
        super().on_change_source()
        # Merging from the duplicates of a partner proposes its best match
        # as the partner to keep.
        if self.source and not self.destination and self.source.duplicates:
            self.destination = self.source.duplicates[0]

    @classmethod
    def default_destination(cls):
        pool = Pool()
        Party = pool.get('party.party')
        context = Transaction().context
        if context.get('active_model') == 'party.party':
            party = Party(context['active_id'])
            if party.replaced_by:
                return party.replaced_by.id
            if party.duplicates:
                return party.duplicates[0].id
