# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import os
import re

import polib

from trytond.model.exceptions import (
    AccessError, DomainValidationError, SQLConstraintError, ValidationError)
from trytond.modules.crm_plus.exchange import Contact, Email
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, create_employee, set_company)
from trytond.modules.party.tests import PartyCheckReplaceMixin
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction, inactive_records


class CrmPlusTestCase(
        PartyCheckReplaceMixin, CompanyTestMixin, ModuleTestCase):
    "Test crm_plus module"
    module = 'crm_plus'

    @with_transaction()
    def test_territory_hierarchy(self):
        "Territory names show their path and search children"
        pool = Pool()
        Territory = pool.get('crm.territory')

        europe, = Territory.create([{'name': "Europe", 'code': 'EU'}])
        spain, = Territory.create([{'name': "Spain", 'parent': europe.id}])

        self.assertEqual(spain.rec_name, "Europe / Spain")
        self.assertEqual(
            Territory.search([('rec_name', '=', 'EU')]), [europe])
        self.assertEqual(
            Territory.search([('parent', 'child_of', [europe.id])]),
            [europe, spain])
        with self.assertRaises(ValidationError):
            Territory.write([europe], {'parent': spain.id})
        with self.assertRaises(SQLConstraintError):
            Territory.create([{'name': "Euro", 'code': 'EU'}])

    @with_transaction()
    def test_one_administrative_team_per_employee(self):
        "An employee is in one administrative team, any cross teams"
        pool = Pool()
        Team = pool.get('crm.team')

        company = create_company()
        with set_company(company):
            employee = create_employee(company)
            north, south = Team.create([
                    {'name': "North", 'members': [('add', [employee.id])]},
                    {'name': "South"},
                    ])
            key, project = Team.create([
                    {'name': "Key Accounts", 'kind': 'cross_functional',
                        'members': [('add', [employee.id])]},
                    {'name': "Project X", 'kind': 'cross_functional',
                        'members': [('add', [employee.id])]},
                    ])

            self.assertEqual(employee.administrative_team, north)
            self.assertEqual(
                set(employee.crm_teams), {north, key, project})
            self.assertEqual(
                type(employee).search(
                    [('administrative_team', '=', north.id)]),
                [employee])
            self.assertEqual(
                type(employee).search(
                    [('administrative_team', '=', None)]), [])

            with self.assertRaises(ValidationError):
                Team.write([south], {'members': [('add', [employee.id])]})
            with self.assertRaises(ValidationError):
                Team.write([key], {'kind': 'administrative'})

    @with_transaction()
    def test_cross_functional_team_no_hierarchy(self):
        "Cross-functional teams stay outside the hierarchy"
        pool = Pool()
        Team = pool.get('crm.team')

        company = create_company()
        with set_company(company):
            sales, = Team.create([{'name': "Sales"}])
            with self.assertRaises(ValidationError):
                Team.create([{
                            'name': "Task Force",
                            'kind': 'cross_functional',
                            'parent': sales.id,
                            }])
            emea, = Team.create([{'name': "EMEA", 'parent': sales.id}])
            self.assertEqual(emea.rec_name, "Sales / EMEA")

    @with_transaction()
    def test_party_crm_values_checked(self):
        "Bad CRM values on a partner are refused"
        pool = Pool()
        Party = pool.get('party.party')
        Currency = pool.get('currency.currency')

        currency, = Currency.create([{'name': "Euro", 'code': 'EUR',
                    'symbol': "€"}])
        party, = Party.create([{'name': "Acme"}])
        for values, error in [
                ({'sic_code': '73X'}, ValidationError),
                ({'sic_code': '7'}, ValidationError),
                ({'employee_count': -1}, DomainValidationError),
                ({'annual_revenue': -5, 'revenue_currency': currency.id},
                    DomainValidationError),
                ({'annual_revenue': 5, 'revenue_currency': None},
                    ValidationError),
                ]:
            with self.subTest(values=values):
                with self.assertRaises(error):
                    Party.write([party], values)
        Party.write([party], {
                'sic_code': '7372', 'employee_count': 40,
                'annual_revenue': 1000, 'revenue_currency': currency.id})
        self.assertEqual(party.sic_code, '7372')

    @with_transaction()
    def test_crm_fields_hidden_without_crm_group(self):
        "Users outside the CRM groups neither read nor write the CRM tab"
        pool = Pool()
        Party = pool.get('party.party')
        User = pool.get('res.user')

        party, = Party.create([{'name': "Acme", 'sic_code': '7372'}])
        user, = User.create([{'name': "Clerk", 'login': 'clerk'}])
        with Transaction().set_user(user.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(
                Party.read([party.id], ['name'])[0]['name'], "Acme")
            with self.assertRaises(AccessError):
                Party.read([party.id], ['sic_code'])
            with self.assertRaises(AccessError):
                Party.write([party], {'sic_code': '1234'})
            arch = Party.fields_view_get(view_type='form')['arch']
            self.assertNotIn('sic_code', arch)

    @with_transaction()
    def test_opportunity_defaults_from_party(self):
        "An opportunity takes territory and team from its party"
        pool = Pool()
        Party = pool.get('party.party')
        Territory = pool.get('crm.territory')
        Team = pool.get('crm.team')
        Opportunity = pool.get('sale.opportunity')

        company = create_company()
        with set_company(company):
            employee = create_employee(company)
            territory, = Territory.create([{'name': "North"}])
            party_team, employee_team = Team.create([
                    {'name': "Key Accounts"},
                    {'name': "Field", 'members': [('add', [employee.id])]},
                    ])
            customer, prospect = Party.create([
                    {'name': "Acme", 'territory': territory.id,
                        'team': party_team.id},
                    {'name': "Prospect"},
                    ])
            from_party, from_employee, kept = Opportunity.create([
                    {'party': customer.id, 'employee': employee.id},
                    {'party': prospect.id, 'employee': employee.id},
                    {'party': customer.id, 'team': employee_team.id},
                    ])

            self.assertEqual(from_party.territory, territory)
            self.assertEqual(from_party.team, party_team)
            self.assertEqual(from_employee.territory, None)
            self.assertEqual(from_employee.team, employee_team)
            self.assertEqual(kept.team, employee_team)
            self.assertEqual(kept.territory, territory)

            lead = Opportunity()
            lead.party = customer
            lead.on_change_party()
            self.assertEqual(lead.territory, territory)
            self.assertEqual(lead.team, party_team)

    @with_transaction()
    def test_erase_person(self):
        "Erasing a person also erases its CRM personal data"
        pool = Pool()
        Party = pool.get('party.party')
        Erase = pool.get('party.erase', type='wizard')

        person, = Party.create([{
                    'name': "Jana Marková", 'party_kind': 'person',
                    'surname': "Marková", 'sic_code': '8742',
                    'employee_count': 1, 'active': False,
                    }])
        session_id, _, _ = Erase.create()
        erase = Erase(session_id)
        erase.ask.party = person
        erase.transition_erase()

        values, = Party.read(
            [person.id], ['name', 'surname', 'sic_code', 'employee_count'])
        self.assertEqual(
            (values['name'], values['surname'], values['sic_code'],
                values['employee_count']),
            (None, None, None, None))

    @with_transaction()
    def test_erase_contact_person(self):
        "Erasing a contact person also erases where and as what they worked"
        pool = Pool()
        Party = pool.get('party.party')
        Erase = pool.get('party.erase', type='wizard')

        acme, = Party.create([{'name': "Acme"}])
        boss, person = Party.create([{
                    'name': "Ana García", 'party_kind': 'person',
                    'organisation': acme.id,
                    }, {
                    'name': "Eva Ruiz", 'party_kind': 'person',
                    'organisation': acme.id, 'job_title': "Buyer",
                    'department': "Purchasing",
                    'private_notes': "Prefers calls in the morning.",
                    'contact_mechanisms': [('create', [
                                {'type': 'email',
                                    'value': "eva.ruiz@acme.example"},
                                ])],
                    'identifiers': [('create', [
                                {'code': "12345678Z"},
                                ])],
                    }])
        Party.write([person], {'reports_to': boss.id, 'active': False})
        session_id, _, _ = Erase.create()
        erase = Erase(session_id)
        erase.ask.party = person
        erase.transition_erase()

        fields = ['organisation', 'reports_to', 'job_title', 'department',
            'private_notes']
        values, = Party.read([person.id], fields)
        self.assertEqual([values[f] for f in fields], [None] * len(fields))
        self.assertEqual(Party(boss.id).organisation, acme)
        # Nor do the duplicate keys keep the name, e-mail or identifier.
        self.assertIsNone(
            Party.read([person.id], ['name_key'])[0]['name_key'])
        with inactive_records():
            self.assertEqual(
                [m.match_key for m in Party(person.id).contact_mechanisms]
                + [i.match_key for i in Party(person.id).identifiers],
                [None, None])
        self.assertEqual(
            Party.find_duplicates([{
                        'name': "Eva Ruiz",
                        'emails': ["eva.ruiz@acme.example"],
                        'tax_identifier': "12345678Z",
                        }]), [[]])

    @with_transaction()
    def test_find_duplicates(self):
        "Duplicates are found by tax id, e-mail, phone and similar name"
        pool = Pool()
        Party = pool.get('party.party')

        acme, brown, garcia, other = Party.create([{
                    'name': "Acme Ibérica S.L.",
                    'contact_mechanisms': [('create', [
                                {'type': 'email',
                                    'value': "info@acme.example"},
                                ])],
                    }, {
                    'name': "Brown Trading Ltd",
                    'contact_mechanisms': [('create', [
                                {'type': 'phone', 'value': "+44 20 7946 0018"},
                                ])],
                    'identifiers': [('create', [
                                {'type': 'gb_vat', 'code': "GB980780684"},
                                ])],
                    }, {
                    'name': "María García", 'party_kind': 'person',
                    }, {
                    'name': "Zeta Logistics",
                    }])
        self.assertEqual(acme.name_key, 'acme iberica')

        result = Party.find_duplicates([
                {'name': "ACME IBERICA, SL"},
                {'name': "Acme Iberia"},
                {'emails': ["  INFO@acme.example"]},
                {'phones': ["+442079460018"]},
                {'tax_identifier': "gb 980 7806 84"},
                {'name': "Acme Iberica", 'emails': ["info@acme.example"],
                    'phones': ["+44 20 7946 0018"]},
                {'name': "García", 'party_kind': 'organisation'},
                {'name': "Nobody Alike", 'emails': ["x@y.example"]},
                {},
                ])
        self.assertEqual(result, [
                [acme], [acme], [acme], [brown], [brown],
                [acme, brown], [], [], []])

        # Renaming updates the key the look-ups use.
        Party.write([other], {'name': "Acme Iberica SA"})
        acme_like, = Party.find_duplicates([{'name': "Acme Ibérica"}])
        self.assertEqual(set(acme_like), {acme, other})

        # The duplicates of a partner are the others, never itself.
        self.assertEqual(list(acme.duplicates), [other])
        self.assertEqual(list(garcia.duplicates), [])

        # Replaced (inactive) partners are no longer proposed.
        Party.write([other], {'active': False})
        self.assertEqual(
            Party.find_duplicates([{'name': "Acme Ibérica"}]), [[acme]])

    @with_transaction()
    def test_find_duplicates_queries(self):
        "find_duplicates runs as many queries for 90 candidates as for 3"
        pool = Pool()
        Party = pool.get('party.party')
        transaction = Transaction()

        Party.create([{
                    'name': "Company %d S.L." % i,
                    'contact_mechanisms': [('create', [
                                {'type': 'email',
                                    'value': "info@c%d.example" % i},
                                {'type': 'phone',
                                    'value': "+34 91 123 %04d" % i},
                                ])],
                    } for i in range(90)])

        def candidates(count):
            return [{
                    'name': "COMPANY %d SL" % i,
                    'emails': ["INFO@c%d.example" % i],
                    'phones': ["+3491123%04d" % i],
                    'tax_identifier': "ESB%08d" % i,
                    } for i in range(count)]

        class Counting:
            def __init__(self, wrapped, counter):
                self._wrapped, self._counter = wrapped, counter

            def __getattr__(self, name):
                return getattr(self._wrapped, name)

            def __iter__(self):
                return iter(self._wrapped)

            def cursor(self):
                return Counting(self._wrapped.cursor(), self._counter)

            def execute(self, *args):
                self._counter.append(args[0])
                return self._wrapped.execute(*args)

        counts = []
        connection = transaction.connection
        # Within the database's limit of parameters per query
        for count in [3, 90]:
            queries = []
            transaction.connection = Counting(connection, queries)
            try:
                result = Party.find_duplicates(candidates(count))
            finally:
                transaction.connection = connection
            self.assertEqual(len(result), count)
            self.assertTrue(all(
                    r and r[0].name == "Company %d S.L." % i
                    for i, r in enumerate(result)))
            counts.append(len(queries))
        self.assertEqual(counts[0], counts[1])
        self.assertLessEqual(counts[1], 5)

    @with_transaction()
    def test_import_contacts_organisation_and_again(self):
        "Imported contacts share their organisation however it is written"
        pool = Pool()
        Party = pool.get('party.party')
        Mechanism = pool.get('party.contact_mechanism')

        acme, = Party.create([{
                    'name': "Acme Ibérica S.L.",
                    'party_kind': 'organisation',
                    }])
        contacts = [
            Contact(given_name="Ana", family_name="García",
                organisation="ACME IBERICA SL", job_title="Buyer",
                emails=[Email('ana@acme.example', 'work')]).fill_names(),
            Contact(given_name="Luis", family_name="Pérez",
                organisation="Acme Ibérica, S.L.").fill_names(),
            ]
        matches = Party.match_import_contacts(contacts)
        self.assertEqual([same for same, _ in matches], [[], []])
        ana, luis = Party.import_contacts('google', contacts, [None, None])
        self.assertEqual((ana.organisation, luis.organisation), (acme, acme))
        self.assertEqual((ana.surname, ana.job_title), ("García", "Buyer"))
        self.assertEqual(
            [m.value for m in ana.contact_mechanisms], ['ana@acme.example'])
        parties, mechanisms = Party.search([], count=True), Mechanism.search(
            [], count=True)

        # Again: Ana by her e-mail, Luis by his name, nothing created.
        contacts[0].job_title = "Head of Purchasing"
        matches = Party.match_import_contacts(contacts)
        self.assertEqual(
            [same for same, _ in matches], [[ana.id], [luis.id]])
        Party.import_contacts(
            'google', contacts, [same[0] for same, _ in matches])
        self.assertEqual(Party.search([], count=True), parties)
        self.assertEqual(Mechanism.search([], count=True), mechanisms)
        self.assertEqual(Party(ana.id).job_title, "Head of Purchasing")

    def test_translations_complete(self):
        "Every catalogue translates every string, keeping its placeholders"
        locale = os.path.join(os.path.dirname(__file__), '..', 'locale')
        placeholder = re.compile(r'%\(\w+\)s')
        catalogues = sorted(f for f in os.listdir(locale) if f.endswith('.po'))
        self.assertEqual(catalogues, ['cs.po', 'es.po', 'ja.po', 'zh_CN.po'])
        for filename in catalogues:
            for entry in polib.pofile(os.path.join(locale, filename)):
                with self.subTest(catalogue=filename, msgid=entry.msgid):
                    self.assertTrue(entry.msgstr)
                    self.assertEqual(
                        sorted(placeholder.findall(entry.msgstr)),
                        sorted(placeholder.findall(entry.msgid)))


del ModuleTestCase
