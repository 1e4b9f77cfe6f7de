# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The neutral contact record that every format reads into and writes from.

It knows nothing of Tryton, so that the formats can be tested and used
alone; the import wizard maps it onto parties.
"""
import datetime
import email.utils
import re
from dataclasses import dataclass, field
from typing import List, Optional

try:
    from email_validator import EmailNotValidError
    from email_validator import validate_email as _validate_email
except ImportError:
    _validate_email = None

from .errors import ExchangeError

# Kinds of e-mail addresses and addresses.
EMAIL_KINDS = ('work', 'home', 'other')
# Kinds of telephone numbers that every format can tell apart (pagers are
# "other": the host has no kind of contact mechanism for them).
PHONE_KINDS = ('work', 'home', 'mobile', 'fax', 'other')
# Chinese, Japanese and Korean names put the family name first.
FAMILY_FIRST = re.compile(
    '[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]')
# Control characters are no text: a damaged file's bytes, which neither
# the database (NUL) nor XML would take.
CONTROLS = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]')
TEXT_FIELDS = ('given_name', 'middle_name', 'family_name', 'full_name',
    'organisation', 'job_title', 'department', 'notes', 'uid')


def text(value):
    "The value without control characters and surrogates"
    value = CONTROLS.sub('', value)
    if not value.isascii():
        value = value.encode('utf-8', 'replace').decode('utf-8')
    return value


@dataclass
class Email:
    address: str
    kind: str = 'other'


@dataclass
class Phone:
    number: str
    kind: str = 'other'


@dataclass
class Address:
    street: str = ''
    city: str = ''
    postal_code: str = ''
    region: str = ''
    country: str = ''
    kind: str = 'work'

    def __bool__(self):
        return any((self.street, self.city, self.postal_code, self.region,
                self.country))


@dataclass
class Contact:
    given_name: str = ''
    middle_name: str = ''
    family_name: str = ''
    full_name: str = ''
    organisation: str = ''
    job_title: str = ''
    department: str = ''
    emails: List[Email] = field(default_factory=list)
    phones: List[Phone] = field(default_factory=list)
    # Every web page of the contact, in the order of the file.
    websites: List[str] = field(default_factory=list)
    addresses: List[Address] = field(default_factory=list)
    notes: str = ''
    birthday: Optional[datetime.date] = None
    uid: str = ''
    # Where the contact is in its file: the card number of a vCard, the
    # line of a CSV row; errors found later name it.
    number: int = field(default=0, compare=False)
    # Values read but left out because they are not valid (an e-mail
    # such as bad@@example): ExchangeError records with their code and
    # parameters, shown with the contact in the import's preview.
    dropped: list = field(default_factory=list, compare=False)

    @property
    def person_name(self):
        "The name of the person, empty when the record is an organisation"
        if self.full_name:
            return self.full_name
        return ' '.join(
            n for n in (self.given_name, self.middle_name, self.family_name)
            if n)

    @property
    def is_person(self):
        return bool(self.person_name) and (
            self.person_name != self.organisation)

    @property
    def name(self):
        """The name of the person or of the organisation; else the first
        e-mail address, else the first phone number"""
        return (self.person_name or self.organisation
            or self.fallback_name)

    @property
    def fallback_name(self):
        if self.emails:
            return self.emails[0].address
        if self.phones:
            return self.phones[0].number
        return ''

    @property
    def name_is_fallback(self):
        "Whether the name is an e-mail address or a phone number"
        return not (self.person_name or self.organisation) and bool(
            self.fallback_name)

    def clean(self):
        """Check the values read and complete the names.

        E-mail addresses lose a display name ("Omega" <omega@example.com>)
        and mailto:, and are normalised; the invalid ones move to dropped.
        Empty and repeated values go, and control characters."""
        for name in TEXT_FIELDS:
            setattr(self, name, text(getattr(self, name)).strip())
        for item in self.emails:
            item.address = text(item.address)
        for item in self.phones:
            item.number = text(item.number).strip()
        self.websites = [text(w) for w in self.websites]
        for item in self.addresses:
            for name in ('street', 'city', 'postal_code', 'region',
                    'country'):
                setattr(item, name, text(getattr(item, name)).strip())
        emails, seen = [], set()
        for item in self.emails:
            address = clean_email(item.address)
            if not address:
                continue
            try:
                address = validate_email(address)
            except ValueError:
                self.dropped.append(ExchangeError(
                        'invalid_email', self.number, value=address))
                continue
            if address.lower() not in seen:
                seen.add(address.lower())
                emails.append(Email(address, item.kind))
        self.emails = emails
        self.phones = [p for p in self.phones if p.number.strip()]
        websites = []
        for website in self.websites:
            website = website.strip()
            if website and website not in websites:
                websites.append(website)
        self.websites = websites
        self.addresses = [a for a in self.addresses if a]
        # A name that is only the e-mail or the phone (some clients write
        # it as FN of contacts without a name) is no name.
        values = {e.address.lower() for e in self.emails} | {
            p.number.lower() for p in self.phones}
        if (not (self.given_name or self.family_name)
                and clean_email(self.full_name).lower() in values):
            self.full_name = ''
        # An organisation's own card carries its name as full name, as
        # vCard's FN.
        if not (self.full_name or self.given_name or self.family_name):
            self.full_name = self.organisation
        return self.fill_names()

    def fill_names(self):
        """Complete the full name from the parts or the parts from the full
        name, as the formats carry one or the other."""
        if not self.full_name:
            parts = [self.given_name, self.middle_name, self.family_name]
            if FAMILY_FIRST.search(self.family_name):
                parts.reverse()
            self.full_name = ' '.join(n for n in parts if n)
        elif not (self.given_name or self.family_name) and (
                self.full_name != self.organisation):
            given, _, family = self.full_name.rpartition(' ')
            self.given_name, self.family_name = given, family
        return self


def clean_email(value):
    "The address alone of an e-mail value"
    value = (value or '').strip()
    if '<' in value and value.endswith('>'):
        value = email.utils.parseaddr(value)[1] or value
    if value.lower().startswith('mailto:'):
        value = value[7:]
    return value.strip()


# The characters of an unquoted local part (RFC 5322 atext, and any
# non-ASCII character as RFC 6531 allows).
LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010ffff]+"
    r"(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010ffff]+)*")
DOMAIN_LABEL = re.compile(r'(?!-)[a-z0-9-]{1,63}(?<!-)')


def validate_email(address):
    """The normalised address, or ValueError.

    Syntax only (no DNS look-up): an import must neither wait on the
    network nor depend on it. email-validator checks it when installed;
    it is not a requirement because its presence makes the host check
    that the domain of every e-mail saved exists, which refuses every
    address on a machine without DNS."""
    if _validate_email is not None:
        try:
            return _validate_email(
                address, check_deliverability=False).normalized
        except (EmailNotValidError, UnicodeError) as error:
            raise ValueError(str(error)) from error
    local, at, domain = address.rpartition('@')
    if not at or not local or not domain:
        raise ValueError("An email address must have an @-sign.")
    if len(local) > 64 or not LOCAL_PART.fullmatch(local):
        raise ValueError(
            f"The part before the @-sign is not valid: {local}")
    try:
        ascii_domain = domain.encode('idna').decode('ascii').lower()
    except UnicodeError as error:
        raise ValueError(f"The domain name {domain} is not valid") from error
    labels = ascii_domain.split('.')
    if (len(labels) < 2 or len(ascii_domain) > 253
            or not all(DOMAIN_LABEL.fullmatch(label) for label in labels)
            or labels[-1].isdigit()):
        raise ValueError(f"The domain name {domain} is not valid")
    normalized = f'{local}@{domain.lower()}'
    if len(normalized.encode('utf-8')) > 254:
        raise ValueError("The email address is too long")
    return normalized
