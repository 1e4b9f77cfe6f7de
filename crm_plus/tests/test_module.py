# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
from decimal import Decimal
import io
import os
import re
import xml.etree.ElementTree as ElementTree
from unittest.mock import patch

import openpyxl
import polib

from trytond.exceptions import UserError
from trytond.model.exceptions import (
    AccessError, DomainValidationError, SQLConstraintError, ValidationError)
from trytond.modules.crm_plus.exchange import Contact, Email
from trytond.modules.crm_plus.models.lifecycle import LOST_CHECKED
from trytond.modules.crm_plus.tests.tools import counting_queries
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, create_employee, set_company)
from trytond.modules.party.tests import PartyCheckReplaceMixin
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder, PYSONEncoder
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction, check_access, inactive_records


def create_activity_user(company, employee, login, email=None):
    "A user working as the employee, who receives its notifications"
    User = Pool().get('res.user')
    user, = User.create([{
                'name': employee.party.name,
                'login': login,
                'email': email,
                'companies': [('add', [company.id])],
                'company': company.id,
                'employees': [('add', [employee.id])],
                'employee': employee.id,
                }])
    return user


def create_opportunities_with_sales(count, states):
    """Opportunities of one customer, each with one sale of a service line
    for 2 x (i + 1), in the states taken in turn"""
    pool = Pool()
    Opportunity = pool.get('sale.opportunity')
    Party = pool.get('party.party')
    Sale = pool.get('sale.sale')
    party, = Party.create([{
                'name': "Customer",
                'addresses': [('create', [{}])],
                }])
    opportunities = Opportunity.create([
            {'party': party.id} for _ in range(count)])
    sales = Sale.create([{
                'party': party.id,
                'invoice_address': party.addresses[0].id,
                'origin': str(o),
                'sale_date': datetime.date.today(),
                'lines': [('create', [{
                                'type': 'line',
                                'description': "Service",
                                'quantity': 2,
                                'unit_price': Decimal(i + 1),
                                }])],
                } for i, o in enumerate(opportunities)])
    for i, sale in enumerate(sales):
        sale.state = states[i % len(states)]
    Sale.save(sales)
    # The states that the host's processing of their sales gives the
    # opportunities: converted by their sale, won once it is confirmed.
    table = Opportunity.__table__()
    cursor = Transaction().connection.cursor()
    for state, sale_states in [
            ('converted', {'draft', 'quotation'}),
            ('won', {'confirmed', 'processing', 'done'})]:
        ids = [o.id for o, s in zip(opportunities, sales)
            if s.state in sale_states]
        if ids:
            cursor.execute(*table.update(
                    [table.state], [state], where=table.id.in_(ids)))
    return Opportunity.browse([o.id for o in opportunities])


class CrmPlusTestCase(
        PartyCheckReplaceMixin, CompanyTestMixin, ModuleTestCase):
    "Test crm_plus module"
    module = 'crm_plus'

    @property
    def _skip_company_rule(self):
        # Sales methods and scorecards without company are shared by all
        # companies: their rules let those through.
        return super()._skip_company_rule | {
            ('crm.sales_method', 'company'),
            ('crm.scorecard', 'company'),
            }

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
            # Among the employees of the test: another test may have left
            # some without a team.
            self.assertEqual(
                type(employee).search([
                        ('administrative_team', '=', None),
                        ('company', '=', company.id),
                        ]), [])

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
            self.assertNotIn('name="activities"', arch)
            self.assertNotIn('name="contact_activities"', arch)
            with self.assertRaises(AccessError):
                pool.get('crm.activity').search([])

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
    def test_fill_keys(self):
        "Keys added to existing partners are filled as a write would"
        pool = Pool()
        Party = pool.get('party.party')
        Mechanism = pool.get('party.contact_mechanism')

        parties = Party.create([{
                    'name': name,
                    'contact_mechanisms': [('create', [
                                {'type': 'email', 'value': email},
                                ])],
                    } for name, email in [
                    ("Acme Ibérica S.L.", "INFO@acme.example"),
                    ("Acme Iberica", "info@acme.example"),
                    ("Brown Trading Ltd", "sales@brown.example"),
                    ]])
        mechanisms = Mechanism.search([('party', 'in', parties)])
        expected = (
            [p.name_key for p in parties], [m.match_key for m in mechanisms])
        party_table = Party.__table__()
        mechanism_table = Mechanism.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*party_table.update([party_table.name_key], [None]))
        cursor.execute(*mechanism_table.update(
                [mechanism_table.match_key], [None]))

        Party._fill_name_key()
        Mechanism._fill_match_key()

        self.assertEqual(
            ([p['name_key'] for p in Party.read(
                        [p.id for p in parties], ['name_key'])],
                [m['match_key'] for m in Mechanism.read(
                        [m.id for m in mechanisms], ['match_key'])]),
            expected)
        self.assertEqual(expected[0][:2], ['acme iberica'] * 2)

    @with_transaction()
    def test_find_duplicates_queries(self):
        "find_duplicates runs as many queries for 90 candidates as for 3"
        pool = Pool()
        Party = pool.get('party.party')

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

        counts = []
        # Within the database's limit of parameters per query
        for count in [3, 90]:
            with counting_queries() as queries:
                result = Party.find_duplicates(candidates(count))
            self.assertEqual(len(result), count)
            self.assertTrue(all(
                    r and r[0].name == "Company %d S.L." % i
                    for i, r in enumerate(result)))
            counts.append(len(queries))
        self.assertEqual(counts[0], counts[1])
        self.assertLessEqual(counts[1], 5)

    @with_transaction()
    def test_receivables_set_based(self):
        "Ordered amounts of many opportunities in as many queries as of one"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Invoice = pool.get('account.invoice')

        company = create_company()
        with set_company(company):
            opportunities = create_opportunities_with_sales(
                12, ['quotation', 'confirmed', 'processing', 'done'])

            counts = []
            for count in [1, 12]:
                records = Opportunity.browse(opportunities[:count])
                with counting_queries() as queries:
                    amounts = Opportunity.get_receivables(
                        records, ['ordered_amount', 'shipped_amount',
                            'invoiced_amount', 'paid_amount',
                            'outstanding_amount', 'overdue_amount'])
                counts.append(len(queries))
            self.assertEqual(counts[0], counts[1], [q[:80] for q in queries])
            # A quotation is not ordered; the others are at twice i + 1.
            self.assertEqual(
                [amounts['ordered_amount'][o.id] for o in opportunities],
                [0 if i % 4 == 0 else Decimal(2 * (i + 1))
                    for i in range(12)])
            self.assertEqual(
                set(amounts['invoiced_amount'].values()), {Decimal(0)})
            # Invoices without sale have no opportunity and are not found by
            # one.
            self.assertEqual(Invoice.search([
                        ('opportunity', '=', opportunities[1].id)]), [])

    @with_transaction()
    def test_receivable_report_set_based(self):
        "A page of the receivables report in as many queries for 3 as 60 rows"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Report = pool.get('crm.receivable.report')
        RuleGroup = pool.get('ir.rule.group')
        ModelData = pool.get('ir.model.data')

        company = create_company()
        with set_company(company):
            opportunities = create_opportunities_with_sales(
                76, ['draft', 'quotation', 'confirmed', 'processing', 'done'])
            names = [n for n, f in Report._fields.items()
                if n not in {'rec_name', '_timestamp'}]

            counts = []
            for limit in [3, 60]:
                with counting_queries() as queries:
                    rows = Report.search([], limit=limit)
                    values = Report.read([r.id for r in rows], names)
                self.assertEqual(len(values), limit)
                counts.append(len(queries))
            self.assertEqual(counts[0], counts[1])

            # A read computes the figures of its rows only: the same
            # figures whether the rows are read few or many at once.
            by_id = {v['id']: v for v in values}
            ids = sorted(by_id)
            for i in range(0, len(ids), 3):
                for value in Report.read(ids[i:i + 3], names):
                    self.assertEqual(value, by_id[value['id']])

            # Only the opportunities with a sale quoted or further: not the
            # ones of a draft sale.
            self.assertEqual(Report.search([], count=True), 60)
            rows = Report.search([
                    ('ordered_amount', '>', 0)],
                order=[('ordered_amount', 'DESC')], limit=2)
            self.assertEqual(
                [r.ordered_amount for r in rows],
                [Decimal(2 * 75), Decimal(2 * 74)])
            # A search builds the receivable columns that its domain, its
            # order and the record rules use, and only those.
            self.assertEqual(
                Report._searched_columns([
                        'OR', [('paid_amount', '>', 0)],
                        ('party.name', '=', "Acme")],
                    [('days_to_invoice', 'ASC')]),
                ['paid_amount', 'days_to_invoice'])
            self.assertEqual(
                Report._searched_columns([], None), ['won_date'])
            RuleGroup.create([{
                        'name': "Large orders",
                        'model': Report.__name__,
                        'global_p': True,
                        'rules': [('create', [{
                                        'domain': PYSONEncoder().encode(
                                            [('ordered_amount', '>=', 140)]),
                                        }])],
                        }])
            accountant = create_activity_user(
                company, create_employee(company, "Accountant"), 'accountant')
            accountant.groups = [ModelData.get_id(
                    'crm_plus', 'group_crm_accountant')]
            accountant.save()
            with Transaction().set_user(accountant.id), check_access():
                self.assertEqual(
                    Report._searched_columns([], None),
                    ['won_date', 'ordered_amount'])
                rows = Report.search([])
                self.assertEqual(
                    sorted(r.ordered_amount for r in rows),
                    [Decimal(140), Decimal(146), Decimal(148), Decimal(150)])

            quoted, = Report.search([('opportunity', '=', opportunities[1])])
            self.assertEqual(quoted.quoted_amount, Decimal(4))
            self.assertEqual(quoted.ordered_amount, Decimal(0))
            amounts = Opportunity.get_receivables(
                [opportunities[1], opportunities[2]], ['quoted_amount',
                    'ordered_amount'])
            self.assertEqual(amounts, {
                    'quoted_amount': {
                        opportunities[1].id: Decimal(4),
                        opportunities[2].id: Decimal(0)},
                    'ordered_amount': {
                        opportunities[1].id: Decimal(0),
                        opportunities[2].id: Decimal(6)},
                    })

    @with_transaction()
    def test_receivable_export_set_based(self):
        """The Excel export of a filter has all its rows, in as many queries
        for 3 rows as for 60"""
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Export = pool.get('crm.receivable.report.xlsx', type='report')

        company = create_company()
        with set_company(company):
            few = create_employee(company, "Few")
            many = create_employee(company, "Many")
            opportunities = create_opportunities_with_sales(
                63, ['quotation', 'confirmed', 'processing', 'done'])
            Opportunity.write(
                list(opportunities[:3]), {'employee': few.id},
                list(opportunities[3:]), {'employee': many.id})

            def export(employee, ids=()):
                "The rows of the workbook of the employee's rows or ids"
                _, content, _, name = Export.execute(list(ids), {
                        'filter': {
                            'company': company.id,
                            'employee': employee.id,
                            },
                        })
                self.assertEqual(name, "Receivables")
                sheet = openpyxl.load_workbook(
                    io.BytesIO(content), read_only=True).active
                header, *rows = sheet.iter_rows(values_only=True)
                self.assertEqual(header[:3], (
                        "Opportunity", "Party", "Employee"))
                return rows

            # The caches of the server and of the transaction filled once:
            # what is left is what the rows cost.
            export(few)
            export(many)
            counts = []
            for employee, expected in [
                    (few, opportunities[:3]), (many, opportunities[3:])]:
                with counting_queries() as queries:
                    rows = export(employee)
                counts.append(len(queries))
                self.assertEqual(
                    sorted(r[0] for r in rows),
                    sorted(o.rec_name for o in expected))
                self.assertEqual({r[2] for r in rows}, {employee.rec_name})
                # The ordered amounts, as numbers: 2 x (i + 1) but for the
                # quotations, every fourth.
                self.assertEqual(
                    sum(r[5] for r in rows),
                    sum(2 * (i + 1) for i, o in enumerate(opportunities)
                        if o in expected and i % 4))
            self.assertEqual(counts[0], counts[1], counts)
            self.assertLessEqual(counts[1], 20, counts)

            # The rows selected, under the filter they were listed with.
            rows = export(many, [o.id for o in opportunities[10:12]])
            self.assertEqual(
                sorted(r[0] for r in rows),
                sorted(o.rec_name for o in opportunities[10:12]))

    def _create_scorecard(self, threshold=40):
        "A scorecard of two criteria weighted 3 and 1"
        Scorecard = Pool().get('crm.scorecard')
        scorecard, = Scorecard.create([{
                    'name': "Deal",
                    'threshold': threshold,
                    'criteria': [('create', [{
                                    'name': "Need", 'weight': 3,
                                    'levels': [('create', [
                                                {'name': "High", 'score': 8},
                                                {'name': "Low", 'score': 2},
                                                ])],
                                    }, {
                                    'name': "Budget", 'weight': 1,
                                    'levels': [('create', [
                                                {'name': "Yes", 'score': 4},
                                                {'name': "No", 'score': 0},
                                                ])],
                                    }])],
                    }])
        return scorecard

    def _answer(self, evaluation, levels):
        "Pick the levels named by criterion name"
        Answer = Pool().get('crm.scorecard.evaluation.answer')
        for answer in evaluation.answers:
            level, = [lv for lv in answer.criterion.levels
                if lv.name == levels[answer.criterion.name]]
            Answer.write([answer], {'level': level.id})

    @with_transaction()
    def test_scorecard_evaluation(self):
        "A completed evaluation scores the opportunity, refuses changes"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Evaluation = pool.get('crm.scorecard.evaluation')
        Party = pool.get('party.party')
        Configuration = pool.get('crm.configuration')

        # The shipped scorecard is the default.
        self.assertEqual(
            Configuration(1).default_scorecard.name, "Qualification (BANT)")

        company = create_company()
        with set_company(company):
            employee = create_employee(company)
            party, = Party.create([{'name': "Acme"}])
            scorecard = self._create_scorecard()
            opportunity, = Opportunity.create([{
                        'party': party.id, 'employee': employee.id,
                        'scorecard': scorecard.id,
                        }])

            action = Opportunity.evaluate([opportunity])
            evaluation, = Evaluation.search([])
            self.assertEqual(action['res_id'], [evaluation.id])
            self.assertEqual(
                [a.criterion.name for a in evaluation.answers],
                ["Need", "Budget"])
            self.assertEqual(evaluation.state, 'draft')

            with self.assertRaises(UserError) as cm:
                Evaluation.complete([evaluation])
            self.assertIn("Need", cm.exception.message)
            self.assertEqual(evaluation.state, 'draft')

            self._answer(evaluation, {'Need': "High", 'Budget': "Yes"})
            evaluation = Evaluation(evaluation.id)
            # 100 x (3 x 8 + 1 x 4) / (3 x 10 + 1 x 10)
            self.assertEqual(evaluation.score, 70)
            self.assertEqual(evaluation.on_change_with_score(), 70)
            Evaluation.complete([evaluation])
            opportunity = Opportunity(opportunity.id)
            self.assertEqual(evaluation.state, 'done')
            self.assertEqual(opportunity.score, 70)
            self.assertEqual(opportunity.win_chance, 0.7)
            self.assertEqual(opportunity.conversion_probability, 0.7)
            self.assertEqual(opportunity.previous_score, None)
            self.assertEqual(opportunity.evaluated_at, evaluation.date)
            self.assertEqual(opportunity.warnings, ())

            with self.assertRaises(AccessError):
                Evaluation.write([evaluation], {'notes': "Better"})
            # As a user: the cascade of a deleted opportunity does not check.
            with self.assertRaises(AccessError), \
                    Transaction().set_user(1), check_access():
                Evaluation.delete([evaluation])

            # A copy is a new draft with the same answers.
            copy, = Evaluation.copy([evaluation])
            self.assertEqual(copy.state, 'draft')
            self.assertGreaterEqual(copy.date, evaluation.date)
            self.assertEqual(copy.score, 70)
            Evaluation.delete([copy])

            # Without probability update, a lower score keeps it.
            scorecard.update_probability = False
            scorecard.save()
            Opportunity.evaluate([opportunity])
            second, = Evaluation.search([('state', '=', 'draft')])
            self._answer(second, {'Need': "High", 'Budget': "No"})
            Evaluation.complete([second])
            opportunity = Opportunity(opportunity.id)
            self.assertEqual(opportunity.score, 60)
            self.assertEqual(opportunity.previous_score, 70)
            self.assertEqual(opportunity.conversion_probability, 0.7)
            self.assertEqual(opportunity.warnings, ())

            # Dropping 45 points flags the opportunity, so does being below
            # the threshold.
            Opportunity.evaluate([opportunity])
            third, = Evaluation.search([('state', '=', 'draft')])
            self._answer(third, {'Need': "Low", 'Budget': "No"})
            Evaluation.complete([third])
            opportunity = Opportunity(opportunity.id)
            self.assertEqual(opportunity.score, 15)
            self.assertEqual(opportunity.warnings, ('low_score',))
            self.assertEqual(
                [e.score for e in opportunity.evaluations], [15, 60, 70])

            # The history goes with a cancelled opportunity that is deleted.
            Opportunity.cancel([opportunity])
            with Transaction().set_user(1), check_access():
                Opportunity.delete([opportunity])
            self.assertEqual(Evaluation.search([]), [])

    def _create_opportunities(self, company, employee, count, **values):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')
        party, = Party.create([{'name': "Acme"}])
        return Opportunity.create([dict(
                    party=party.id, employee=employee.id, **values)
                for _ in range(count)])

    def _age(self, opportunities, days):
        "Move the creation of the opportunities days back"
        Opportunity = Pool().get('sale.opportunity')
        table = Opportunity.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.create_date],
                [datetime.datetime.now() - datetime.timedelta(days=days)],
                where=table.id.in_([o.id for o in opportunities])))

    @with_transaction()
    def test_warnings_inactive_overdue_search(self):
        "Inactive and overdue opportunities are flagged and found"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Activity = pool.get('crm.activity')
        Type = pool.get('crm.activity.type')
        Date = pool.get('ir.date')
        now = datetime.datetime.now()
        today = Date.today()

        company = create_company()
        with set_company(company):
            employee = create_employee(company)
            call, = Type.search([('code', '=', 'call')])
            fresh, idle, called, planned, late, won = (
                self._create_opportunities(company, employee, 6))
            self._age([idle, called, planned, won], 20)
            Opportunity.write([late], {
                    'start_date': today - datetime.timedelta(days=10),
                    'end_date': today - datetime.timedelta(days=1)})
            Opportunity.write([won], {'state': 'won'})
            done, old, ahead = Activity.create([{
                        'type': call.id, 'subject': "Recent call",
                        'opportunity': called.id,
                        'start': now - datetime.timedelta(days=2),
                        }, {
                        'type': call.id, 'subject': "Old call",
                        'opportunity': planned.id,
                        'start': now - datetime.timedelta(days=30),
                        }, {
                        'type': call.id, 'subject': "Next call",
                        'opportunity': planned.id,
                        'start': now + datetime.timedelta(days=2),
                        }])
            Activity.complete([done, old])

            opportunities = [fresh, idle, called, planned, late, won]
            self.assertEqual(
                [o.warnings for o in Opportunity.browse(opportunities)],
                [(), ('inactive',), (), (), ('overdue',), ()])
            self.assertEqual(
                [o.warning_count for o in Opportunity.browse(opportunities)],
                [0, 1, 0, 0, 1, 0])
            ids = [o.id for o in opportunities]

            # Among the opportunities of the test: those another test
            # left in the database do not count.
            def search(clause):
                return set(Opportunity.search([clause, ('id', 'in', ids)]))
            self.assertEqual(
                search(('warnings', 'in', ['inactive'])), {idle})
            self.assertEqual(search(('warnings', '=', 'overdue')), {late})
            self.assertEqual(search(('warnings', '!=', None)), {idle, late})
            self.assertEqual(
                search(('warnings', '=', None)),
                {fresh, called, planned, won})
            self.assertEqual(
                search(('warnings', 'not in', ['inactive'])),
                {fresh, called, planned, late, won})

            # The planned call became overdue: nothing planned ahead.
            Activity.write([ahead], {
                    'start': now - datetime.timedelta(days=1)})
            self.assertEqual(Opportunity(planned.id).warnings, ('inactive',))

            # A shorter limit of inactivity flags the recent call too.
            Configuration = pool.get('crm.configuration')
            Configuration.write(
                [Configuration(1)], {'warning_inactive_days': 1})
            self.assertEqual(Opportunity(called.id).warnings, ('inactive',))

    @with_transaction()
    def test_warnings_stage_overdue(self):
        "Opportunities in a stage beyond its expected days are flagged"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Stage = pool.get('crm.stage')
        now = datetime.datetime.now()

        company = create_company()
        with set_company(company):
            employee = create_employee(company)
            method = self._standard_method()
            qualification, proposal, negotiation = method.stages
            Stage.write([qualification], {'expected_days': 7})
            Stage.write([proposal], {'expected_days': 3})
            recent, stalled, long_proposal, short_proposal, unlimited = (
                self._create_opportunities(
                    company, employee, 5, sales_method=method.id))
            Opportunity.write(
                [long_proposal, short_proposal], {'stage': proposal.id})
            Opportunity.write([unlimited], {'stage': negotiation.id})
            table = Opportunity.__table__()
            cursor = Transaction().connection.cursor()
            for opportunity, days in [
                    (recent, 6), (stalled, 8), (long_proposal, 4),
                    (short_proposal, 2), (unlimited, 100)]:
                cursor.execute(*table.update(
                        [table.stage_since],
                        [now - datetime.timedelta(days=days)],
                        where=table.id == opportunity.id))

            opportunities = Opportunity.browse(
                [recent, stalled, long_proposal, short_proposal, unlimited])
            self.assertEqual(
                ['stage_overdue' in o.warnings for o in opportunities],
                [False, True, True, False, False])
            self.assertEqual(
                set(Opportunity.search(
                        [('warnings', '=', 'stage_overdue')])),
                {stalled, long_proposal})

            # Without expected durations no stage is overdue.
            Stage.write([qualification, proposal], {'expected_days': None})
            self.assertEqual(
                Opportunity.search([('warnings', '=', 'stage_overdue')]), [])

    @with_transaction()
    def test_warnings_queries(self):
        "Warnings take as many queries for 60 opportunities as for 3"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')

        company = create_company()
        with set_company(company):
            employee = create_employee(company)
            opportunities = self._create_opportunities(
                company, employee, 60)
            self._age(opportunities[::2], 30)

            counts = []
            for count in [3, 60]:
                records = Opportunity.browse(opportunities[:count])
                # Read what the queries need first, as a list would.
                Pool().get('crm.configuration')(1).warning_inactive_days
                with counting_queries() as queries:
                    result = Opportunity.get_warnings(
                        records, ['warnings', 'warning_count'])
                self.assertEqual(
                    sum(result['warning_count'].values()), (count + 1) // 2)
                counts.append(len(queries))
            self.assertEqual(counts[0], counts[1], queries[:6])
            # One per kind, and one for the stages' expected durations.
            self.assertLessEqual(counts[1], 5)

    @with_transaction()
    def test_notify_warnings(self):
        "The cron notifies a new warning once, and again once it returns"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Notification = pool.get('res.notification')
        Date = pool.get('ir.date')
        today = Date.today()

        company = create_company()
        with set_company(company):
            employee = create_employee(company)
            user = create_activity_user(company, employee, 'pam')
            late, on_time = self._create_opportunities(company, employee, 2)
            Opportunity.write([late], {
                    'start_date': today - datetime.timedelta(days=10),
                    'end_date': today - datetime.timedelta(days=1)})

            Opportunity.notify_warnings()
            Opportunity.notify_warnings()
            notification, = Notification.search([('user', '=', user.id)])
            self.assertEqual(
                notification.label, "Warning on %s" % late.rec_name)
            self.assertEqual(notification.description, "Overdue")
            self.assertEqual(notification.records, '[%s]' % late.id)
            self.assertEqual(
                Opportunity(late.id).warnings_notified, ('overdue',))
            self.assertEqual(Opportunity(on_time.id).warnings_notified, ())

            # Cleared, then flagged again: a new notification.
            Opportunity.write([late], {'end_date': today})
            Opportunity.notify_warnings()
            self.assertEqual(Opportunity(late.id).warnings_notified, ())
            Opportunity.write([late], {
                    'end_date': today - datetime.timedelta(days=2)})
            Opportunity.notify_warnings()
            self.assertEqual(
                Notification.search([('user', '=', user.id)], count=True), 2)

    @with_transaction()
    def test_activity_duration_and_end(self):
        "Duration follows start and end; an entered duration sets the end"
        pool = Pool()
        Activity = pool.get('crm.activity')
        Type = pool.get('crm.activity.type')
        hour = datetime.timedelta(hours=1)
        start = datetime.datetime(2026, 3, 2, 9, 0)

        company = create_company()
        with set_company(company):
            meeting, = Type.create([{
                        'name': "Visit", 'default_duration': hour}])

            activity = Activity(start=start)
            activity.type = meeting
            activity.on_change_type()
            self.assertEqual(activity.duration, hour)
            self.assertEqual(activity.end, start + hour)
            activity.end = start + 2 * hour
            activity.on_change_end()
            self.assertEqual(activity.duration, 2 * hour)

            from_end, from_duration = Activity.create([{
                        'type': meeting.id, 'subject': "Demo",
                        'start': start, 'end': start + 3 * hour,
                        }, {
                        'type': meeting.id, 'subject': "Lunch",
                        'start': start, 'duration': hour,
                        }])
            self.assertEqual(from_end.duration, 3 * hour)
            self.assertEqual(from_duration.end, start + hour)

            Activity.write([from_end], {'duration': hour / 2})
            self.assertEqual(from_end.end, start + hour / 2)
            Activity.write([from_end], {'start': start - hour})
            self.assertEqual(from_end.duration, hour / 2)
            self.assertEqual(from_end.end, start - hour / 2)
            Activity.write([from_end], {'end': start})
            self.assertEqual(from_end.duration, hour)

            with self.assertRaises(ValidationError):
                Activity.write([from_duration], {'end': start - hour})

    @with_transaction()
    def test_activity_workflow(self):
        "Completing records who and when; planning again clears it"
        pool = Pool()
        Activity = pool.get('crm.activity')
        Type = pool.get('crm.activity.type')

        company = create_company()
        with set_company(company):
            call, = Type.search([('code', '=', 'call')])
            activity, = Activity.create([{
                        'type': call.id, 'subject': "Follow-up"}])
            self.assertEqual(activity.state, 'planned')
            self.assertEqual(activity.duration, call.default_duration)

            Activity.complete([activity])
            self.assertEqual(activity.state, 'done')
            self.assertEqual(activity.completed_by.id, Transaction().user)
            self.assertIsNotNone(activity.completed_at)
            self.assertEqual(
                Activity.search([('state', '=', 'done')]), [activity])

            Activity.cancel([activity])
            self.assertEqual(activity.state, 'done')

            Activity.plan([activity])
            self.assertEqual(activity.state, 'planned')
            self.assertIsNone(activity.completed_by)
            self.assertIsNone(activity.completed_at)
            Activity.cancel([activity])
            self.assertEqual(activity.state, 'cancelled')

    @with_transaction()
    def test_activity_send_reminders(self):
        "Reminders notify the users of the employee once, by e-mail if set"
        pool = Pool()
        Activity = pool.get('crm.activity')
        Type = pool.get('crm.activity.type')
        Notification = pool.get('res.notification')
        Configuration = pool.get('crm.configuration')
        now = datetime.datetime.now()

        company = create_company()
        with set_company(company):
            employee = create_employee(company)
            other = create_employee(company, name="Dwight")
            user = create_activity_user(
                company, employee, 'pam', email='pam@example.com')
            call, = Type.search([('code', '=', 'call')])
            due, later, done, others = Activity.create([{
                        'type': call.id, 'subject': "Call Acme",
                        'employee': employee.id,
                        'start': now + datetime.timedelta(minutes=10),
                        'reminder': now - datetime.timedelta(minutes=1),
                        }, {
                        'type': call.id, 'subject': "Call later",
                        'employee': employee.id,
                        'reminder': now + datetime.timedelta(days=1),
                        }, {
                        'type': call.id, 'subject': "Called",
                        'employee': employee.id,
                        'reminder': now - datetime.timedelta(minutes=1),
                        }, {
                        'type': call.id, 'subject': "Not mine",
                        'employee': other.id,
                        'reminder': now - datetime.timedelta(minutes=1),
                        }])
            Activity.complete([done])

            with patch('trytond.modules.crm_plus.models.mixins.'
                    'sendmail_transactional') as sendmail:
                Activity.send_reminders()
                Activity.send_reminders()
            sendmail.assert_not_called()

            notifications = Notification.search([('user', '=', user.id)])
            self.assertEqual(len(notifications), 1)
            notification, = notifications
            self.assertEqual(notification.label, "Reminder: Call Acme")
            self.assertEqual(notification.model, 'crm.activity')
            self.assertEqual(notification.records, '[%s]' % due.id)
            self.assertEqual(
                [a.reminder_sent for a in [due, later, done, others]],
                [True, False, False, True])

            Configuration.write(
                [Configuration(1)], {'activity_reminder_email': True})
            Activity.write([later], {
                    'reminder': now - datetime.timedelta(seconds=1)})
            with patch('trytond.modules.crm_plus.models.mixins.'
                    'sendmail_transactional') as sendmail:
                Activity.send_reminders()
            (from_, to, msg), _ = sendmail.call_args
            self.assertEqual(to, ['pam@example.com'])
            self.assertEqual(msg['Subject'], "Reminder: Call later")
            self.assertEqual(sendmail.call_count, 1)

            # Moving the reminder arms it again.
            Activity.write([due], {
                    'reminder': now + datetime.timedelta(hours=1)})
            self.assertFalse(due.reminder_sent)

    @with_transaction()
    def test_activity_mark_overdue(self):
        "Overdue activities alarm the owner and the team leader once"
        pool = Pool()
        Activity = pool.get('crm.activity')
        Type = pool.get('crm.activity.type')
        Team = pool.get('crm.team')
        Notification = pool.get('res.notification')
        Date = pool.get('ir.date')
        now = datetime.datetime.now()
        today = Date.today()

        company = create_company()
        with set_company(company):
            rep = create_employee(company, name="Jim")
            leader = create_employee(company, name="Michael")
            rep_user = create_activity_user(company, rep, 'jim')
            leader_user = create_activity_user(company, leader, 'michael')
            Team.create([{
                        'name': "Scranton", 'leader': leader.id,
                        'members': [('add', [rep.id, leader.id])],
                        }])
            call, = Type.search([('code', '=', 'call')])
            task, = Type.search([('code', '=', 'task')])
            late_call, late_task, open_task, future, led = Activity.create([{
                        'type': call.id, 'subject': "Late call",
                        'employee': rep.id,
                        'start': now - datetime.timedelta(hours=2),
                        'end': now - datetime.timedelta(hours=1),
                        }, {
                        'type': task.id, 'subject': "Send offer",
                        'employee': rep.id,
                        'start': now - datetime.timedelta(days=3),
                        'due_date': today - datetime.timedelta(days=1),
                        }, {
                        'type': task.id, 'subject': "Prepare demo",
                        'employee': rep.id,
                        'start': now - datetime.timedelta(days=3),
                        'due_date': today,
                        }, {
                        'type': call.id, 'subject': "Next call",
                        'employee': rep.id,
                        'start': now + datetime.timedelta(hours=1),
                        }, {
                        'type': call.id, 'subject': "Leader's call",
                        'employee': leader.id,
                        'start': now - datetime.timedelta(hours=2),
                        }])

            Activity.mark_overdue()
            Activity.mark_overdue()

            self.assertEqual(
                [a.overdue for a in [
                        late_call, late_task, open_task, future, led]],
                [True, True, False, False, True])
            self.assertEqual(
                sorted(n.label for n in Notification.search(
                        [('user', '=', rep_user.id)])),
                ["Overdue: Late call", "Overdue: Send offer"])
            # The leader hears of the team's overdue activities and of
            # their own, once each.
            self.assertEqual(
                sorted(n.label for n in Notification.search(
                        [('user', '=', leader_user.id)])),
                ["Overdue: Late call", "Overdue: Leader's call",
                    "Overdue: Send offer"])

            Activity.complete([late_call])
            self.assertFalse(late_call.overdue)
            Activity.write([late_task], {
                    'due_date': today + datetime.timedelta(days=2)})
            self.assertFalse(late_task.overdue)
            self.assertFalse(late_task.overdue_notified)

    @with_transaction()
    def test_activity_party_from_opportunity(self):
        "Activities take the party of their opportunity when it gets one"
        pool = Pool()
        Activity = pool.get('crm.activity')
        Type = pool.get('crm.activity.type')
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')

        company = create_company()
        with set_company(company):
            customer, other = Party.create([
                    {'name': "Acme"}, {'name': "Other"}])
            lead, = Opportunity.create([{'description': "Lead"}])
            call, = Type.search([('code', '=', 'call')])
            without, with_other = Activity.create([{
                        'type': call.id, 'subject': "First call",
                        'opportunity': lead.id,
                        }, {
                        'type': call.id, 'subject': "Call of other",
                        'opportunity': lead.id, 'party': other.id,
                        }])
            self.assertIsNone(without.party)

            Opportunity.write([lead], {'party': customer.id})
            self.assertEqual(without.party, customer)
            self.assertEqual(with_other.party, other)
            self.assertEqual(customer.activities, (without,))

            created, = Activity.create([{
                        'type': call.id, 'subject': "Second call",
                        'opportunity': lead.id,
                        }])
            self.assertEqual(created.party, customer)

            activity = Activity()
            activity.opportunity = lead
            activity.on_change_opportunity()
            self.assertEqual(activity.party, customer)
            self.assertEqual(
                [t.subject for t in lead.tasks], [])
            self.assertEqual(len(lead.activities), 3)

    @with_transaction()
    def test_activity_party_replace_and_erase(self):
        "Replacing a party moves its activities; erasing a person clears them"
        pool = Pool()
        Activity = pool.get('crm.activity')
        Type = pool.get('crm.activity.type')
        Party = pool.get('party.party')
        Replace = pool.get('party.replace', type='wizard')
        Erase = pool.get('party.erase', type='wizard')

        company = create_company()
        with set_company(company):
            acme, duplicate, person = Party.create([
                    {'name': "Acme"}, {'name': "Acme"},
                    {'name': "Jana Marková", 'party_kind': 'person'},
                    ])
            note, = Type.search([('code', '=', 'note')])
            activity, = Activity.create([{
                        'type': note.id, 'subject': "Jana's wishes",
                        'description': "Private details",
                        'party': duplicate.id, 'contact': person.id,
                        }])

            session_id, _, _ = Replace.create()
            replace = Replace(session_id)
            replace.ask.source = duplicate
            replace.ask.destination = acme
            replace.transition_replace()
            self.assertEqual(
                Activity.search([('party', '=', acme.id)]), [activity])

            Party.write([person], {'active': False})
            session_id, _, _ = Erase.create()
            erase = Erase(session_id)
            erase.ask.party = person
            erase.transition_erase()
            values, = Activity.read(
                [activity.id], ['subject', 'description'])
            self.assertEqual(
                (values['subject'], values['description']), ('****', None))

    @with_transaction()
    def test_plan_activity_prefills_links(self):
        "Plan Activity opens a new activity linked to the record"
        pool = Pool()
        Action = pool.get('ir.action')
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')

        company = create_company()
        with set_company(company):
            party, = Party.create([{'name': "Acme"}])
            opportunity, = Opportunity.create([{'party': party.id}])
            for Model, record, key in [
                    (Party, party, 'default_party'),
                    (Opportunity, opportunity, 'default_opportunity'),
                    ]:
                with self.subTest(model=Model.__name__):
                    action = Action(
                        Model.plan_activity([record])).get_action_value()
                    self.assertEqual(action['res_model'], 'crm.activity')
                    self.assertEqual(action['views'][0][1], 'form')
                    context = PYSONDecoder({
                            'active_id': record.id,
                            'active_ids': [record.id],
                            }).decode(action['pyson_context'])
                    self.assertEqual(context, {key: record.id})

    @with_transaction()
    def test_activity_contact_person(self):
        "Only persons are contacts; a lone person is the party"
        pool = Pool()
        Activity = pool.get('crm.activity')
        Type = pool.get('crm.activity.type')
        Party = pool.get('party.party')

        company = create_company()
        with set_company(company):
            person, organisation = Party.create([
                    {'name': "Jana Marková", 'party_kind': 'person'},
                    {'name': "Acme", 'party_kind': 'organisation'},
                    ])
            note, = Type.search([('code', '=', 'note')])
            activity = Activity()
            activity.contact = person
            activity.on_change_contact()
            self.assertEqual(activity.party, person)

            with self.assertRaises(DomainValidationError):
                Activity.create([{
                            'type': note.id, 'subject': "Note",
                            'contact': organisation.id}])
            activity, = Activity.create([{
                        'type': note.id, 'subject': "Note",
                        'party': organisation.id, 'contact': person.id}])
            self.assertEqual(
                Activity.search([('contact.name', 'ilike', 'jana%')]),
                [activity])

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
        ana, luis = Party.browse(
            Party.import_contacts('google', contacts, [None, None]))
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
        targets = [same[0] for same, _ in matches]
        Party.import_contacts('google', contacts, targets)
        self.assertEqual(Party.search([], count=True), parties)
        self.assertEqual(Mechanism.search([], count=True), mechanisms)
        # A value that differs is replaced only when asked.
        self.assertEqual(Party(ana.id).job_title, "Buyer")
        Party.import_contacts(
            'google', contacts, targets, replace=[True, False])
        self.assertEqual(Party(ana.id).job_title, "Head of Purchasing")

    @with_transaction()
    def test_import_contacts_progress(self):
        "The import reports the contacts done, by batches, up to all"
        pool = Pool()
        Party = pool.get('party.party')

        contacts = [
            Contact(given_name="Person", family_name=str(i),
                emails=[Email('p%s@example.com' % i, 'home')]).fill_names()
            for i in range(1203)]
        reported = []
        Party.import_contacts(
            'google', contacts, [None] * len(contacts),
            progress=reported.append)
        self.assertEqual(reported, [0, 500, 1000, 1203])
        self.assertEqual(
            Party.search([('name', 'like', "Person %")], count=True), 1203)

    def _lifecycle_setup(self):
        "A company with an employee, a customer, two competitors, a reason"
        pool = Pool()
        Party = pool.get('party.party')
        Competitor = pool.get('crm.competitor')
        LostReason = pool.get('crm.lost_reason')
        company = create_company()
        employee = create_employee(company)
        customer, = Party.create([{'name': "Envases"}])
        acme, globex = Competitor.create([
                {'name': "Acme"}, {'name': "Globex"}])
        price, = LostReason.search([('name', '=', "Price")])
        return company, employee, customer, acme, globex, price

    @with_transaction()
    def test_freeze_unfreeze(self):
        "Frozen deals leave the forecast, get no sale, and come back"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Sale = pool.get('sale.sale')
        company, employee, customer, *_ = self._lifecycle_setup()
        with set_company(company):
            lead, deal, prospect = Opportunity.create([
                    {'party': customer.id, 'employee': employee.id},
                    {'party': customer.id, 'employee': employee.id,
                        'state': 'opportunity'},
                    {},
                    ])
            self.assertTrue(deal.is_forecast)
            today = datetime.date.today()
            Opportunity.set_frozen([lead, deal], "Budget review", today)
            # A prospect without party nor employee can wait as well.
            Opportunity.set_frozen([prospect], "Fair postponed", today)
            self.assertEqual(prospect.state, 'frozen')
            self.assertEqual(
                [(o.state, o.frozen_from) for o in [lead, deal]],
                [('frozen', 'lead'), ('frozen', 'opportunity')])
            self.assertEqual(deal.freeze_reason, "Budget review")
            self.assertEqual(deal.frozen_date, today)
            self.assertFalse(deal.is_forecast)

            with self.assertRaises(AccessError):
                Opportunity.convert([deal])
            with self.assertRaises(AccessError):
                Sale.create([{
                            'party': customer.id,
                            'company': company.id,
                            'origin': str(deal),
                            }])
            self.assertEqual(deal.state, 'frozen')

            Opportunity.unfreeze([lead, deal])
            self.assertEqual(
                [(o.state, o.frozen_from) for o in [lead, deal]],
                [('lead', None), ('opportunity', None)])
            self.assertTrue(deal.is_forecast)

            # The host's transition called directly also ends the hold.
            Opportunity.set_frozen([deal], "Budget review", today)
            Opportunity.opportunity([deal])
            self.assertEqual((deal.state, deal.frozen_from), (
                    'opportunity', None))

    @with_transaction()
    def test_lose_with_reason_and_winner(self):
        "Losing records the reason and marks or adds the winning line"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Line = pool.get('sale.opportunity.competitor')
        LostReason = pool.get('crm.lost_reason')
        company, employee, customer, acme, globex, price = (
            self._lifecycle_setup())
        no_budget, = LostReason.search([('name', '=', "No Budget")])
        with set_company(company):
            with_line, without_line, other = Opportunity.create([
                    {'party': customer.id, 'employee': employee.id,
                        'state': 'opportunity', 'competitors': [
                            ('create', [
                                    {'competitor': acme.id,
                                        'price': Decimal('90')},
                                    {'competitor': globex.id}])]},
                    {'party': customer.id, 'employee': employee.id},
                    {'party': customer.id, 'employee': employee.id},
                    ])

            with self.assertRaises(AccessError):
                Opportunity.lose([with_line], price)
            Opportunity.lose(
                [with_line, without_line], price, competitor=acme,
                price=Decimal('85'), lessons="Cheaper support")
            for opportunity in [with_line, without_line]:
                self.assertEqual(opportunity.state, 'lost')
                self.assertEqual(opportunity.lost_reason_type, price)
                self.assertEqual(opportunity.winning_competitor, acme)
                self.assertEqual(opportunity.winning_price, Decimal('85'))
                self.assertEqual(opportunity.lost_reason, "Cheaper support")
            self.assertEqual(
                sorted((l.competitor.name, l.winner, l.price)
                    for l in with_line.competitors),
                [("Acme", True, Decimal('85')), ("Globex", False, None)])
            line, = without_line.competitors
            self.assertEqual(
                (line.competitor, line.winner, line.price),
                (acme, True, Decimal('85')))

            # A reason without competitor needs none.
            Opportunity.lose([other], no_budget)
            self.assertEqual(other.state, 'lost')
            self.assertEqual(other.winning_competitor, None)
            self.assertEqual(Line.search([('opportunity', '=', other.id)]), [])

    @with_transaction()
    def test_lost_without_reason_by_default(self):
        "Without the setting, the host's lost transition needs no reason"
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        Opportunity = pool.get('sale.opportunity')
        company, employee, customer, *_ = self._lifecycle_setup()
        self.assertFalse(Configuration(1).lost_reason_required)
        with set_company(company):
            deal, = Opportunity.create([{
                        'party': customer.id, 'employee': employee.id,
                        'state': 'opportunity'}])
            Opportunity.lost([deal])
            self.assertEqual(deal.state, 'lost')
            self.assertEqual(deal.lost_reason_type, None)

    @with_transaction()
    def test_lost_without_reason_refused_over_rpc(self):
        "A user's lost without reason is refused, the host's process is not"
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        Opportunity = pool.get('sale.opportunity')
        Sale = pool.get('sale.sale')
        company, employee, customer, *_ = self._lifecycle_setup()
        Configuration.write(
            [Configuration(1)], {'lost_reason_required': True})
        with set_company(company):
            deal, cancelled_sale = Opportunity.create([
                    {'party': customer.id, 'employee': employee.id,
                        'state': 'opportunity'},
                    {'party': customer.id, 'employee': employee.id,
                        'state': 'opportunity'},
                    ])
            with self.assertRaises(AccessError):
                Opportunity.lost([deal])

            # The key that lets the wizard and process through is private:
            # the RPC layer drops it from what a client sends.
            args, kwargs, context, _ = Opportunity.__rpc__['lost'].convert(
                Opportunity, [deal.id], {LOST_CHECKED: True})
            self.assertNotIn(LOST_CHECKED, context)
            with Transaction().set_context(context):
                with self.assertRaises(AccessError):
                    Opportunity.lost(*args, **kwargs)
            self.assertEqual(deal.state, 'opportunity')

            # All its sales cancelled, the host loses the deal by itself.
            Sale.create([{
                        'party': customer.id,
                        'company': company.id,
                        'origin': str(cancelled_sale),
                        'state': 'cancelled',
                        }])
            Opportunity.process([cancelled_sale])
            self.assertEqual(cancelled_sale.state, 'lost')
            self.assertEqual(cancelled_sale.lost_reason_type, None)

    @with_transaction()
    def test_influencer_parent_from_reports_to(self):
        "An influencer answers by default to whom the contact reports to"
        pool = Pool()
        Party = pool.get('party.party')
        Opportunity = pool.get('sale.opportunity')
        Influencer = pool.get('sale.opportunity.influencer')
        company, employee, customer, *_ = self._lifecycle_setup()
        boss, = Party.create([{
                    'name': "Ana Boss", 'party_kind': 'person',
                    'organisation': customer.id}])
        engineer, = Party.create([{
                    'name': "Luis Engineer", 'party_kind': 'person',
                    'organisation': customer.id, 'reports_to': boss.id}])
        with set_company(company):
            deal, other = Opportunity.create([
                    {'party': customer.id, 'employee': employee.id},
                    {'party': customer.id, 'employee': employee.id},
                    ])
            top, = Influencer.create([{
                        'opportunity': deal.id, 'contact': boss.id}])
            below, alone = Influencer.create([
                    {'opportunity': deal.id, 'contact': engineer.id},
                    {'opportunity': other.id, 'contact': engineer.id},
                    ])
            self.assertEqual(below.parent, top)
            self.assertEqual(top.children, (below,))
            # The boss takes no part in the other deal.
            self.assertEqual(alone.parent, None)

    @with_transaction()
    def test_competitor_and_lost_reports(self):
        "The reports count and sum by competitor, reason and outcome"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Report = pool.get('crm.competitor.report')
        LostReport = pool.get('crm.lost.report')
        LostReason = pool.get('crm.lost_reason')
        company, employee, customer, acme, globex, price = (
            self._lifecycle_setup())
        timing, = LostReason.search([('name', '=', "Timing")])

        def deal(amount, *competitors):
            return {
                'party': customer.id, 'employee': employee.id,
                'amount': Decimal(amount), 'state': 'opportunity',
                'competitors': [('create', [
                            {'competitor': c.id} for c in competitors])],
                }
        with set_company(company):
            won, lost_acme, lost_globex, lost_timing, open_ = (
                Opportunity.create([
                        deal(100, acme, globex),
                        deal(200, acme, globex),
                        deal(400, acme, globex),
                        deal(800, acme),
                        deal(1600, globex),
                        ]))
            Opportunity.write([won], {'state': 'won'})
            Opportunity.lose([lost_acme], price, competitor=acme)
            Opportunity.lose([lost_globex], price, competitor=globex)
            Opportunity.lose([lost_timing], timing)

            with Transaction().set_context(company=company.id):
                rows = {r.competitor.name: r for r in Report.search([])}
                lost_rows = sorted(
                    (r.reason.name,
                        r.competitor.name if r.competitor else None,
                        r.number, r.amount)
                    for r in LostReport.search([]))
            acme_row, globex_row = rows["Acme"], rows["Globex"]
            self.assertEqual(
                (acme_row.number, acme_row.amount, acme_row.won,
                    acme_row.won_amount, acme_row.lost, acme_row.lost_amount,
                    acme_row.lost_others),
                (4, Decimal(1500), 1, Decimal(100), 1, Decimal(200), 2))
            self.assertEqual(acme_row.win_rate, 0.25)
            self.assertEqual(
                (globex_row.number, globex_row.amount, globex_row.won,
                    globex_row.lost, globex_row.lost_others),
                (4, Decimal(2300), 1, 1, 1))
            self.assertAlmostEqual(globex_row.win_rate, 1 / 3)
            self.assertEqual(lost_rows, [
                    ("Price", "Acme", 1, Decimal(200)),
                    ("Price", "Globex", 1, Decimal(400)),
                    ("Timing", None, 1, Decimal(800)),
                    ])

            # Another company sees nothing of it.
            with Transaction().set_context(company=-1):
                self.assertEqual(Report.search([]), [])
                self.assertEqual(LostReport.search([]), [])
            # The date range selects on the start for the competition, on
            # the loss for the lost report.
            tomorrow = datetime.date.today() + datetime.timedelta(days=1)
            with Transaction().set_context(
                    company=company.id, from_date=tomorrow):
                self.assertEqual(Report.search([]), [])
                self.assertEqual(LostReport.search([]), [])
            with Transaction().set_context(
                    company=company.id, employee=employee.id):
                self.assertEqual(len(LostReport.search([])), 3)

    @with_transaction()
    def test_list_columns_shown_by_web_client(self):
        "Every list column has a type the web client can draw"
        pool = Pool()
        View = pool.get('ir.ui.view')
        # The column kinds of sao's lists: a date and time is shown as two
        # columns (widget date and time), as the host's own lists do.
        drawable = {
            'binary', 'boolean', 'callto', 'char', 'date', 'dict', 'email',
            'float', 'image', 'integer', 'many2many', 'many2one', 'numeric',
            'one2many', 'one2one', 'progressbar', 'reference', 'selection',
            'multiselection', 'sip', 'text', 'time', 'timedelta', 'url'}
        views = View.search([
                ('type', '=', 'tree'), ('module', '=', 'crm_plus')])
        self.assertTrue(views)
        for view in views:
            Model = pool.get(view.model)
            result = Model.fields_view_get(
                view_id=view.inherit.id if view.inherit else view.id,
                view_type='tree')
            for node in ElementTree.fromstring(result['arch']).iter('field'):
                kind = (node.get('widget')
                    or result['fields'][node.get('name')]['type'])
                self.assertIn(
                    kind, drawable,
                    msg="%s: column %s" % (view.rec_name, node.get('name')))

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

    # Sales methods, stages, stage history and the funnel
    def _create_sales_method(self, name, stages):
        "A sales method with stages given as (name, probability, share, phase)"
        SalesMethod = Pool().get('crm.sales_method')
        method, = SalesMethod.create([{
                    'name': name,
                    'stages': [('create', [{
                                    'name': n,
                                    'sequence': i,
                                    'probability': p,
                                    'funnel_share': s,
                                    'phase': phase,
                                    } for i, (n, p, s, phase) in enumerate(
                                    stages)])],
                    }])
        return method

    def _standard_method(self):
        return self._create_sales_method("Project Sale", [
                ("Qualification", 0.1, 0.5, 'preparation'),
                ("Proposal", 0.4, 0.3, 'preparation'),
                ("Negotiation", 0.7, 0.2, 'realization'),
                ])

    @with_transaction()
    def test_stage_funnel_share_validation(self):
        "The funnel shares of a method's stages sum to at most 100 %"
        pool = Pool()
        Stage = pool.get('crm.stage')

        method = self._create_sales_method("Repeat Sale", [
                ("Offer", 0.5, 0.6, 'preparation'),
                ("Order", 0.9, 0.4, 'realization'),
                ])
        offer = method.stages[0]
        Stage.write([offer], {'funnel_share': 0.5})
        self.assertEqual(offer.funnel_share, 0.5)
        with self.assertRaises(ValidationError) as cm:
            Stage.write([offer], {'funnel_share': 0.7})
        self.assertIn('110 %', cm.exception.message)
        with self.assertRaises(ValidationError):
            Stage.create([{
                        'sales_method': method.id, 'name': "Extra",
                        'probability': 0.95, 'funnel_share': 0.2,
                        }])

    @with_transaction()
    def test_stage_probability_follows_stage(self):
        "Moving stage sets the probability unless it was entered by hand"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Configuration = pool.get('crm.configuration')

        company = create_company()
        with set_company(company):
            method = self._standard_method()
            qualification, proposal, negotiation = method.stages
            Configuration.write(
                [Configuration(1)], {'default_sales_method': method.id})

            opportunity, = Opportunity.create([{}])
            self.assertEqual(opportunity.sales_method, method)
            self.assertEqual(opportunity.stage, qualification)
            self.assertEqual(opportunity.conversion_probability, 0.1)
            self.assertFalse(opportunity.probability_manual)

            Opportunity.next_stage([opportunity])
            self.assertEqual(opportunity.stage, proposal)
            self.assertEqual(opportunity.conversion_probability, 0.4)

            # A probability written over RPC that is not the stage's
            Opportunity.write([opportunity], {'conversion_probability': 0.33})
            self.assertTrue(opportunity.probability_manual)
            Opportunity.next_stage([opportunity])
            self.assertEqual(opportunity.stage, negotiation)
            self.assertEqual(opportunity.conversion_probability, 0.33)

            Opportunity.stage_probability([opportunity])
            self.assertFalse(opportunity.probability_manual)
            self.assertEqual(opportunity.conversion_probability, 0.7)

            Opportunity.previous_stage([opportunity])
            self.assertEqual(opportunity.stage, proposal)
            self.assertEqual(opportunity.conversion_probability, 0.4)
            Opportunity.write([opportunity], {'conversion_probability': 0.4})
            self.assertFalse(opportunity.probability_manual)

            # The client's on_change does the same
            opportunity.conversion_probability = 0.45
            opportunity.on_change_conversion_probability()
            self.assertTrue(opportunity.probability_manual)
            opportunity.stage = negotiation
            opportunity.on_change_stage()
            self.assertEqual(opportunity.conversion_probability, 0.45)
            opportunity.probability_manual = False
            opportunity.on_change_probability_manual()
            self.assertEqual(opportunity.conversion_probability, 0.7)

            # Without stage, nothing is set
            Configuration.write(
                [Configuration(1)], {'default_sales_method': None})
            lead, = Opportunity.create([{'conversion_probability': 0.2}])
            self.assertIsNone(lead.stage)
            self.assertEqual(lead.conversion_probability, 0.2)
            self.assertIsNone(lead.days_in_stage)
            Opportunity.next_stage([lead])
            self.assertIsNone(lead.stage)

    @with_transaction()
    def test_stage_team_sales_method(self):
        "An opportunity takes the sales method of its team first"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Team = pool.get('crm.team')
        Configuration = pool.get('crm.configuration')

        company = create_company()
        with set_company(company):
            method = self._standard_method()
            repeat = self._create_sales_method("Repeat Sale", [
                    ("Offer", 0.6, 0.7, 'preparation'),
                    ])
            Configuration.write(
                [Configuration(1)], {'default_sales_method': method.id})
            team, = Team.create([{'name': "Renewals",
                        'sales_method': repeat.id}])
            from_team, from_configuration = Opportunity.create([
                    {'team': team.id}, {}])
            self.assertEqual(from_team.sales_method, repeat)
            self.assertEqual(from_team.stage, repeat.stages[0])
            self.assertEqual(from_team.conversion_probability, 0.6)
            self.assertEqual(from_configuration.sales_method, method)

            opportunity = Opportunity()
            opportunity.state = 'lead'
            opportunity.sales_method = method
            opportunity.stage = method.stages[1]
            opportunity.probability_manual = False
            opportunity.team = team
            opportunity.on_change_team()
            self.assertEqual(opportunity.sales_method, repeat)
            self.assertEqual(opportunity.stage, repeat.stages[0])
            self.assertEqual(opportunity.conversion_probability, 0.6)

    @with_transaction()
    def test_stage_required_fields(self):
        "An opportunity leaves a stage forward only with its checklist filled"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Field = pool.get('ir.model.field')

        company = create_company()
        with set_company(company):
            method = self._standard_method()
            qualification, proposal, negotiation = method.stages
            description, amount = Field.search([
                    ('model', '=', 'sale.opportunity'),
                    ('name', 'in', ['description', 'amount']),
                    ], order=[('name', 'DESC')])
            qualification.required_fields = [description]
            qualification.save()
            proposal.required_fields = [amount]
            proposal.save()

            opportunity, = Opportunity.create([{
                        'sales_method': method.id}])
            with self.assertRaises(ValidationError) as cm:
                Opportunity.next_stage([opportunity])
            self.assertIn("Description", cm.exception.message)
            self.assertNotIn("Amount", cm.exception.message)
            # Jumping over a stage needs its checklist too
            with self.assertRaises(ValidationError) as cm:
                Opportunity.write([opportunity], {
                        'stage': negotiation.id, 'description': "Roof"})
            self.assertIn("Amount", cm.exception.message)

            Opportunity.write([opportunity], {
                    'stage': negotiation.id, 'description': "Roof",
                    'amount': 100})
            self.assertEqual(opportunity.stage, negotiation)
            # Going back is always allowed
            Opportunity.write([opportunity], {'amount': None})
            Opportunity.previous_stage([opportunity])
            self.assertEqual(opportunity.stage, proposal)

    @with_transaction()
    def test_stage_history_days(self):
        "The history records each stage with its days, per phase"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        History = pool.get('crm.stage.history')

        start = datetime.datetime(2026, 3, 2, 8, 0)
        now = [start]

        def at(days):
            now[0] = start + datetime.timedelta(days=days)

        company = create_company()
        with set_company(company), patch.object(
                Opportunity, '_stage_now',
                classmethod(lambda cls: now[0])):
            method = self._standard_method()
            qualification, proposal, negotiation = method.stages
            opportunity, = Opportunity.create([{
                        'sales_method': method.id}])
            self.assertEqual(opportunity.stage_since, start)
            at(2)
            Opportunity.next_stage([opportunity])
            at(5)
            Opportunity.next_stage([opportunity])
            self.assertEqual(opportunity.stage_since, now[0])
            at(6.5)
            opportunity = Opportunity(opportunity.id)
            self.assertEqual(opportunity.days_in_stage, 1.5)
            self.assertEqual(opportunity.preparation_days, 5)
            self.assertEqual(opportunity.realization_days, 1.5)
            rows = History.search(
                [('opportunity', '=', opportunity.id)],
                order=[('start', 'ASC')])
            self.assertEqual(
                [(r.stage, r.days, r.end) for r in rows], [
                    (qualification, 2, start + datetime.timedelta(days=2)),
                    (proposal, 3, start + datetime.timedelta(days=5)),
                    (negotiation, 1.5, None),
                    ])
            self.assertEqual(rows[0].user.id, Transaction().user)

            # Ending the opportunity closes the open row
            at(8)
            LostReason = pool.get('crm.lost_reason')
            timing, = LostReason.search([('name', '=', "Timing")])
            Opportunity.lose([opportunity], timing)
            at(10)
            opportunity = Opportunity(opportunity.id)
            self.assertEqual(opportunity.days_in_stage, 3)
            self.assertEqual(opportunity.realization_days, 3)
            self.assertEqual(
                History(rows[2].id).end, start + datetime.timedelta(days=8))

            # Reopened, it is back in its stage from now on
            Opportunity.lead([opportunity])
            at(11)
            opportunity = Opportunity(opportunity.id)
            self.assertEqual(opportunity.days_in_stage, 1)
            self.assertEqual(opportunity.realization_days, 4)
            self.assertEqual(len(opportunity.stage_history), 4)

    @with_transaction()
    def test_stage_days_queries(self):
        "The days of 60 opportunities take as many queries as of 2"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')

        company = create_company()
        with set_company(company):
            method = self._standard_method()
            opportunities = Opportunity.create(
                [{'sales_method': method.id}] * 60)
            Opportunity.next_stage(opportunities[::2])

            counts = []
            names = ['days_in_stage', 'preparation_days', 'realization_days']
            for records in [opportunities[:2], opportunities]:
                with counting_queries() as queries:
                    values = Opportunity.read(
                        [o.id for o in records], names)
                self.assertEqual(len(values), len(records))
                self.assertTrue(all(v['days_in_stage'] is not None
                        for v in values))
                counts.append(len(queries))
            self.assertEqual(counts[0], counts[1])

    @with_transaction()
    def test_funnel(self):
        "The funnel counts the open opportunities per stage against the ideal"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Funnel = pool.get('crm.funnel')
        Team = pool.get('crm.team')

        company = create_company()
        with set_company(company):
            method = self._standard_method()
            other = self._create_sales_method("Repeat Sale", [
                    ("Offer", 0.6, 1, 'preparation'),
                    ])
            qualification, proposal, negotiation = method.stages
            team, = Team.create([{'name': "Field"}])
            employee = create_employee(company)
            opportunities = Opportunity.create([
                    {'sales_method': method.id, 'amount': 100,
                        'team': team.id, 'employee': employee.id},
                    {'sales_method': method.id, 'amount': 200,
                        'team': team.id},
                    {'sales_method': method.id, 'amount': 300},
                    {'sales_method': method.id, 'amount': 400},
                    {'sales_method': method.id, 'amount': 50,
                        'team': team.id, 'employee': employee.id},
                    {'sales_method': method.id, 'amount': 1000},
                    {'sales_method': other.id, 'amount': 10},
                    ])
            Opportunity.next_stage(opportunities[4:6])
            # Ended opportunities are out of the funnel
            Opportunity.cancel(opportunities[5:6])

            def funnel(**context):
                with Transaction().set_context(
                        company=company.id, **context):
                    return [(
                            f.stage.name, f.number, f.amount,
                            *(round(v, 4) for v in [f.share, f.ideal_share,
                                    f.ideal_number, f.gap]))
                        for f in Funnel.search([])]

            self.assertEqual(funnel(sales_method=method.id), [
                    ("Qualification", 4, 1000, 0.8, 0.5, 2.5, 1.5),
                    ("Proposal", 1, 50, 0.2, 0.3, 1.5, -0.5),
                    ("Negotiation", 0, 0, 0, 0.2, 1, -1),
                    ])
            self.assertEqual(funnel(sales_method=method.id, team=team.id), [
                    ("Qualification", 2, 300, 0.6667, 0.5, 1.5, 0.5),
                    ("Proposal", 1, 50, 0.3333, 0.3, 0.9, 0.1),
                    ("Negotiation", 0, 0, 0, 0.2, 0.6, -0.6),
                    ])
            self.assertEqual(
                funnel(sales_method=method.id, employee=employee.id), [
                    ("Qualification", 1, 100, 0.5, 0.5, 1, 0),
                    ("Proposal", 1, 50, 0.5, 0.3, 0.6, 0.4),
                    ("Negotiation", 0, 0, 0, 0.2, 0.4, -0.4),
                    ])
            # Without method, the funnels of all methods, the shipped one too
            self.assertEqual(len(funnel()), 9)
            self.assertEqual(funnel(sales_method=other.id), [
                    ("Offer", 1, 10, 1, 1, 1, 0)])

    # Approvals

    def _approval_setup(self):
        """A company whose submitter, two approvers and an outsider are CRM
        users, and an expense type"""
        pool = Pool()
        Group = pool.get('res.group')
        ModelData = pool.get('ir.model.data')
        ExpenseType = pool.get('crm.expense.type')
        company = create_company()
        crm_user = ModelData.get_id('crm_plus', 'group_crm_user')
        users = []
        with set_company(company):
            for login in ['submitter', 'approver1', 'approver2', 'outsider']:
                employee = create_employee(company, login.title())
                user = create_activity_user(company, employee, login)
                user.groups = [crm_user]
                user.save()
                users.append(user)
        approvers, = Group.create([{
                    'name': "Approvers",
                    'users': [('add', [u.id for u in users[1:3]])],
                    }])
        type_, = ExpenseType.create([{'name': "Travel"}])
        return company, users, approvers, type_

    def _approval_rule(self, company, **values):
        Rule = Pool().get('crm.approval.rule')
        rule, = Rule.create([{
                    'name': "Large %s" % values.get('level', 1),
                    'company': company.id,
                    'document': 'crm.expense',
                    'transition': 'confirm',
                    'condition': 'amount_ge',
                    'value': Decimal(1000),
                    **values}])
        return rule

    def _approval_expense(self, type_, amount):
        Expense = Pool().get('crm.expense')
        expense, = Expense.create([{
                    'type': type_.id, 'amount': Decimal(amount)}])
        return expense

    @with_transaction()
    def test_approval_condition(self):
        "Rules hold for amounts from, discounts and margin rates beyond"
        Rule = Pool().get('crm.approval.rule')
        amount = Rule(condition='amount_ge', value=Decimal(1000))
        discount = Rule(condition='discount_gt', value=Decimal('0.1'))
        margin = Rule(condition='margin_lt', value=Decimal('0.2'))
        self.assertTrue(amount.holds({'amount': Decimal(1000)}))
        self.assertFalse(amount.holds({'amount': Decimal('999.99')}))
        self.assertFalse(amount.holds({'amount': None}))
        self.assertFalse(discount.holds({'discount': Decimal('0.1')}))
        self.assertTrue(discount.holds({'discount': Decimal('0.15')}))
        self.assertTrue(margin.holds({'margin_rate': Decimal('0.05')}))
        self.assertFalse(margin.holds({'margin_rate': Decimal('0.2')}))
        self.assertFalse(margin.holds({'margin_rate': None}))
        self.assertEqual(
            [t for t, _ in Rule(document='sale.sale').get_transitions()],
            ['quote', 'confirm'])

    @with_transaction()
    def test_approval_levels_and_eligibility(self):
        "Level 2 is asked once level 1 is approved; only approvers decide"
        pool = Pool()
        Expense = pool.get('crm.expense')
        Request = pool.get('crm.approval.request')
        Notification = pool.get('res.notification')
        company, users, approvers, type_ = self._approval_setup()
        submitter, approver1, approver2, outsider = users
        self._approval_rule(company, approver_kind='group',
            group=approvers.id, approvals_needed=2, level=1)
        self._approval_rule(company, approver_kind='user',
            user=approver1.id, level=2, condition='amount_ge',
            value=Decimal(5000))
        with set_company(company):
            with Transaction().set_user(submitter.id), check_access():
                expense = self._approval_expense(type_, 6000)
                small = self._approval_expense(type_, 999)
                Expense.confirm([small])
                self.assertEqual(small.state, 'confirmed')
                with self.assertRaises(UserError):
                    Expense.confirm([expense])
                Expense.request_approval([expense])
            first, = Request.search([])
            self.assertEqual(
                (first.level, first.state, first.amount, first.submitter),
                (1, 'pending', Decimal(6000), submitter))
            # The approvers of the group are told.
            self.assertEqual(
                {n.user for n in Notification.search([
                            ('model', '=', 'crm.approval.request')])},
                {approver1, approver2})
            for user, error in [(submitter, 'your own'),
                    (outsider, 'not an approver')]:
                with Transaction().set_user(user.id):
                    with self.assertRaisesRegex(AccessError, error):
                        Request.approve([first])
            with Transaction().set_user(approver1.id):
                Request.approve([first], "Fine")
                self.assertEqual(first.state, 'pending')
                with self.assertRaisesRegex(AccessError, 'already'):
                    Request.approve([first])
            with Transaction().set_user(approver2.id):
                Request.approve([first])
            self.assertEqual(first.state, 'approved')
            second, = Request.search([('level', '=', 2)])
            self.assertEqual(
                (second.state, second.submitter), ('pending', submitter))
            with Transaction().set_user(submitter.id), check_access():
                with self.assertRaisesRegex(UserError, 'Large 2'):
                    Expense.confirm([expense])
            with Transaction().set_user(approver2.id):
                with self.assertRaises(AccessError):
                    Request.approve([second])
            with Transaction().set_user(approver1.id):
                Request.approve([second])
            with Transaction().set_user(submitter.id), check_access():
                Expense.confirm([expense])
            self.assertEqual(expense.state, 'confirmed')
            self.assertEqual(
                [r.id for r in expense.approval_requests],
                [first.id, second.id])
            self.assertEqual(
                [(d.user, d.decision, d.comment) for d in first.decisions],
                [(approver1, 'approve', "Fine"), (approver2, 'approve', None)])

    @with_transaction()
    def test_approval_team_leader(self):
        "The leader of the submitter's administrative team approves"
        pool = Pool()
        Team = pool.get('crm.team')
        Expense = pool.get('crm.expense')
        Request = pool.get('crm.approval.request')
        company, users, _, type_ = self._approval_setup()
        submitter, approver1, approver2, _ = users
        self._approval_rule(company, approver_kind='team_leader')
        with set_company(company):
            Team.create([{
                        'name': "Sales",
                        'kind': 'administrative',
                        'leader': approver2.employee.id,
                        'members': [('add', [submitter.employee.id])],
                        }])
            with Transaction().set_user(submitter.id):
                expense = self._approval_expense(type_, 2000)
                Expense.request_approval([expense])
            request, = Request.search([])
            self.assertEqual(request.approvers(), {approver2})
            with Transaction().set_user(approver1.id):
                with self.assertRaises(AccessError):
                    Request.approve([request])
            with Transaction().set_user(approver2.id):
                Request.approve([request])
            self.assertEqual(request.state, 'approved')

    @with_transaction()
    def test_approval_reject_void_and_rpc(self):
        """A rejection needs a reason told to the submitter; a change voids
        the approval and the transition is refused over RPC again"""
        pool = Pool()
        Expense = pool.get('crm.expense')
        Request = pool.get('crm.approval.request')
        Notification = pool.get('res.notification')
        company, users, approvers, type_ = self._approval_setup()
        submitter, approver1, *_ = users
        self._approval_rule(company, approver_kind='group',
            group=approvers.id)
        with set_company(company):
            with Transaction().set_user(submitter.id):
                expense = self._approval_expense(type_, 1500)
                Expense.request_approval([expense])
                # Asking again adds nothing while it is pending, and says
                # so.
                with self.assertRaisesRegex(UserError, 'already requested'):
                    Expense.request_approval([expense])
            request, = Request.search([])
            with Transaction().set_user(approver1.id):
                with self.assertRaises(UserError):
                    Request.reject([request], None)
                Request.reject([request], "Too expensive")
            self.assertEqual(request.state, 'rejected')
            told, = Notification.search([('user', '=', submitter.id)])
            self.assertEqual(told.description, "Too expensive")

            with Transaction().set_user(submitter.id):
                Expense.write([expense], {'amount': Decimal(1200)})
                Expense.request_approval([expense])
            approved, = Request.search([('state', '=', 'pending')])
            self.assertEqual(approved.amount, Decimal(1200))
            with Transaction().set_user(approver1.id):
                Request.approve([approved])
            self.assertEqual(approved.state, 'approved')

            with Transaction().set_user(submitter.id), check_access():
                Expense.write([expense], {'amount': Decimal(1300)})
                self.assertEqual(approved.state, 'voided')
                args, kwargs, context, _ = Expense.__rpc__['confirm'].convert(
                    Expense, [expense.id], {})
                with Transaction().set_context(context):
                    with self.assertRaisesRegex(UserError, 'Large 1'):
                        Expense.confirm(*args, **kwargs)
            self.assertEqual(expense.state, 'draft')
            # Users cannot forge requests nor decisions.
            with Transaction().set_user(submitter.id), check_access():
                with self.assertRaises(AccessError):
                    Request.create([{
                                'rule': approved.rule.id,
                                'document': str(expense),
                                'company': company.id,
                                'submitter': submitter.id,
                                'level': 1,
                                'state': 'approved',
                                }])


del ModuleTestCase
