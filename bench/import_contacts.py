#!/usr/bin/env python3
# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Time the import of a large vCard file into a fresh database.

The file (10,000 cards by default: persons of a fifth as many
organisations, with an e-mail, two phones and an address each, and some
cards of the organisations themselves) is built with the module's own
vCard writer. The database is created afresh, crm_plus activated and a
company (in Spain) set up for the administrator, who imports as users do:
with the company and the language of the user's preferences in the
context.

Four timings, each on the empty database:
- the baseline: the host's plain party.party.create of the same partners
  with their contact mechanisms and addresses (organisations first, then
  the persons linked to them), by lists of 250 as the import, rolled
  back;
- the method: reading the file, matching every contact and
  party.party.import_contacts, rolled back;
- the wizard, end to end as the web client drives it: a session of
  crm.contact.import, its preview executed with the file, its import with
  the preview's values posted back, which queues the file, and the queued
  task run as the worker runs it, committed;
- the wizard with the same file again: every contact matches and nothing is
  created.
"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (  # noqa: E402
    activate, argument_parser, create_database, database_exists,
    parse_options)

GIVEN = ["Ana", "Luis", "Eva", "Jiří", "Petra", "Hanako", "Carlos", "María",
    "Jürgen", "Oldřich", "Lucía", "Tomáš", "Wang", "Sofía", "Pablo", "Jan"]
FAMILY = ["García", "Novák", "Suzuki", "Fernández", "Weiß", "Dvořák",
    "Svobodová", "Ruiz", "Pérez", "Horák", "Muñoz", "Black", "Ortiz"]
SYLLABLES = ['ba', 'ko', 'ri', 'ta', 'men', 'sol', 'ver', 'dan', 'lu',
    'mar', 'tek', 'no', 'vi', 'ra', 'zen', 'pol', 'kar', 'si', 'do']
FORMS = ["S.L.", "GmbH", "s.r.o.", "S.A.", "Ltd"]
CITIES = [("Madrid", "28001"), ("Barcelona", "08007"), ("Sevilla", "41001"),
    ("Valencia", "46001"), ("Bilbao", "48001")]


def parse_arguments():
    parser = argument_parser(
        __doc__.splitlines()[0], database_default='bench_import',
        database_help="the database, dropped and created again "
        "(default: %(default)s)")
    parser.add_argument('--contacts', type=int, default=10000)
    parser.add_argument('--seed', type=int, default=42)
    parser.add_argument(
        '--file', help="also write the vCard file there")
    options = parse_options(parser)
    return options


def make_contacts(count, seed):
    from trytond.modules.crm_plus.exchange import (
        Address, Contact, Email, Phone)
    rng = random.Random(seed)
    organisations = []
    for n in range(max(count // 5, 1)):
        word = ''.join(rng.choice(SYLLABLES) for _ in range(3))
        organisations.append("%s %d %s" % (
                word.capitalize(), n, rng.choice(FORMS)))
    contacts = []
    for n in range(count):
        city, postal_code = rng.choice(CITIES)
        address = Address(
            street="Calle %s %d" % (rng.choice(FAMILY), n % 200 + 1),
            city=city, postal_code=postal_code, kind='work')
        landline = '+34 91%d %03d %03d' % (
            n // 1000000, n // 1000 % 1000, n % 1000)
        mobile = '+34 6%02d %03d %03d' % (
            n // 1000000 + 10, n // 1000 % 1000, n % 1000)
        if n % 10 == 0:
            # A card of the organisation itself.
            name = organisations[n // 10 % len(organisations)]
            contacts.append(Contact(
                    full_name=name, organisation=name,
                    emails=[Email('info%d@org.example' % n, 'work')],
                    phones=[Phone(landline, 'work')],
                    addresses=[address]))
            continue
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        contacts.append(Contact(
                given_name=given, family_name=family,
                full_name="%s %s %d" % (given, family, n),
                organisation=rng.choice(organisations),
                job_title=rng.choice(["Buyer", "Manager", "Director"]),
                department=rng.choice(["Purchasing", "Sales", "IT"]),
                emails=[Email('contact%d@example.com' % n, 'work')],
                phones=[Phone(landline, 'work'), Phone(mobile, 'mobile')],
                addresses=[address]))
    return contacts


def baseline(contacts):
    "The host's plain create of the same partners, in lists of 250"
    from trytond.pool import Pool
    Party = Pool().get('party.party')
    organisations = sorted({c.organisation for c in contacts})

    def values(contact, organisation=None):
        mechanisms = [{'type': 'email', 'value': e.address}
            for e in contact.emails]
        mechanisms += [{
                'type': 'mobile' if p.kind == 'mobile' else 'phone',
                'value': p.number} for p in contact.phones]
        result = {
            'name': contact.name,
            'contact_mechanisms': [('create', mechanisms)],
            'addresses': [('create', [{
                            'street_unstructured': a.street,
                            'city': a.city,
                            'postal_code': a.postal_code,
                            } for a in contact.addresses])],
            }
        if contact.is_person:
            result.update({
                    'party_kind': 'person',
                    'surname': contact.family_name,
                    'organisation': organisation,
                    'job_title': contact.job_title,
                    'department': contact.department,
                    })
        else:
            result['party_kind'] = 'organisation'
        return result

    ids = {}
    organisation_values = {c.organisation: values(c) for c in contacts
        if not c.is_person}
    to_create = [organisation_values.get(o) or {
            'name': o, 'party_kind': 'organisation'} for o in organisations]
    for start in range(0, len(to_create), 250):
        for party in Party.create(to_create[start:start + 250]):
            ids[party.name] = party.id
    persons = [values(c, ids[c.organisation]) for c in contacts
        if c.is_person]
    for start in range(0, len(persons), 250):
        Party.create(persons[start:start + 250])


def run_import(data):
    "Read, match and import as the wizard does; return the contacts"
    from trytond.modules.crm_plus import exchange
    from trytond.pool import Pool
    Party = Pool().get('party.party')
    format, contacts, _ = exchange.read(data)
    Party.check_import_contacts(format, contacts)
    matches = Party.match_import_contacts(contacts)
    targets = [same[0] if len(same) == 1 else None for same, _ in matches]
    Party.import_contacts(format, contacts, targets)
    return contacts, targets


def set_up_company(database):
    """Create a company in Spain for the administrator and return the
    context of the administrator's preferences"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database)
    with Transaction().start(database, 0) as transaction:
        Country = pool.get('country.country')
        Currency = pool.get('currency.currency')
        Party = pool.get('party.party')
        Company = pool.get('company.company')
        User = pool.get('res.user')
        spain, = Country.create([{'name': "Spain", 'code': 'ES'}])
        euro, = Currency.create([
                {'name': "Euro", 'code': 'EUR', 'symbol': '€'}])
        party, = Party.create([{
                    'name': "Bench Company S.L.",
                    'addresses': [('create', [{
                                    'city': "Madrid", 'country': spain.id}])],
                    }])
        company, = Company.create([{'party': party.id, 'currency': euro.id}])
        admin, = User.search([('login', '=', 'admin')])
        User.write([admin], {
                'companies': [('add', [company.id])],
                'company': company.id,
                })
        transaction.commit()
    with Transaction().start(database, admin.id) as transaction:
        return admin.id, User.get_preferences(context_only=True)


def run_wizard(database, configfile, data):
    """Import the file through the wizard as the web client does, then run
    the queued task as the worker does; return the job"""
    from proteus import Model, Wizard
    from proteus import config as proteus_config
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond.worker import run_task
    proteus_config.set_trytond(database, config_file=configfile)
    wizard = Wizard('crm.contact.import')
    wizard.form.file = data
    wizard.form.filename = 'contacts.vcf'
    wizard.execute('preview')
    lines = len(wizard.form.lines)
    wizard.execute('import_')
    with Transaction().start(database, 0):
        Queue = Pool(database).get('ir.queue')
        tasks = [t.id for t in Queue.search([('finished_at', '=', None)])]
    for task_id in tasks:
        run_task(database, task_id)
    Job = Model.get('crm.contact.import.job')
    job = Job.find([])[0]
    return job, lines


def main():
    options = parse_arguments()
    from trytond import config
    config.update_etc(options.configfile)
    from trytond.modules.crm_plus import exchange

    contacts = make_contacts(options.contacts, options.seed)
    data = exchange.write(contacts, 'vcard3')
    if options.file:
        with open(options.file, 'wb') as file:
            file.write(data)
    print("File: %d cards, %.1f MB" % (len(contacts), len(data) / 1e6),
        file=sys.stderr)

    create_database(
        options.database, drop=database_exists(options.database))
    returncode = activate(
        options.configfile, options.database, 'admin@example.com')
    if returncode:
        return returncode

    from trytond import backend
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool(options.database).init()
    user, context = set_up_company(options.database)
    # Warm up: the first calls load the caches that every timing needs.
    with Transaction().start(
            options.database, user, context=context) as transaction:
        baseline(contacts[:100])
        transaction.rollback()
    with Transaction().start(
            options.database, user, context=context) as transaction:
        run_import(exchange.write(contacts[:100], 'vcard3'))
        transaction.rollback()
    with Transaction().start(
            options.database, user, context=context) as transaction:
        begin = time.monotonic()
        baseline(contacts)
        baseline_time = time.monotonic() - begin
        transaction.rollback()
    # The host reads the company's countries again for every number it
    # formats and checks, which the import does once: the same create
    # with them read once is the stricter baseline.
    from trytond.modules.crm_plus.models.duplicate import (
        _phone_country_codes)
    with Transaction().start(
            options.database, user, context=context) as transaction:
        with transaction.set_context(
                _company_phone_codes=tuple(_phone_country_codes())):
            begin = time.monotonic()
            baseline(contacts)
            strict_time = time.monotonic() - begin
        transaction.rollback()
    with Transaction().start(
            options.database, user, context=context) as transaction:
        begin = time.monotonic()
        run_import(data)
        method_time = time.monotonic() - begin
        transaction.rollback()
    begin = time.monotonic()
    job, lines = run_wizard(options.database, options.configfile, data)
    wizard_time = time.monotonic() - begin
    assert job.state == 'done', job.error
    created = job.created
    begin = time.monotonic()
    again, again_lines = run_wizard(
        options.database, options.configfile, data)
    again_time = time.monotonic() - begin
    assert again.state == 'done', again.error
    backend.Database(options.database).close()

    count = len(contacts)
    print("| %s | %s | %.1f s | %.1f s | %.1f s | %.1f s | %.2f | %.2f "
        "| %.2f | %.1f s: %d unchanged, %d created |" % (
            backend.name, f"{count:,}", wizard_time, method_time,
            baseline_time, strict_time, wizard_time / method_time,
            method_time / baseline_time, method_time / strict_time,
            again_time, again.unchanged, again.created))
    print("First import: %d created, %d preview lines; again: %d preview "
        "lines" % (created, lines, again_lines), file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
