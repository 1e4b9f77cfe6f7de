# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The CSV files of Outlook and of Google Contacts, read and written.

Both are recognised by their header; columns are found by name, so files
with fewer columns or another order (older Outlook versions, a trimmed
Google export) read the same.
"""
import csv
import datetime
import io

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
# Outlook's phone columns and the kind each one is.
OUTLOOK_PHONES = [
    ("Business Phone", 'work'), ("Business Phone 2", 'work'),
    ("Company Main Phone", 'work'), ("Primary Phone", 'other'),
    ("Home Phone", 'home'), ("Home Phone 2", 'home'),
    ("Mobile Phone", 'mobile'), ("Car Phone", 'mobile'),
    ("Business Fax", 'fax'), ("Home Fax", 'fax'), ("Other Fax", 'fax'),
    ("Other Phone", 'other'),
    ]
OUTLOOK_ADDRESSES = [("Business", 'work'), ("Home", 'home'),
    ("Other", 'other')]

# The leading columns of Google Contacts' export ("Google CSV") since
# 2023; e-mails, phones, addresses and websites follow, numbered.
GOOGLE_HEADER = [
    "First Name", "Middle Name", "Last Name", "Phonetic First Name",
    "Phonetic Middle Name", "Phonetic Last Name", "Name Prefix",
    "Name Suffix", "Nickname", "File As", "Organization Name",
    "Organization Title", "Organization Department", "Birthday", "Notes",
    "Photo", "Labels",
    ]
GOOGLE_ADDRESS_PARTS = ["Label", "Formatted", "Street", "City", "PO Box",
    "Region", "Postal Code", "Country", "Extended Address"]
# Google puts several values of one label in one cell.
GOOGLE_SEPARATOR = ' ::: '
GOOGLE_PHONE_LABELS = {
    'work': 'Work', 'home': 'Home', 'mobile': 'Mobile', 'fax': 'Work Fax',
    'other': 'Other'}


def detect(header):
    "Return 'outlook', 'google' or None from the columns of the header"
    columns = set(header)
    if {"E-mail 1 - Value", "Organization Name"} & columns and (
            "First Name" in columns or "Name" in columns):
        return 'google'
    if "E-mail Address" in columns and (
            {"Company", "Business Phone", "First Name"} & columns):
        return 'outlook'
    return None


def read_header(text):
    try:
        return next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        return []


def _rows(text):
    "Yield (line number, dict) of the data rows"
    reader = csv.reader(io.StringIO(text, newline=''))
    try:
        header = next(reader)
        line = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                if len(row) != len(header):
                    raise ExchangeError('csv_columns', line,
                        count=len(row), expected=len(header))
                yield line, dict(zip(header, (c.strip() for c in row)))
            line = reader.line_num + 1
    except csv.Error as exception:
        raise ExchangeError(
            'csv_malformed', reader.line_num, reason=str(exception))


def _birthday(value):
    for pattern in ('%Y-%m-%d', '%m/%d/%Y', '%d/%m/%Y', '%d.%m.%Y'):
        try:
            return datetime.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    # Outlook writes "0/0/00" for no birthday, Google "--01-15" for one
    # without year: neither is a date.
    return None


def read_outlook(text):
    contacts = []
    for line, row in _rows(text):
        get = row.get
        contact = Contact(
            number=line,
            given_name=get("First Name", ''),
            middle_name=get("Middle Name", ''),
            family_name=get("Last Name", ''),
            organisation=get("Company", ''),
            department=get("Department", ''),
            job_title=get("Job Title", ''),
            websites=[w for w in [get("Web Page", '')] if w],
            notes=get("Notes", '').replace('\r\n', '\n'),
            birthday=_birthday(get("Birthday", '')))
        for index, column in enumerate(OUTLOOK_EMAILS):
            if get(column):
                # Outlook has no kind of e-mail; the first is the main one.
                contact.emails.append(Email(
                        get(column), 'work' if index == 0 else 'other'))
        for column, kind in OUTLOOK_PHONES:
            if get(column):
                contact.phones.append(Phone(get(column), kind))
        for prefix, kind in OUTLOOK_ADDRESSES:
            address = Address(
                street='\n'.join(filter(None, (
                            get(f"{prefix} Street", ''),
                            get(f"{prefix} Street 2", ''),
                            get(f"{prefix} Street 3", '')))),
                city=get(f"{prefix} City", ''),
                region=get(f"{prefix} State", ''),
                postal_code=get(f"{prefix} Postal Code", ''),
                country=get(f"{prefix} Country/Region", ''),
                kind=kind)
            if address:
                contact.addresses.append(address)
        contacts.append(contact.fill_names())
    return contacts


def _google_kind(label, kinds):
    label = label.lstrip('* ').strip().lower()
    if 'fax' in label:
        return 'fax' if 'fax' in kinds else 'other'
    if label in {'mobile', 'cell'}:
        return 'mobile' if 'mobile' in kinds else 'other'
    if label in kinds:
        return label
    return 'other'


def _numbered(row, kind):
    "The indexes of the numbered columns of a kind (E-mail, Phone...)"
    index = 1
    while f"{kind} {index} - Label" in row:
        yield index
        index += 1


def read_google(text):
    contacts = []
    email_kinds = {'work', 'home', 'other'}
    phone_kinds = set(GOOGLE_PHONE_LABELS)
    for line, row in _rows(text):
        get = row.get
        contact = Contact(
            number=line,
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
        for index in _numbered(row, "E-mail"):
            label = get(f"E-mail {index} - Label", '')
            for value in get(f"E-mail {index} - Value", '').split(
                    GOOGLE_SEPARATOR):
                if value.strip():
                    contact.emails.append(Email(
                            value.strip(), _google_kind(label, email_kinds)))
        for index in _numbered(row, "Phone"):
            label = get(f"Phone {index} - Label", '')
            for value in get(f"Phone {index} - Value", '').split(
                    GOOGLE_SEPARATOR):
                if value.strip():
                    contact.phones.append(Phone(
                            value.strip(), _google_kind(label, phone_kinds)))
        for index in _numbered(row, "Address"):
            def part(name):
                return get(f"Address {index} - {name}", '')
            address = Address(
                street='\n'.join(filter(None, (
                            part("Street"), part("Extended Address")))),
                city=part("City"), region=part("Region"),
                postal_code=part("Postal Code"), country=part("Country"),
                kind=_google_kind(part("Label"), email_kinds))
            if address:
                contact.addresses.append(address)
        for index in _numbered(row, "Website"):
            if get(f"Website {index} - Value"):
                contact.websites.append(get(f"Website {index} - Value"))
        # Google moves a contact's "Organization Name" alone, without
        # person names, to the first name column in some exports.
        if (contact.organisation and contact.given_name
                == contact.organisation and not contact.family_name):
            contact.given_name = ''
        contacts.append(contact.fill_names())
    return contacts


def _csv(header, rows):
    output = io.StringIO(newline='')
    writer = csv.writer(output, lineterminator='\r\n', quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows(rows)
    return output.getvalue()


def write_outlook(contacts):
    rows = []
    for contact in contacts:
        row = dict.fromkeys(OUTLOOK_HEADER, '')
        row.update({
                "First Name": contact.given_name,
                "Middle Name": contact.middle_name,
                "Last Name": contact.family_name,
                "Company": contact.organisation,
                "Department": contact.department,
                "Job Title": contact.job_title,
                "Web Page": (contact.websites or [''])[0],
                "Notes": contact.notes,
                "Birthday": (contact.birthday.strftime('%m/%d/%Y')
                    if contact.birthday else ''),
                })
        if not contact.is_person and not contact.organisation:
            row["Company"] = contact.name
        for column, email in zip(OUTLOOK_EMAILS, contact.emails):
            row[column] = email.address
            row[column.replace("Address", "Type")] = 'SMTP'
        free = {kind: [c for c, k in OUTLOOK_PHONES if k == kind]
            for _, kind in OUTLOOK_PHONES}
        for phone in contact.phones:
            if free[phone.kind]:
                row[free[phone.kind].pop(0)] = phone.number
            elif free['other']:
                row[free['other'].pop(0)] = phone.number
        for prefix, kind in OUTLOOK_ADDRESSES:
            address = next(
                (a for a in contact.addresses if a.kind == kind), None)
            if not address:
                continue
            streets = address.street.split('\n', 2)
            for suffix, street in zip(['', ' 2', ' 3'], streets):
                row[f"{prefix} Street{suffix}"] = street
            row[f"{prefix} City"] = address.city
            row[f"{prefix} State"] = address.region
            row[f"{prefix} Postal Code"] = address.postal_code
            row[f"{prefix} Country/Region"] = address.country
        rows.append([row[c] for c in OUTLOOK_HEADER])
    return _csv(OUTLOOK_HEADER, rows)


def write_google(contacts):
    emails = max((len(c.emails) for c in contacts), default=0) or 1
    phones = max((len(c.phones) for c in contacts), default=0) or 1
    addresses = max((len(c.addresses) for c in contacts), default=0) or 1
    header = list(GOOGLE_HEADER)
    for i in range(1, emails + 1):
        header += [f"E-mail {i} - Label", f"E-mail {i} - Value"]
    for i in range(1, phones + 1):
        header += [f"Phone {i} - Label", f"Phone {i} - Value"]
    for i in range(1, addresses + 1):
        header += [f"Address {i} - {p}" for p in GOOGLE_ADDRESS_PARTS]
    header += ["Website 1 - Label", "Website 1 - Value"]
    rows = []
    for contact in contacts:
        row = dict.fromkeys(header, '')
        row.update({
                "First Name": contact.given_name,
                "Middle Name": contact.middle_name,
                "Last Name": contact.family_name,
                "File As": contact.name,
                "Organization Name": contact.organisation,
                "Organization Title": contact.job_title,
                "Organization Department": contact.department,
                "Birthday": (contact.birthday.isoformat()
                    if contact.birthday else ''),
                "Notes": contact.notes,
                "Labels": '* myContacts',
                })
        if not contact.is_person and not contact.organisation:
            row["Organization Name"] = contact.name
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
        if contact.websites:
            row["Website 1 - Value"] = contact.websites[0]
        rows.append([row[c] for c in header])
    return _csv(header, rows)
