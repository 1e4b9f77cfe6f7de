# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The CSV files of Outlook, Google Contacts and Thunderbird, read and
written.

Each is recognised by its header; columns are found by name, so files with
fewer columns or another order (older Outlook versions, a trimmed Google
export) read the same. The dialect is detected: the delimiter (comma,
semicolon as Outlook writes in European locales, tab, or Excel's "sep="
first line) and, for Outlook, the language of the header (see
OUTLOOK_NAMES).
"""
import csv
import datetime
import io
import re
from typing import NamedTuple

from .contact import Address, Contact, Email, Phone
from .errors import ExchangeError

# The header of Outlook's "Comma Separated Values" export, as Outlook
# 2010 to 365 write it.
OUTLOOK_HEADER = [
    "Title", "First Name", "Middle Name", "Last Name", "Suffix", "Company",
    "Department", "Job Title", "Business Street", "Business Street 2",
    "Business Street 3", "Business City", "Business State",
    "Business Postal Code", "Business Country/Region", "Home Street",
    "Home Street 2", "Home Street 3", "Home City", "Home State",
    "Home Postal Code", "Home Country/Region", "Other Street",
    "Other Street 2", "Other Street 3", "Other City", "Other State",
    "Other Postal Code", "Other Country/Region", "Assistant's Phone",
    "Business Fax", "Business Phone", "Business Phone 2", "Callback",
    "Car Phone", "Company Main Phone", "Home Fax", "Home Phone",
    "Home Phone 2", "ISDN", "Mobile Phone", "Other Fax", "Other Phone",
    "Pager", "Primary Phone", "Radio Phone", "TTY/TDD Phone", "Telex",
    "Account", "Anniversary", "Assistant's Name", "Billing Information",
    "Birthday", "Business Address PO Box", "Categories", "Children",
    "Directory Server", "E-mail Address", "E-mail Type",
    "E-mail Display Name", "E-mail 2 Address", "E-mail 2 Type",
    "E-mail 2 Display Name", "E-mail 3 Address", "E-mail 3 Type",
    "E-mail 3 Display Name", "Gender", "Government ID Number", "Hobby",
    "Home Address PO Box", "Initials", "Internet Free Busy", "Keywords",
    "Language", "Location", "Manager's Name", "Mileage", "Notes",
    "Office Location", "Organizational ID Number", "Other Address PO Box",
    "Priority", "Private", "Profession", "Referred By", "Sensitivity",
    "Spouse", "User 1", "User 2", "User 3", "User 4", "Web Page",
    ]
OUTLOOK_EMAILS = ["E-mail Address", "E-mail 2 Address", "E-mail 3 Address"]
# Outlook's phone columns and the kind each one is (a pager is "other").
OUTLOOK_PHONES = [
    ("Business Phone", 'work'), ("Business Phone 2", 'work'),
    ("Company Main Phone", 'work'), ("Primary Phone", 'other'),
    ("Home Phone", 'home'), ("Home Phone 2", 'home'),
    ("Mobile Phone", 'mobile'), ("Car Phone", 'mobile'),
    ("Business Fax", 'fax'), ("Home Fax", 'fax'), ("Other Fax", 'fax'),
    ("Other Phone", 'other'), ("Pager", 'other'),
    ]
OUTLOOK_ADDRESSES = [("Business", 'work'), ("Home", 'home'),
    ("Other", 'other')]

# The columns that Outlook's export names in other languages, by their
# English name. Covered: German, French, Spanish and Japanese Outlook
# (2007 to 365), from their exports; a language's names that equal the
# English ones (ISDN, Pager, Notes in French) need no entry. Outlook
# localises only the header: the values are the same.
OUTLOOK_NAMES = {
    "Title": ["Anrede", "Tratamiento", "敬称"],
    "First Name": ["Vorname", "Prénom", "Nombre", "名"],
    "Middle Name": ["Weitere Vornamen", "Deuxième prénom",
        "Segundo nombre", "ミドル ネーム"],
    "Last Name": ["Nachname", "Nom", "Apellidos", "姓"],
    "Suffix": ["Suffixe", "Sufijo", "敬称 (英語)"],
    "Company": ["Firma", "Société", "Organización", "Compañía", "会社名"],
    "Department": ["Abteilung", "Service", "Departamento", "部署"],
    "Job Title": ["Position", "Fonction", "Puesto", "Cargo", "役職"],
    "Business Street": ["Straße geschäftlich", "Rue (bureau)",
        "Calle del trabajo", "会社 番地"],
    "Business Street 2": ["Straße geschäftlich 2", "Rue (bureau) 2",
        "Calle del trabajo 2", "会社 番地 2"],
    "Business Street 3": ["Straße geschäftlich 3", "Rue (bureau) 3",
        "Calle del trabajo 3", "会社 番地 3"],
    "Business City": ["Ort geschäftlich", "Ville (bureau)",
        "Ciudad de trabajo", "会社 市区町村"],
    "Business State": ["Region geschäftlich",
        "Bundesland/Kanton geschäftlich", "Dép/Région (bureau)",
        "Provincia o estado de trabajo", "会社 都道府県"],
    "Business Postal Code": ["Postleitzahl geschäftlich",
        "Code postal (bureau)", "Código postal del trabajo",
        "会社 郵便番号"],
    "Business Country/Region": ["Land/Region geschäftlich",
        "Land geschäftlich", "Pays/Région (bureau)",
        "País o región del trabajo", "会社 国/地域"],
    "Home Street": ["Straße privat", "Rue (domicile)",
        "Calle del domicilio", "自宅 番地"],
    "Home Street 2": ["Straße privat 2", "Rue (domicile) 2",
        "Calle del domicilio 2", "自宅 番地 2"],
    "Home Street 3": ["Straße privat 3", "Rue (domicile) 3",
        "Calle del domicilio 3", "自宅 番地 3"],
    "Home City": ["Ort privat", "Ville (domicile)", "Ciudad de residencia",
        "自宅 市区町村"],
    "Home State": ["Bundesland/Kanton privat", "Region privat",
        "Dép/Région (domicile)", "Provincia o estado de residencia",
        "自宅 都道府県"],
    "Home Postal Code": ["Postleitzahl privat", "Code postal (domicile)",
        "Código postal de residencia", "自宅 郵便番号"],
    "Home Country/Region": ["Land/Region privat", "Land privat",
        "Pays/Région (domicile)", "País o región de residencia",
        "自宅 国/地域"],
    "Other Street": ["Weitere Straße", "Rue (autre)", "Otra calle",
        "その他 番地"],
    "Other Street 2": ["Weitere Straße 2", "Rue (autre) 2", "Otra calle 2",
        "その他 番地 2"],
    "Other Street 3": ["Weitere Straße 3", "Rue (autre) 3", "Otra calle 3",
        "その他 番地 3"],
    "Other City": ["Weiterer Ort", "Ville (autre)", "Otra ciudad",
        "その他 市区町村"],
    "Other State": ["Weiteres/r Bundesland/Kanton", "Weitere Region",
        "Dép/Région (autre)", "Otra provincia o estado", "その他 都道府県"],
    "Other Postal Code": ["Weitere Postleitzahl", "Code postal (autre)",
        "Otro código postal", "その他 郵便番号"],
    "Other Country/Region": ["Weiteres/e Land/Region", "Pays/Région (autre)",
        "Otro país o región", "その他 国/地域"],
    "Business Fax": ["Fax geschäftlich", "Télécopie (bureau)",
        "Fax del trabajo", "会社 FAX"],
    "Business Phone": ["Telefon geschäftlich", "Téléphone (bureau)",
        "Teléfono del trabajo", "会社電話"],
    "Business Phone 2": ["Telefon geschäftlich 2", "Téléphone 2 (bureau)",
        "Teléfono del trabajo 2", "会社電話 2"],
    "Car Phone": ["Autotelefon", "Téléphone (voiture)",
        "Teléfono del automóvil", "自動車電話"],
    "Company Main Phone": ["Telefon Firma", "Téléphone société",
        "Número de centralita de la organización", "会社代表電話"],
    "Home Fax": ["Fax privat", "Télécopie (domicile)", "Fax particular",
        "自宅 FAX"],
    "Home Phone": ["Telefon privat", "Téléphone (domicile)", "Particular",
        "自宅電話"],
    "Home Phone 2": ["Telefon privat 2", "Téléphone 2 (domicile)",
        "Número de teléfono particular 2", "自宅電話 2"],
    "Mobile Phone": ["Mobiltelefon", "Tél. mobile", "Téléphone mobile",
        "Móvil", "Teléfono móvil", "携帯電話"],
    "Other Fax": ["Weiteres Fax", "Télécopie (autre)", "Otro fax",
        "その他 FAX"],
    "Other Phone": ["Weiteres Telefon", "Téléphone (autre)",
        "Otro teléfono", "その他の電話"],
    "Pager": ["Récepteur de radiomessagerie", "Localizador",
        "ポケットベル"],
    "Primary Phone": ["Haupttelefon", "Téléphone principal",
        "Teléfono principal", "通常の電話"],
    "Birthday": ["Geburtstag", "Anniversaire", "Cumpleaños", "誕生日"],
    "E-mail Address": ["E-Mail-Adresse", "Adresse de messagerie",
        "Dirección de correo electrónico", "電子メール アドレス"],
    "E-mail 2 Address": ["E-Mail 2: Adresse", "Adresse de messagerie 2",
        "Dirección de correo electrónico 2", "電子メール 2 アドレス"],
    "E-mail 3 Address": ["E-Mail 3: Adresse", "Adresse de messagerie 3",
        "Dirección de correo electrónico 3", "電子メール 3 アドレス"],
    "Notes": ["Notizen", "Notas", "メモ"],
    "Web Page": ["Webseite", "Page Web", "Página Web", "Web ページ"],
    }

# The leading columns of Google Contacts' export ("Google CSV") since
# 2023; e-mails, phones, addresses and websites follow, numbered.
GOOGLE_HEADER = [
    "First Name", "Middle Name", "Last Name", "Phonetic First Name",
    "Phonetic Middle Name", "Phonetic Last Name", "Name Prefix",
    "Name Suffix", "Nickname", "File As", "Organization Name",
    "Organization Title", "Organization Department", "Birthday", "Notes",
    "Photo", "Labels",
    ]
# The columns of Google's older layout (to 2022: "Name", "Given Name"...,
# "E-mail 1 - Type", "Organization 1 - Name") and the current ones they
# are read as.
GOOGLE_OLD_NAMES = {
    "Given Name": "First Name", "Additional Name": "Middle Name",
    "Family Name": "Last Name", "Name": "File As",
    "Organization 1 - Name": "Organization Name",
    "Organization 1 - Title": "Organization Title",
    "Organization 1 - Department": "Organization Department",
    }
GOOGLE_ADDRESS_PARTS = ["Label", "Formatted", "Street", "City", "PO Box",
    "Region", "Postal Code", "Country", "Extended Address"]
# Google puts several values of one label in one cell.
GOOGLE_SEPARATOR = ' ::: '
GOOGLE_PHONE_LABELS = {
    'work': 'Work', 'home': 'Home', 'mobile': 'Mobile', 'fax': 'Work Fax',
    'other': 'Other'}

# Thunderbird's export ("Comma Separated"), in English.
THUNDERBIRD_HEADER = [
    "First Name", "Last Name", "Display Name", "Nickname", "Primary Email",
    "Secondary Email", "Screen Name", "Work Phone", "Home Phone",
    "Fax Number", "Pager Number", "Mobile Number", "Home Address",
    "Home Address 2", "Home City", "Home State", "Home ZipCode",
    "Home Country", "Work Address", "Work Address 2", "Work City",
    "Work State", "Work ZipCode", "Work Country", "Job Title", "Department",
    "Organization", "Web Page 1", "Web Page 2", "Birth Year", "Birth Month",
    "Birth Day", "Custom 1", "Custom 2", "Custom 3", "Custom 4", "Notes",
    ]
THUNDERBIRD_PHONES = [("Work Phone", 'work'), ("Home Phone", 'home'),
    ("Mobile Number", 'mobile'), ("Fax Number", 'fax'),
    ("Pager Number", 'other')]
THUNDERBIRD_ADDRESSES = [("Work", 'work'), ("Home", 'home')]

DELIMITERS = [',', ';', '\t']


def _key(name):
    return ' '.join(name.split()).casefold()


# Every localised Outlook column by its key.
OUTLOOK_COLUMNS = {_key(n): n for n in OUTLOOK_HEADER}
for _english, _names in OUTLOOK_NAMES.items():
    for _name in _names:
        OUTLOOK_COLUMNS.setdefault(_key(_name), _english)


def canonical(header, format):
    "The columns of the header by the English names that the readers use"
    if format == 'outlook':
        columns = [OUTLOOK_COLUMNS.get(_key(c), c.strip()) for c in header]
        # Some French versions name both the courtesy title and the job
        # title "Titre": the second one is the job title.
        titles = [i for i, c in enumerate(header) if _key(c) == 'titre']
        if len(titles) == 2 and "Job Title" not in columns:
            columns[titles[1]] = "Job Title"
        return columns
    if format == 'google':
        columns = []
        for column in header:
            column = column.strip()
            column = GOOGLE_OLD_NAMES.get(column, column)
            # Older layout: "E-mail 1 - Type" is the label.
            column = re.sub(r'^(.+ \d+) - Type$', r'\1 - Label', column)
            columns.append(column)
        return columns
    return [c.strip() for c in header]


def detect(header):
    """Return 'outlook', 'google', 'thunderbird' or None from the columns
    of the header"""
    columns = set(canonical(header, 'google'))
    if ({"E-mail 1 - Value", "Phone 1 - Value", "Organization Name"}
            & columns and ({"First Name", "File As"} & columns)):
        return 'google'
    columns = {c.strip() for c in header}
    if "Primary Email" in columns and "Display Name" in columns:
        return 'thunderbird'
    columns = set(canonical(header, 'outlook'))
    if "E-mail Address" in columns and (
            {"Company", "Business Phone", "First Name"} & columns):
        return 'outlook'
    if {"First Name", "Last Name"} <= columns and ({
                "Company", "Business Phone", "Mobile Phone", "Job Title"}
            & columns):
        return 'outlook'
    return None


def dialect(text):
    """(format, delimiter, text without Excel's sep= line, lines skipped)
    of the CSV text; format None when not recognised"""
    skipped = 0
    first = text.split('\n', 1)[0].rstrip('\r')
    if first.lower().startswith('sep=') and len(first) == 5:
        delimiters = [first[4]]
        text = text.split('\n', 1)[1] if '\n' in text else ''
        skipped = 1
    else:
        delimiters = DELIMITERS
    best = (None, ',', 0)
    for delimiter in delimiters:
        header = read_header(text, delimiter)
        format = detect(header)
        if format and len(header) > best[2]:
            best = (format, delimiter, len(header))
    return best[0], best[1], text, skipped


def detect_text(text):
    return dialect(text)[0]


def read_header(text, delimiter=','):
    try:
        return next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    except csv.Error:
        return []


def _rows(text, format, delimiter, skipped, rejects):
    """Yield (line number, dict) of the data rows; the rows that cannot be
    read go to rejects"""
    reader = csv.reader(io.StringIO(text, newline=''), delimiter=delimiter)
    line = skipped + 1
    try:
        header = canonical(next(reader), format)
        line = skipped + reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                if len(row) > len(header) and not any(
                        c.strip() for c in row[len(header):]):
                    # Empty cells after the last column.
                    row = row[:len(header)]
                if len(row) != len(header):
                    rejects.append(ExchangeError('csv_columns', line,
                            count=len(row), expected=len(header)))
                else:
                    yield line, dict(zip(header, (c.strip() for c in row)))
            line = skipped + reader.line_num + 1
    except csv.Error as exception:
        rejects.append(ExchangeError('csv_malformed', line,
                reason=str(exception)))


def _birthday(value):
    for pattern in ('%Y-%m-%d', '%m/%d/%Y', '%d/%m/%Y', '%d.%m.%Y',
            '%Y/%m/%d'):
        try:
            return datetime.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    # Outlook writes "0/0/00" for no birthday, Google "--01-15" for one
    # without year: neither is a date.
    return None


def read(text, format):
    "Return (contacts, rejects) of the CSV text in the format"
    detected, delimiter, text, skipped = dialect(text)
    if detected != format:
        # The format forced by the user: the delimiter that gives the
        # most columns.
        delimiter = max(DELIMITERS,
            key=lambda d: len(read_header(text, d)))
    reader = {'outlook': _outlook, 'google': _google,
        'thunderbird': _thunderbird}[format]
    contacts, rejects = [], []
    for line, row in _rows(text, format, delimiter, skipped, rejects):
        try:
            contact = reader(row.get)
            contact.number = line
            contacts.append(contact.clean())
        except Exception as exception:
            rejects.append(ExchangeError('csv_malformed', line,
                    reason=str(exception) or type(exception).__name__))
    return contacts, rejects


class _Layout(NamedTuple):
    """The fixed columns of a CSV layout of one column per value (Outlook's,
    Thunderbird's): reading and writing both follow them"""
    # The contact's text fields by their column.
    names: dict
    websites: list
    # Neither layout has kinds of e-mail: the first column is the main one.
    emails: list
    # (column, kind)
    phones: list
    # (column prefix, kind): the prefix names every column of the address.
    addresses: list
    # The columns of an address's street lines, after the prefix.
    streets: list
    # The other parts of an address by their column, after the prefix.
    parts: dict


OUTLOOK_LAYOUT = _Layout(
    names={'given_name': "First Name", 'middle_name': "Middle Name",
        'family_name': "Last Name", 'organisation': "Company",
        'department': "Department", 'job_title': "Job Title",
        'notes': "Notes"},
    websites=["Web Page"], emails=OUTLOOK_EMAILS, phones=OUTLOOK_PHONES,
    addresses=OUTLOOK_ADDRESSES, streets=["Street", "Street 2", "Street 3"],
    parts={'city': "City", 'region': "State", 'postal_code': "Postal Code",
        'country': "Country/Region"})
THUNDERBIRD_LAYOUT = _Layout(
    names={'given_name': "First Name", 'family_name': "Last Name",
        'full_name': "Display Name", 'organisation': "Organization",
        'department': "Department", 'job_title': "Job Title",
        'notes': "Notes"},
    websites=["Web Page 1", "Web Page 2"],
    emails=["Primary Email", "Secondary Email"], phones=THUNDERBIRD_PHONES,
    addresses=THUNDERBIRD_ADDRESSES, streets=["Address", "Address 2"],
    parts={'city': "City", 'region': "State", 'postal_code': "ZipCode",
        'country': "Country"})


def _read_columns(columns, get):
    "The contact of a row of a layout of fixed columns"
    contact = Contact(**{f: get(c, '') for f, c in columns.names.items()})
    contact.notes = contact.notes.replace('\r\n', '\n')
    contact.websites = [get(c) for c in columns.websites if get(c)]
    for index, column in enumerate(columns.emails):
        if get(column):
            contact.emails.append(Email(
                    get(column), 'work' if index == 0 else 'other'))
    for column, kind in columns.phones:
        if get(column):
            contact.phones.append(Phone(get(column), kind))
    for prefix, kind in columns.addresses:
        address = Address(
            street='\n'.join(filter(None, (
                        get(f"{prefix} {c}", '') for c in columns.streets))),
            kind=kind,
            **{f: get(f"{prefix} {c}", '')
                for f, c in columns.parts.items()})
        if address:
            contact.addresses.append(address)
    return contact


def _outlook(get):
    contact = _read_columns(OUTLOOK_LAYOUT, get)
    contact.birthday = _birthday(get("Birthday", ''))
    return contact


def _google_kind(label, kinds):
    "The kind of a Google label: Work, * Home, Mobile, Work Fax, Pager..."
    label = label.lstrip('* ').strip().lower()
    if 'fax' in label:
        return 'fax' if 'fax' in kinds else 'other'
    if label in {'mobile', 'cell', 'iphone'}:
        return 'mobile' if 'mobile' in kinds else 'other'
    if label in {'main', 'company main'} and 'work' in kinds:
        return 'work'
    if label in kinds:
        return label
    return 'other'


def _numbered(get, kind):
    "The indexes of the numbered columns of a kind (E-mail, Phone...)"
    index = 1
    while get(f"{kind} {index} - Value") is not None or get(
            f"{kind} {index} - Street") is not None or get(
            f"{kind} {index} - Formatted") is not None:
        yield index
        index += 1


def _google(get):
    email_kinds = {'work', 'home', 'other'}
    phone_kinds = set(GOOGLE_PHONE_LABELS)
    contact = Contact(
        given_name=get("First Name", ''),
        middle_name=get("Middle Name", ''),
        family_name=get("Last Name", ''),
        # The name as the user files it, in its own order.
        full_name=get("File As", ''),
        organisation=get("Organization Name", ''),
        job_title=get("Organization Title", ''),
        department=get("Organization Department", ''),
        notes=get("Notes", '').replace('\r\n', '\n'),
        birthday=_birthday(get("Birthday", '')))
    for index in _numbered(get, "E-mail"):
        label = get(f"E-mail {index} - Label", '')
        for value in get(f"E-mail {index} - Value", '').split(
                GOOGLE_SEPARATOR):
            if value.strip():
                contact.emails.append(Email(
                        value.strip(), _google_kind(label, email_kinds)))
    for index in _numbered(get, "Phone"):
        label = get(f"Phone {index} - Label", '')
        for value in get(f"Phone {index} - Value", '').split(
                GOOGLE_SEPARATOR):
            if value.strip():
                contact.phones.append(Phone(
                        value.strip(), _google_kind(label, phone_kinds)))
    for index in _numbered(get, "Address"):
        def part(name):
            return get(f"Address {index} - {name}", '')
        street = '\n'.join(filter(None, (
                    part("Street"), part("Extended Address"))))
        if not (street or part("City") or part("Postal Code")):
            # Only the formatted address (older exports): its lines.
            street = part("Formatted")
        address = Address(
            street=street, city=part("City"), region=part("Region"),
            postal_code=part("Postal Code"), country=part("Country"),
            kind=_google_kind(part("Label"), email_kinds))
        if address:
            contact.addresses.append(address)
    for index in _numbered(get, "Website"):
        for value in get(f"Website {index} - Value", '').split(
                GOOGLE_SEPARATOR):
            if value.strip():
                contact.websites.append(value.strip())
    # Google moves a contact's "Organization Name" alone, without
    # person names, to the first name column in some exports.
    if (contact.organisation and contact.given_name
            == contact.organisation and not contact.family_name):
        contact.given_name = ''
    return contact


def _thunderbird(get):
    contact = _read_columns(THUNDERBIRD_LAYOUT, get)
    try:
        contact.birthday = datetime.date(int(get("Birth Year", '')),
            int(get("Birth Month", '')), int(get("Birth Day", '')))
    except ValueError:
        pass
    return contact


def _csv(header, rows):
    output = io.StringIO(newline='')
    writer = csv.writer(output, lineterminator='\r\n', quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows(rows)
    return output.getvalue()


def _company(contact):
    "The organisation column of a contact: its name for an organisation"
    if (not contact.is_person and not contact.organisation
            and not contact.name_is_fallback):
        return contact.name
    return contact.organisation


def write(contacts, format):
    "Return the bytes of the CSV file of the contacts in the format"
    if format == 'outlook':
        # With BOM: Excel and Outlook read it as UTF-8 and not as the
        # code page of Windows.
        return write_outlook(contacts).encode('utf-8-sig')
    if format == 'google':
        return write_google(contacts).encode('utf-8')
    if format == 'thunderbird':
        # Thunderbird tells UTF-8 by its BOM.
        return write_thunderbird(contacts).encode('utf-8-sig')
    raise ExchangeError('unknown_format')


def _free_phones(columns, contact):
    "The phone columns of the contact, each in a free column of its kind"
    free = {kind: [c for c, k in columns if k == kind]
        for _, kind in columns}
    row = {}
    for phone in contact.phones:
        if free.get(phone.kind):
            row[free[phone.kind].pop(0)] = phone.number
        elif free.get('other'):
            row[free['other'].pop(0)] = phone.number
    return row


def _write_columns(columns, contact):
    """The columns of the web pages, e-mails, phones and addresses of the
    contact in a layout of fixed columns: those the layout has room for"""
    row = dict(zip(columns.websites, contact.websites))
    row.update(zip(columns.emails, (e.address for e in contact.emails)))
    row.update(_free_phones(columns.phones, contact))
    for prefix, kind in columns.addresses:
        address = next(
            (a for a in contact.addresses if a.kind == kind), None)
        if not address:
            continue
        streets = address.street.split('\n', len(columns.streets) - 1)
        for column, street in zip(columns.streets, streets):
            row[f"{prefix} {column}"] = street
        for field_, column in columns.parts.items():
            row[f"{prefix} {column}"] = getattr(address, field_)
    return row


def write_outlook(contacts):
    rows = []
    for contact in contacts:
        row = dict.fromkeys(OUTLOOK_HEADER, '')
        row.update({
                "First Name": contact.given_name,
                "Middle Name": contact.middle_name,
                "Last Name": contact.family_name,
                "Company": _company(contact),
                "Department": contact.department,
                "Job Title": contact.job_title,
                "Notes": contact.notes,
                "Birthday": (contact.birthday.strftime('%m/%d/%Y')
                    if contact.birthday else ''),
                })
        row.update(_write_columns(OUTLOOK_LAYOUT, contact))
        for column, email in zip(OUTLOOK_EMAILS, contact.emails):
            row[column.replace("Address", "Type")] = 'SMTP'
        rows.append([row[c] for c in OUTLOOK_HEADER])
    return _csv(OUTLOOK_HEADER, rows)


def write_google(contacts):
    emails = max((len(c.emails) for c in contacts), default=0) or 1
    phones = max((len(c.phones) for c in contacts), default=0) or 1
    addresses = max((len(c.addresses) for c in contacts), default=0) or 1
    websites = max((len(c.websites) for c in contacts), default=0) or 1
    header = list(GOOGLE_HEADER)
    for i in range(1, emails + 1):
        header += [f"E-mail {i} - Label", f"E-mail {i} - Value"]
    for i in range(1, phones + 1):
        header += [f"Phone {i} - Label", f"Phone {i} - Value"]
    for i in range(1, addresses + 1):
        header += [f"Address {i} - {p}" for p in GOOGLE_ADDRESS_PARTS]
    for i in range(1, websites + 1):
        header += [f"Website {i} - Label", f"Website {i} - Value"]
    rows = []
    for contact in contacts:
        row = dict.fromkeys(header, '')
        row.update({
                "First Name": contact.given_name,
                "Middle Name": contact.middle_name,
                "Last Name": contact.family_name,
                "File As": contact.person_name or _company(contact),
                "Organization Name": _company(contact),
                "Organization Title": contact.job_title,
                "Organization Department": contact.department,
                "Birthday": (contact.birthday.isoformat()
                    if contact.birthday else ''),
                "Notes": contact.notes,
                "Labels": '* myContacts',
                })
        for i, email in enumerate(contact.emails, 1):
            row[f"E-mail {i} - Label"] = email.kind.capitalize()
            row[f"E-mail {i} - Value"] = email.address
        for i, phone in enumerate(contact.phones, 1):
            row[f"Phone {i} - Label"] = GOOGLE_PHONE_LABELS[phone.kind]
            row[f"Phone {i} - Value"] = phone.number
        for i, address in enumerate(contact.addresses, 1):
            row[f"Address {i} - Label"] = address.kind.capitalize()
            row[f"Address {i} - Street"] = address.street
            row[f"Address {i} - City"] = address.city
            row[f"Address {i} - Region"] = address.region
            row[f"Address {i} - Postal Code"] = address.postal_code
            row[f"Address {i} - Country"] = address.country
            row[f"Address {i} - Formatted"] = '\n'.join(filter(None, (
                        address.street,
                        ' '.join(filter(None, (
                                    address.postal_code, address.city))),
                        address.region, address.country)))
        for i, website in enumerate(contact.websites, 1):
            row[f"Website {i} - Value"] = website
        rows.append([row[c] for c in header])
    return _csv(header, rows)


def write_thunderbird(contacts):
    rows = []
    for contact in contacts:
        row = dict.fromkeys(THUNDERBIRD_HEADER, '')
        row.update({
                "First Name": contact.given_name,
                "Last Name": contact.family_name,
                "Display Name": contact.person_name or _company(contact),
                "Organization": _company(contact),
                "Department": contact.department,
                "Job Title": contact.job_title,
                "Notes": contact.notes,
                })
        if contact.birthday:
            row["Birth Year"] = str(contact.birthday.year)
            row["Birth Month"] = str(contact.birthday.month)
            row["Birth Day"] = str(contact.birthday.day)
        row.update(_write_columns(THUNDERBIRD_LAYOUT, contact))
        rows.append([row[c] for c in THUNDERBIRD_HEADER])
    return _csv(THUNDERBIRD_HEADER, rows)
