# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Deterministic demo data for crm_plus.

One run creates, in a single transaction, a company with its books, a
sales organisation (employees, users, territories, teams), a product
catalogue, partners and the last twelve months of leads, opportunities and
sales, the orders shipped, invoiced and paid (or not) as the host's own
workflows do. The same scale and seed give the same records; their dates
are counted back from the day of the run, so that every deal closed,
delivery, invoice and payment is in the past, whatever that day is.
"""
import datetime as dt
import random
import re
import time
import unicodedata
from collections import Counter, defaultdict
from decimal import Decimal
from itertools import accumulate
from zoneinfo import ZoneInfo

from sql import Null, Table
from sql.aggregate import Max

from trytond import backend
from trytond.pool import Pool
from trytond.transaction import Transaction, TransactionError

from . import words

# Records are created by lists of this size: large enough to amortise the
# per-call work of the ORM (validation runs one query per list), small
# enough to keep memory flat at any scale; the host's record instances
# check their list of siblings, which grows with the square of the size.
BATCH = 500

# How many opportunities are converted, quoted, confirmed and cancelled
# through the host's own workflow, their confirmed sales then processed into
# shipments and invoices, shipped, invoiced and paid: all of them up to a
# scale of about 2,000. Beyond, the rest of the sales are created directly
# in the state the workflow would have left them, confirmed and waiting to
# be processed, because the workflow costs some 15 ms per sale, the
# processing some 30 ms more and the delivery, invoice and payment some
# 150 ms more, which would dominate large runs.
WORKFLOW_LIMIT = 1000

PASSWORD = 'Tryton-CRM-demo'

# The timezone of the demo company: its "today" is the one of the host's
# dates (due dates, overdue amounts), whatever the machine's timezone.
TIMEZONE = 'Europe/Madrid'
# Days of history before the day of the run
HISTORY_DAYS = 365

# Opportunity states and their share; 'converted' and 'won' get sales.
STATES = [
    ('lead', 20),
    ('opportunity', 25),
    ('converted', 12),
    ('won', 25),
    ('lost', 13),
    ('cancelled', 5),
    ]
# Share of lost opportunities that had a quotation the customer declined
LOST_WITH_SALE = 0.3
# Share of leads that have no party yet (a name on a trade fair list)
LEAD_WITHOUT_PARTY = 0.35
PERSON_SHARE = 0.15

USERS = [
    # login, role of the employee, CRM group, what the login is for
    ('manager', 'director', 'group_crm_manager', "sales manager"),
    ('crm_admin', 'operations', 'group_crm_admin', "CRM administrator"),
    ]
SALES_USERS = 5
HOST_GROUPS = [
    ('sale', 'group_sale'),
    ('sale_opportunity', 'group_opportunity'),
    ('party', 'group_party_admin'),
    ]
# The accountant reads the receivables of the CRM and keeps the books: the
# invoices, payments and credit limits of the host's accounting.
ACCOUNTANT = 'accountant'
ACCOUNTANT_GROUPS = [
    ('crm_plus', 'group_crm_accountant'),
    ('account', 'group_account'),
    ('account_credit_limit', 'group_credit_limit'),
    ]
# The marketing user plans and runs the campaigns and follows the leads
# they bring.
MARKETING = 'marketing'
MARKETING_GROUPS = [
    ('crm_plus', 'group_crm_marketing'),
    ] + HOST_GROUPS

# Days from the order to its delivery, and from the delivery to the invoice
SHIPPING_DAYS = (1, 10)
INVOICING_DAYS = (0, 5)
# How customers pay their invoices (due in 30 days): the share of invoices,
# and the days from the invoice to the payment. Payments that would fall
# after the day of the run have not come yet.
PAYMENT_HABITS = [
    ('on time', 55, (5, 30)),
    ('late', 15, (35, 90)),
    ('in part', 15, (10, 40)),
    ('never', 15, None),
    ]
# The share of the invoice paid by those who pay in part
PART_PAID = (0.3, 0.7)
# Queued methods the demo does not run: printing the invoices
SKIPPED_TASKS = {'print_invoice'}

# The tables that the host locks when the demo creates the first record of
# a singleton (the configurations), fiscal years, periods and the journals
# of a period, and the sales periods that their opening and closing and
# their forecasts lock: the transaction takes these locks from its start, instead of
# being started again for each.
LOCKED_TABLES = [
    'account_configuration',
    'account_fiscalyear',
    'account_period',
    'account_journal_period',
    'crm_configuration',
    'crm_sales_period',
    'sale_configuration',
    ]


class DemoError(Exception):
    "The demo cannot be created in this database"


def _text(word):
    "The native spelling of a word"
    return word[0] if isinstance(word, tuple) else word


def _slug(word):
    "An ASCII form of a word for e-mail addresses and web sites"
    if isinstance(word, tuple):
        return word[1]
    ascii_ = unicodedata.normalize('NFKD', word).encode('ascii', 'ignore')
    return re.sub(r'[^a-z0-9]+', '', ascii_.decode().lower())


def _round(value, step):
    return int(round(value / step)) * step


class Generator:
    "Composes and creates the demo records"

    def __init__(self, scale=300, seed=42, log=None):
        if scale < 1:
            raise ValueError("scale must be positive")
        self.scale = scale
        self.seed = seed
        self.today = dt.datetime.now(ZoneInfo(TIMEZONE)).date()
        # Every date of the history is in the past: from a year ago to
        # yesterday.
        self.first_day = self.today - dt.timedelta(days=HISTORY_DAYS)
        self.last_day = self.today - dt.timedelta(days=1)
        self.log = log or (lambda message: None)
        self.started = time.monotonic()
        self.logins = []

        self.n_partners = max(20, scale // 2)
        self.n_employees = max(10, scale // 200)
        self.n_products = min(50, max(20, scale // 2000))
        self.country_weights = list(accumulate(
                v[6] for v in words.COUNTRIES.values()))

    def step(self, message):
        self.log('%6.1fs %s' % (time.monotonic() - self.started, message))

    # Entry point

    def run(self, database):
        "Create the demo in the database and return the summary"
        with Transaction().start(
                None, 0, readonly=True, close=True) as transaction:
            if database not in transaction.database.list():
                raise DemoError(
                    "The database does not exist or is not a Tryton database; "
                    "create it with "
                    "trytond-admin and activate crm_plus.")
        with Transaction().start(database, 0, readonly=True):
            self.check_activated()
        pool = Pool(database)
        with Transaction().start(database, 0, readonly=True):
            pool.init()
        extras = {'_lock_tables': list(LOCKED_TABLES)}
        while True:
            # Every attempt draws the same data.
            self.rng = random.Random(self.seed)
            self.logins = []
            with Transaction().start(database, 0, **extras) as transaction:
                try:
                    self.check_database()
                    self.create_all()
                except TransactionError as exception:
                    # As the host's dispatcher: start again with the locks
                    # the transaction asked for. LOCKED_TABLES has those
                    # that this version of the host asks for; a later one
                    # may ask for others.
                    transaction.rollback()
                    exception.fix(extras)
                    self.step("Starting again with the locks asked for "
                        "(%s): add them to LOCKED_TABLES" % extras)
                    continue
            break
        with Transaction().start(database, 0, readonly=True):
            summary = self.summary()
        self.step("Done")
        return summary

    def check_activated(self):
        # The pool is not loaded yet: ask the table of modules.
        row = None
        if backend.TableHandler.table_exist('ir_module'):
            module = Table('ir_module')
            cursor = Transaction().connection.cursor()
            cursor.execute(*module.select(
                    module.state, where=module.name == 'crm_plus'))
            row = cursor.fetchone()
        if not row or row[0] != 'activated':
            raise DemoError(
                "crm_plus is not activated; run trytond-admin "
                "--activate-dependencies -u crm_plus first.")

    def check_database(self):
        pool = Pool()
        User = pool.get('res.user')
        Company = pool.get('company.company')
        if User.search([('login', 'in', [u[0] for u in USERS])], limit=1):
            raise DemoError(
                "The database already holds the demo data; "
                "create a new database to generate it again.")
        if Company.search([], limit=1):
            raise DemoError(
                "The database already has a company; the demo data sets up "
                "its own company and needs a database without one.")

    def create_all(self):
        transaction = Transaction()
        self.step("Creating the company and its accounting")
        with transaction.set_context(
                language='en', _skip_warnings=True, active_test=False):
            self.create_currencies()
            self.create_countries()
            self.create_company()
        with transaction.set_context(
                company=self.company.id, language='en',
                _skip_warnings=True):
            self.create_accounting()
            self.step("Creating the sales organisation")
            self.create_classifications()
            self.create_employees()
            self.create_territories()
            self.create_teams()
            self.create_users()
            self.create_products()
            self.plan_opportunities()
            self.step("Creating %d partners" % self.n_partners)
            self.create_partners()
            self.create_campaigns()
            self.step("Creating %d opportunities" % self.scale)
            self.create_opportunities()
            self.step("Running %d opportunities through the sales workflow"
                % len(self.workflow))
            self.run_workflow()
            self.step("Delivering, invoicing and collecting %d orders"
                % len(self.orders))
            self.fulfil_orders()
            self.step("Creating the activities")
            self.create_activities()
            self.create_stages()
            self.create_lines()
            self.create_competition()
            self.require_lost_reason()
            self.create_quotations()
            self.create_receivables()
            self.step("Evaluating the open opportunities")
            self.create_scorecards()
            self.create_approvals()
            self.create_pricing()
            self.create_credit()
            self.create_forecasts()
            self.dismiss_setup_wizards()
            self.run_queue()

    # Company and accounting

    def create_currencies(self):
        pool = Pool()
        Currency = pool.get('currency.currency')
        Rate = pool.get('currency.currency.rate')
        existing = {c.code: c for c in Currency.search([
                    ('code', 'in', list(words.CURRENCIES)),
                    ])}
        to_create = [{
                'name': name,
                'code': code,
                'numeric_code': numeric,
                'symbol': symbol,
                'digits': digits,
                'rounding': Decimal(1).scaleb(-digits),
                } for code, (name, numeric, symbol, digits, _)
            in words.CURRENCIES.items() if code not in existing]
        existing.update({c.code: c for c in Currency.create(to_create)})
        self.currencies = existing
        # A rate on the first day of the history lets reports convert the
        # revenues kept in local currencies.
        rated = {r.currency.id for r in Rate.search([
                    ('currency', 'in', [c.id for c in existing.values()]),
                    ('date', '<=', self.first_day),
                    ])}
        Rate.create([{
                    'currency': currency.id,
                    'date': self.first_day,
                    'rate': Decimal(words.CURRENCIES[code][4]),
                    } for code, currency in existing.items()
                if currency.id not in rated])

    def create_countries(self):
        pool = Pool()
        Country = pool.get('country.country')
        existing = {c.code: c for c in Country.search([
                    ('code', 'in', list(words.COUNTRIES)),
                    ])}
        existing.update({c.code: c for c in Country.create([{
                            'name': name,
                            'code': code,
                            'code3': code3,
                            'code_numeric': numeric,
                            } for code, (name, code3, numeric, *_)
                        in words.COUNTRIES.items()
                        if code not in existing])})
        self.countries = existing

    def create_company(self):
        pool = Pool()
        Party = pool.get('party.party')
        Address = pool.get('party.address')
        ContactMechanism = pool.get('party.contact_mechanism')
        Company = pool.get('company.company')
        User = pool.get('res.user')

        values = words.COMPANY
        party, = Party.create([{
                    'name': values['name'],
                    'party_kind': 'organisation',
                    }])
        Address.create([{
                    'party': party.id,
                    'street_name': values['street_name'],
                    'building_number': values['building_number'],
                    'postal_code': values['postal_code'],
                    'city': values['city'],
                    'country': self.countries[values['country']].id,
                    }])
        ContactMechanism.create([
                {'party': party.id, 'type': 'email',
                    'value': 'info@' + values['domain']},
                {'party': party.id, 'type': 'website',
                    'value': 'https://www.' + values['domain']},
                ])
        self.company, = Company.create([{
                    'party': party.id,
                    'currency': self.currencies['EUR'].id,
                    'timezone': TIMEZONE,
                    }])
        # The administrator works in the company, so the clients show its
        # records.
        admin, = User.search([('login', '=', 'admin')])
        User.write([admin], {
                'companies': [('add', [self.company.id])],
                'company': self.company.id,
                })

    def create_accounting(self):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Account = pool.get('account.account')
        AccountTemplate = pool.get('account.account.template')
        CreateChart = pool.get('account.create_chart', type='wizard')
        FiscalYear = pool.get('account.fiscalyear')
        SequenceStrict = pool.get('ir.sequence.strict')
        PaymentTerm = pool.get('account.invoice.payment_term')
        PaymentMethod = pool.get('account.invoice.payment.method')
        Journal = pool.get('account.journal')
        Configuration = pool.get('account.configuration')
        Category = pool.get('product.category')

        company = self.company
        session_id, _, _ = CreateChart.create()
        chart = CreateChart(session_id)
        chart.account.company = company
        chart.account.account_template = AccountTemplate(
            ModelData.get_id('account', 'account_template_root_en'))
        chart.transition_create_account()
        accounts = {}
        for kind in ['receivable', 'payable', 'revenue', 'expense']:
            accounts[kind], = Account.search([
                    ('type.%s' % kind, '=', True),
                    ('company', '=', company.id),
                    ('closed', '!=', True),
                    ], limit=1)
        chart.properties.company = company
        chart.properties.account_receivable = accounts['receivable']
        chart.properties.account_payable = accounts['payable']
        chart.properties.category_account_revenue = accounts['revenue']
        chart.properties.category_account_expense = accounts['expense']
        chart.transition_create_properties()
        CreateChart.delete(session_id)

        # The fiscal years of the history, and the next one from December
        # on, so that the demo can be used into the new year.
        years = list(range(
                self.first_day.year,
                (self.today + dt.timedelta(days=31)).year + 1))
        fiscalyears = []
        for year in years:
            move_sequence, invoice_sequence = SequenceStrict.create([{
                        'name': str(year),
                        'sequence_type': ModelData.get_id(
                            'account', 'sequence_type_account_move'),
                        'company': company.id,
                        }, {
                        'name': "Invoice %s" % year,
                        'sequence_type': ModelData.get_id(
                            'account_invoice',
                            'sequence_type_account_invoice'),
                        'company': company.id,
                        'prefix': '%s/' % year,
                        }])
            fiscalyears += FiscalYear.create([{
                        'name': str(year),
                        'start_date': dt.date(year, 1, 1),
                        'end_date': dt.date(year, 12, 31),
                        'company': company.id,
                        'move_sequence': move_sequence.id,
                        'invoice_sequences': [('create', [{
                                        'company': company.id,
                                        'out_invoice_sequence': (
                                            invoice_sequence.id),
                                        'in_invoice_sequence': (
                                            invoice_sequence.id),
                                        'out_credit_note_sequence': (
                                            invoice_sequence.id),
                                        'in_credit_note_sequence': (
                                            invoice_sequence.id),
                                        }])],
                        }])
        FiscalYear.create_period(fiscalyears)

        self.payment_term, = PaymentTerm.create([{
                    'name': "30 days",
                    'lines': [('create', [{
                                    'type': 'remainder',
                                    'relativedeltas': [('create', [{
                                                    'days': 30,
                                                    }])],
                                    }])],
                    }])
        configuration = Configuration(1)
        configuration.default_customer_payment_term = self.payment_term
        configuration.save()

        self.account_category, = Category.create([{
                    'name': "Sales of products and services",
                    'accounting': True,
                    'account_revenue': accounts['revenue'].id,
                    'account_expense': accounts['expense'].id,
                    }])

        # Customers pay by bank transfer: a bank account beside the chart's
        # cash, its journal, and the payment method of the invoices' Pay.
        cash, = Account.search([
                ('code', '=', '1.1.1'),
                ('company', '=', company.id),
                ])
        bank, = Account.create([{
                    'name': "Bank",
                    'code': '1.1.1.1',
                    'parent': cash.id,
                    'type': cash.type.id,
                    'company': company.id,
                    }])
        journal, = Journal.create([{
                    'name': "Bank",
                    'code': 'BANK',
                    'type': 'cash',
                    }])
        self.payment_method, = PaymentMethod.create([{
                    'name': "Bank transfer",
                    'company': company.id,
                    'journal': journal.id,
                    'debit_account': bank.id,
                    'credit_account': bank.id,
                    }])

    # Sales organisation

    def create_classifications(self):
        pool = Pool()
        Industry = pool.get('crm.industry')
        CompanyType = pool.get('crm.company_type')
        self.industries = Industry.create([
                {'code': code, 'name': name}
                for code, name, *_ in words.INDUSTRIES])
        self.industry_weights = list(accumulate(
                w for _, _, w, _ in words.INDUSTRIES))
        self.company_types = CompanyType.create([
                {'code': code, 'name': name}
                for code, name, _ in words.COMPANY_TYPES])
        self.company_type_weights = list(accumulate(
                w for _, _, w in words.COMPANY_TYPES))
        LeadSource = pool.get('crm.lead_source')
        self.lead_sources = LeadSource.create([
                {'code': code, 'name': name}
                for code, name, *_ in words.LEAD_SOURCES])
        self.lead_source_weights = list(accumulate(
                w for *_, w in words.LEAD_SOURCES))
        # A prospect without partner is not yet a customer of the company.
        self.prospect_source_weights = list(accumulate(
                0 if t == 'existing_customer' else w
                for _, _, t, w in words.LEAD_SOURCES))

    def person_name(self, country, rng=None):
        "Return the name, surname and e-mail local part of a person"
        rng = rng or self.rng
        names = words.NAMES[country]
        female = rng.random() < 0.5
        first = rng.choice(names['female' if female else 'male'])
        index, index2 = rng.sample(range(len(names['surnames'])), 2)
        surname = names['surnames'][index]
        surname2 = names['surnames'][index2]
        if female and 'surnames_female' in names:
            surname = names['surnames_female'][index]
        parts = {
            'first': _text(first),
            'surname': _text(surname),
            'surname2': _text(surname2),
            }
        name = names['person'].format(**parts)
        family = names['surname'].format(**parts)
        local = '%s.%s' % (_slug(first), _slug(surname))
        return name, family, local

    def create_employees(self):
        pool = Pool()
        Party = pool.get('party.party')
        Employee = pool.get('company.employee')
        rng = self.rng

        # The first employees lead the organisation; the others are sales
        # representatives of the teams, staffed in the order of
        # REPRESENTATIVE_TEAMS.
        leading = ['director', 'operations'] + [
            'leader:' + t for t in words.REGIONAL_TEAMS]
        teams = words.REPRESENTATIVE_TEAMS
        roles = leading + [
            'rep:' + teams[i % len(teams)]
            for i in range(self.n_employees - len(leading))]
        home = {
            'director': ['ES'], 'operations': ['ES'],
            'leader:EMEA': ['DE'], 'leader:APAC': ['JP'],
            'leader:AMER': ['US'],
            'rep:IBERIA': ['ES'], 'rep:NCE': ['DE', 'CZ', 'GB'],
            'rep:APAC': ['JP', 'CN'], 'rep:AMER': ['US', 'MX', 'BR'],
            }
        people = []
        for role in roles:
            country = rng.choice(home[role])
            people.append(self.person_name(country))
        parties = []
        for offset in range(0, len(people), BATCH):
            parties += Party.create([{
                        'name': name,
                        'surname': surname,
                        'party_kind': 'person',
                        'revenue_currency': None,
                        } for name, surname, _ in people[
                        offset:offset + BATCH]])
        employees = []
        for offset in range(0, len(parties), BATCH):
            employees += Employee.create([{
                        'party': party.id,
                        'company': self.company.id,
                        'start_date': self.first_day - dt.timedelta(
                            days=365 * rng.randint(0, 12)),
                        } for party in parties[offset:offset + BATCH]])
        self.employees = employees
        self.employee_emails = [
            '%s@%s' % (local, words.COMPANY['domain'])
            for _, _, local in people]
        self.roles = roles
        self.role = {r: e for r, e in zip(roles, employees)
            if not r.startswith('rep:')}
        self.representatives = defaultdict(list)
        for role, employee in zip(roles, employees):
            if role.startswith('rep:'):
                self.representatives[role[4:]].append(employee)

    def create_territories(self):
        pool = Pool()
        Territory = pool.get('crm.territory')
        managers = {
            'WORLD': self.role['director'],
            'EUROPE': self.role['leader:EMEA'],
            'ASIA': self.role['leader:APAC'],
            'AMERICAS': self.role['leader:AMER'],
            }
        # Countries are managed by the representatives of their team, in
        # turn.
        turns = Counter()
        for code, values in words.COUNTRIES.items():
            team = values[5]
            sellers = self.representatives[team]
            managers[code] = sellers[turns[team] % len(sellers)]
            turns[team] += 1
        self.territories = {}
        for code, name, parent, description in words.TERRITORIES:
            self.territories[code], = Territory.create([{
                        'code': code,
                        'name': name,
                        'parent': (
                            self.territories[parent].id if parent else None),
                        'manager': managers[code].id,
                        'description': description,
                        }])

    def create_teams(self):
        pool = Pool()
        Team = pool.get('crm.team')
        leaders = {
            'SALES': self.role['director'],
            'EMEA': self.role['leader:EMEA'],
            'APAC': self.role['leader:APAC'],
            'AMER': self.role['leader:AMER'],
            }
        members = {
            'SALES': [self.role['director'], self.role['operations']],
            'EMEA': [self.role['leader:EMEA']],
            'APAC': [self.role['leader:APAC']],
            'AMER': [self.role['leader:AMER']],
            }
        for team, sellers in self.representatives.items():
            members[team] = members.get(team, []) + sellers
            leaders.setdefault(team, sellers[0])
        # The sellers of a team look after its partners: the regional
        # leaders of APAC and the Americas sell in their team too.
        self.sellers = {
            t: members[t] for t in self.representatives}

        reps = [e for r, e in zip(self.roles, self.employees)
            if r.startswith('rep:')]
        members['KEY'] = [self.role['leader:EMEA']] + reps[0::3]
        leaders['KEY'] = self.role['leader:EMEA']
        members['PUBLIC'] = [self.role['leader:AMER']] + reps[1::4]
        leaders['PUBLIC'] = self.role['leader:AMER']

        self.teams = {}
        for code, name, parent in words.ADMINISTRATIVE_TEAMS:
            self.teams[code], = Team.create([{
                        'code': code,
                        'name': name,
                        'kind': 'administrative',
                        'company': self.company.id,
                        'parent': self.teams[parent].id if parent else None,
                        'leader': leaders[code].id,
                        'members': [('add', [e.id for e in members[code]])],
                        }])
        for code, name in words.CROSS_FUNCTIONAL_TEAMS:
            self.teams[code], = Team.create([{
                        'code': code,
                        'name': name,
                        'kind': 'cross_functional',
                        'company': self.company.id,
                        'leader': leaders[code].id,
                        'members': [('add', [e.id for e in members[code]])],
                        }])
        self.team_members = members
        self.employee_team = {}
        for code, _, _ in words.ADMINISTRATIVE_TEAMS:
            for employee in members[code]:
                self.employee_team[employee.id] = self.teams[code].id

    def create_users(self):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        Group = pool.get('res.group')

        host_groups = [ModelData.get_id(m, g) for m, g in HOST_GROUPS]
        accounts = [(login, self.role[role], role_name,
                [ModelData.get_id('crm_plus', group)] + host_groups)
            for login, role, group, role_name in USERS]
        reps = [e for r, e in zip(self.roles, self.employees)
            if r.startswith('rep:')]
        accounts += [('sales%d' % i, employee, "salesperson",
                [ModelData.get_id('crm_plus', 'group_crm_user')]
                + host_groups)
            for i, employee in enumerate(reps[:SALES_USERS], 1)]
        email = dict(zip(
                (e.id for e in self.employees), self.employee_emails))
        accountant = self.create_staff(ACCOUNTANT)
        self.marketer = self.create_staff(MARKETING)
        for login, employee, role_name, groups in [
                (ACCOUNTANT, accountant, "accountant", ACCOUNTANT_GROUPS),
                (MARKETING, self.marketer, "marketing", MARKETING_GROUPS),
                ]:
            email[employee.id] = '%s@%s' % (login, words.COMPANY['domain'])
            accounts.append((login, employee, role_name,
                    [ModelData.get_id(m, g) for m, g in groups]))
        vlist = []
        for login, employee, role_name, groups in accounts:
            vlist.append({
                    'name': employee.party.name,
                    'login': login,
                    'password': PASSWORD,
                    'email': email[employee.id],
                    'companies': [('add', [self.company.id])],
                    'company': self.company.id,
                    'employees': [('add', [employee.id])],
                    'employee': employee.id,
                    'groups': [('add', groups)],
                    })
            self.logins.append((login, role_name, [
                        g.name for g in Group.browse(groups)]))
        users = User.create(vlist)
        # Who completes the activities of an employee: their user, else
        # the administrator.
        admin, = User.search([('login', '=', 'admin')])
        self.admin_user = admin.id
        self.user_of_employee = {
            a[1].id: u.id for a, u in zip(accounts, users)}

    def create_staff(self, login):
        """The employee of a department apart from the sales organisation
        (accounting, marketing): drawn from a generator of its own, so that
        the partners and deals stay those of the same seed"""
        pool = Pool()
        Party = pool.get('party.party')
        Employee = pool.get('company.employee')
        name, surname, _ = self.person_name(
            'ES', rng=random.Random('%s-%s' % (self.seed, login)))
        party, = Party.create([{
                    'name': name,
                    'surname': surname,
                    'party_kind': 'person',
                    'revenue_currency': None,
                    }])
        employee, = Employee.create([{
                    'party': party.id,
                    'company': self.company.id,
                    'start_date': self.first_day - dt.timedelta(days=3 * 365),
                    }])
        return employee

    def create_products(self):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Template = pool.get('product.template')
        Product = pool.get('product.product')
        rng = self.rng

        n_services = len(words.SERVICES)
        catalogue = []
        for size, factor in words.GOODS_SIZES:
            for name, code, unit, price, quantities in words.GOODS:
                catalogue.append((
                        '%s %s' % (name, size), '%s-%s' % (code, size),
                        'goods', unit, price * factor, quantities))
        catalogue = catalogue[:self.n_products - n_services]
        catalogue += [
            (name, code, 'service', unit, price, quantities)
            for name, code, unit, price, quantities in words.SERVICES]
        units = {u: ModelData.get_id('product', u)
            for u in {c[3] for c in catalogue}}
        vlist = []
        for name, code, type_, unit, price, _ in catalogue:
            list_price = Decimal(_round(price, 5 if price < 1000 else 50))
            vlist.append({
                    'name': name,
                    'code': code,
                    'type': type_,
                    'default_uom': units[unit],
                    'salable': True,
                    'sale_uom': units[unit],
                    'list_price': list_price,
                    'account_category': self.account_category.id,
                    })
        templates = Template.create(vlist)
        self.products = Product.create([{
                    'template': template.id,
                    'cost_price': (
                        vlist[i]['list_price'] * Decimal(
                            rng.randint(55, 75)) / 100).quantize(
                        Decimal('0.01')),
                    } for i, template in enumerate(templates)])
        self.product_info = [
            (p.id, units[c[3]], vlist[i]['list_price'], c[5])
            for i, (p, c) in enumerate(zip(self.products, catalogue))]
        # Machines sell more often than services are added to them
        self.product_weights = list(accumulate(
                3 if c[2] == 'goods' else 2 for c in catalogue))

    # Partners

    def plan_opportunities(self):
        "Draw the state and party of each opportunity"
        rng = self.rng
        states = [s for s, _ in STATES]
        weights = list(accumulate(w for _, w in STATES))
        self.opportunity_states = rng.choices(
            states, cum_weights=weights, k=self.scale)
        parties = []
        for state in self.opportunity_states:
            if state == 'lead' and rng.random() < LEAD_WITHOUT_PARTY:
                parties.append(None)
            else:
                # A few partners buy much more often than the others.
                parties.append(int(self.n_partners * rng.random() ** 2))
        self.opportunity_parties = parties

    def lifecycle_stages(self):
        won, open_, closed = Counter(), Counter(), Counter()
        for state, party in zip(
                self.opportunity_states, self.opportunity_parties):
            if party is None:
                continue
            if state == 'won':
                won[party] += 1
            elif state in {'lead', 'opportunity', 'converted'}:
                open_[party] += 1
            else:
                closed[party] += 1
        stages = []
        for party in range(self.n_partners):
            if won[party] >= 3:
                stage = 'loyal'
            elif won[party] == 2:
                stage = 'repeat'
            elif won[party] == 1:
                stage = 'customer'
            elif open_[party]:
                stage = 'prospect'
            elif closed[party]:
                stage = 'lapsed'
            elif self.rng.random() < 0.8:
                stage = 'target'
            else:
                stage = None
            stages.append(stage)
        return stages

    def compose_partner(self, stage, used_names):
        "Return the values of a partner, its address and contacts"
        rng = self.rng
        country = rng.choices(
            list(words.COUNTRIES), cum_weights=self.country_weights)[0]
        names = words.NAMES[country]
        city, postal_codes = rng.choice(names['cities'])
        team_code = words.COUNTRIES[country][5]
        currency = self.currencies[words.COUNTRIES[country][3]]
        values = {
            'territory': self.territories[country].id,
            'lifecycle_stage': stage,
            }
        contacts = []
        if rng.random() < PERSON_SHARE:
            name, surname, local = self.person_name(country)
            values.update({
                    'name': name,
                    'surname': surname,
                    'party_kind': 'person',
                    'revenue_currency': None,
                    })
            contacts.append(('email', '%s@mail.example' % local))
            contacts.append(('mobile', self.phone(names['mobile'])))
            company_type = None
            domain = None
        else:
            kind = rng.choice(names['kinds'])
            core = rng.choice(names['cores'])
            legal = rng.choice(names.get('legal', ['']))
            base = names['name'].format(
                kind=_text(kind), core=_text(core), legal=legal,
                city=_text(city))
            name, slug = base, '%s-%s' % (_slug(core), _slug(kind))
            # Namesakes in another city are told apart by the city, as
            # branches are.
            if name in used_names:
                name = '%s (%s)' % (base, _text(city))
                slug = '%s-%s' % (slug, _slug(city))
                number = 2
                while name in used_names:
                    name = '%s (%s %d)' % (base, _text(city), number)
                    number += 1
                if number > 2:
                    slug = '%s-%d' % (slug, number - 1)
            used_names.add(name)

            company_type = rng.choices(
                self.company_types, cum_weights=self.company_type_weights)[0]
            if company_type.code == 'PUB':
                industry = self.industries[-1]
            else:
                industry = rng.choices(
                    self.industries[:-1],
                    cum_weights=self.industry_weights[:-1])[0]
            codes = words.INDUSTRIES[self.industries.index(industry)][3]
            sic_code = rng.choice(codes)
            if rng.random() < 0.1:
                # Some partners are only classified by major group.
                sic_code = sic_code[:2]
            # Most partners are small and medium-sized businesses.
            employee_count = int(10 ** rng.triangular(0.7, 4.8, 1.5))
            rate = float(words.CURRENCIES[currency.code][4])
            revenue = employee_count * rng.uniform(60_000, 300_000) * rate
            values.update({
                    'name': name,
                    'party_kind': 'organisation',
                    'industry': industry.id,
                    'company_type': company_type.id,
                    'sic_code': sic_code if rng.random() < 0.95 else None,
                    'employee_count': (
                        employee_count if rng.random() < 0.9 else None),
                    'annual_revenue': (
                        Decimal(_round(revenue, 10 ** max(3, len(
                                        str(int(revenue))) - 3)))
                        if rng.random() < 0.85 else None),
                    'revenue_currency': currency.id,
                    })
            domain = '%s.example' % slug
            contacts.append(('phone', self.phone(names['phone'])))
            contacts.append((
                    'email', '%s@%s' % (
                        rng.choice(['info', 'sales', 'contact']), domain)))
            contacts.append(('website', 'https://www.%s' % domain))

        if rng.random() < 0.92:
            # Public bodies are looked after by the public sector team and
            # the largest organisations by key accounts, across regions.
            if company_type and company_type.code == 'PUB':
                team = 'PUBLIC'
            elif (values.get('employee_count') or 0) >= 5000 and (
                    rng.random() < 0.5):
                team = 'KEY'
            else:
                team = team_code
            sellers = (self.team_members[team] if team in {'PUBLIC', 'KEY'}
                else self.sellers[team])
            manager = rng.choice(sellers)
            values['account_manager'] = manager.id
            values['team'] = self.teams[team].id
        else:
            manager = None

        if country == 'JP':
            number = '%d-%d-%d' % (
                rng.randint(1, 9), rng.randint(1, 30), rng.randint(1, 20))
        else:
            number = str(rng.randint(1, 250))
        address = {
            'street_name': rng.choice(names['streets']),
            'building_number': number,
            'postal_code': rng.choice(postal_codes),
            'city': _text(city),
            'country': self.countries[country].id,
            }
        domain = domain if values['party_kind'] == 'organisation' else None
        return values, address, contacts, (team_code, manager), (
            country, domain)

    def phone(self, pattern):
        rng = self.rng
        return ''.join(
            str(rng.randint(0, 9)) if c == '#' else c for c in pattern)

    def create_partners(self):
        pool = Pool()
        Party = pool.get('party.party')
        Address = pool.get('party.address')
        ContactMechanism = pool.get('party.contact_mechanism')

        stages = self.lifecycle_stages()
        sequence = Party._code_sequence()
        used_names = set()
        # Per partner: id, territory, team, address, team of its country,
        # account manager
        self.partners = []
        for offset in range(0, self.n_partners, BATCH):
            composed = [self.compose_partner(stage, used_names)
                for stage in stages[offset:offset + BATCH]]
            vlist = [c[0] for c in composed]
            if sequence:
                for values, code in zip(
                        vlist, sequence.get_many(len(vlist))):
                    values['code'] = code
            parties = Party.create(vlist)
            addresses = Address.create([
                    dict(c[1], party=p.id)
                    for p, c in zip(parties, composed)])
            ContactMechanism.create([{
                        'party': party.id,
                        'type': type_,
                        'value': value,
                        } for party, c in zip(parties, composed)
                    for type_, value in c[2]])
            for party, address, (values, _, _, (team_code, manager), _) in (
                    zip(parties, addresses, composed)):
                self.partners.append((
                        party.id, values['territory'], values.get('team'),
                        address.id, team_code, manager))
            self.create_contact_persons(parties, [c[4] for c in composed])

    def create_campaigns(self):
        """The marketing campaigns, their targets found by their searches
        and their costs; the leads of their sources answered them"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Campaign = pool.get('marketing.campaign')
        Expense = pool.get('crm.expense')
        source_index = {
            code: i for i, (code, *_) in enumerate(words.LEAD_SOURCES)}
        campaigns = Campaign.create([{
                    'name': name,
                    'type': ModelData.get_id(
                        'crm_plus', 'campaign_type_%s' % type_),
                    'company': self.company.id,
                    'currency': self.company.currency.id,
                    'owner': self.marketer.id,
                    'team': self.teams['SALES'].id,
                    'start_date': self.first_day,
                    'end_date': self.last_day,
                    'budget': Decimal(budget),
                    'expected_responses': responses,
                    'expected_revenue': Decimal(revenue),
                    'target_domain': domain,
                    'products': [('add', [p.id for p in self.products[:2]])],
                    }
                for _, name, type_, budget, responses, revenue, domain, _
                in words.CAMPAIGNS])
        self.campaign_of_source = {
            source_index[c[0]]: campaign.id
            for c, campaign in zip(words.CAMPAIGNS, campaigns)}
        Campaign.activate(campaigns)
        Campaign.refresh_targets(campaigns)
        # Spent in three parts over the history, most of the budget.
        types = [ModelData.get_id('crm_plus', 'expense_type_%s' % c)
            for c in ['travel', 'samples', 'other']]
        days = (self.last_day - self.first_day).days
        expenses = Expense.create([{
                    'campaign': campaign.id,
                    'company': self.company.id,
                    'currency': self.company.currency.id,
                    'employee': self.marketer.id,
                    'type': type_,
                    'description': name,
                    'date': self.first_day + dt.timedelta(
                        days=days * part // 3),
                    'amount': campaign.budget * share,
                    }
                for campaign, (_, name, *_) in zip(campaigns, words.CAMPAIGNS)
                for part, (type_, share) in enumerate(zip(types, [
                            Decimal('0.4'), Decimal('0.3'),
                            Decimal('0.2')]))])
        Expense.confirm(expenses)
        Campaign.close([c for c, values in zip(campaigns, words.CAMPAIGNS)
                if values[-1]])

    def compose_contact_persons(self, country, domain):
        "Return the values and contact mechanisms of an organisation's people"
        rng = self.rng
        names = words.NAMES[country]
        count = rng.choice([1, 1, 2, 2, 2, 3, 3])
        # Mostly the boss comes first and the others report to them; in
        # larger firms the buyer is found without knowing the boss.
        boss = rng.random() < (0.5 if count == 1 else 0.75)
        titles = rng.sample(words.STAFF_TITLES, count)
        if boss:
            titles[0] = rng.choice(words.BOSS_TITLES)
        people = []
        for title, department in titles:
            name, surname, local = self.person_name(country)
            values = {
                'name': name,
                'surname': surname,
                'party_kind': 'person',
                'revenue_currency': None,
                'job_title': title,
                'department': department,
                }
            mechanisms = [('email', '%s@%s' % (local, domain))]
            if rng.random() < 0.6:
                mechanisms.append(('mobile', self.phone(names['mobile'])))
            else:
                mechanisms.append(('phone', self.phone(names['phone'])))
            people.append((values, mechanisms))
        return people, boss

    def create_contact_persons(self, parties, places):
        "Give each organisation of the list 1 to 3 contact persons"
        pool = Pool()
        Party = pool.get('party.party')
        ContactMechanism = pool.get('party.contact_mechanism')
        sequence = Party._code_sequence()
        if not hasattr(self, 'partner_contacts'):
            self.partner_contacts = {}
        # The bosses are created first, so that the others can report to
        # them in the same list.
        heads, others = [], []
        for party, (country, domain) in zip(parties, places):
            if domain is None:
                continue
            people, boss = self.compose_contact_persons(country, domain)
            for index, (values, mechanisms) in enumerate(people):
                values['organisation'] = party.id
                if index == 0:
                    heads.append((party, values, mechanisms, boss))
                else:
                    others.append((party, values, mechanisms))
        boss_of = {}
        for group in [heads, others]:
            vlist = [g[1] for g in group]
            if not vlist:
                continue
            if sequence:
                for values, code in zip(
                        vlist, sequence.get_many(len(vlist))):
                    values['code'] = code
            for party, values, *_ in group:
                if party.id in boss_of:
                    values['reports_to'] = boss_of[party.id]
            persons = Party.create(vlist)
            ContactMechanism.create([{
                        'party': person.id,
                        'type': type_,
                        'value': value,
                        } for person, g in zip(persons, group)
                    for type_, value in g[2]])
            for person, (party, *rest) in zip(persons, group):
                self.partner_contacts.setdefault(party.id, []).append(
                    person.id)
                if group is heads and rest[-1]:
                    boss_of[party.id] = person.id

    # Opportunities and sales

    def compose_lines(self, state):
        rng = self.rng
        if state == 'lead':
            count = rng.choice([0, 0, 1, 1, 2])
        else:
            count = rng.choice([1, 1, 2, 2, 3, 4])
        lines = []
        chosen = set()
        for _ in range(count):
            index = rng.choices(
                range(len(self.product_info)),
                cum_weights=self.product_weights)[0]
            if index in chosen:
                continue
            chosen.add(index)
            product, unit, price, (low, high) = self.product_info[index]
            lines.append((product, unit, price, rng.randint(low, high)))
        return lines

    def create_opportunities(self):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Line = pool.get('sale.opportunity.line')
        Configuration = pool.get('sale.configuration')
        rng = self.rng

        sequence = Configuration(1).get_multivalue(
            'sale_opportunity_sequence', company=self.company.id)
        all_sellers = [e for t in self.sellers.values() for e in t]
        history_days = (self.last_day - self.first_day).days
        workflow_slots = 0
        self.workflow = []
        # Per opportunity: id, partner index, employee id, start, end,
        # state, description
        self.opportunities = []
        for offset in range(0, self.scale, BATCH):
            vlist, lines, plans, infos = [], [], [], []
            states = self.opportunity_states[offset:offset + BATCH]
            numbers = sequence.get_many(len(states))
            for index, (state, number) in enumerate(
                    zip(states, numbers), offset):
                party_index = self.opportunity_parties[index]
                if party_index is not None:
                    (party, territory, team, address, team_code,
                        manager) = self.partners[party_index]
                else:
                    party = territory = team = address = manager = None
                    team_code = rng.choice(list(self.sellers))
                # The account manager handles most opportunities of the
                # partner; colleagues of the same region the others.
                if manager and rng.random() < 0.8:
                    employee = manager
                elif state == 'lead' and rng.random() < 0.15:
                    employee = None
                else:
                    employee = rng.choice(
                        self.sellers.get(team_code) or all_sellers)
                if not team and employee:
                    team = self.employee_team.get(employee.id)

                start = self.first_day + dt.timedelta(
                    days=rng.randint(0, history_days - 30))
                closed = state not in {'lead', 'opportunity'}
                if closed:
                    # Closed by yesterday
                    end = start + dt.timedelta(days=rng.randint(
                            14, min(120, (self.last_day - start).days)))
                else:
                    end = start + dt.timedelta(days=rng.randint(30, 180))
                opportunity_lines = self.compose_lines(state)
                estimate = sum(p * q for _, _, p, q in opportunity_lines)
                if estimate:
                    amount = Decimal(_round(
                            float(estimate) * rng.uniform(0.85, 1.15), 10))
                elif rng.random() < 0.5:
                    amount = Decimal(rng.choice([5000, 10000, 25000, 50000]))
                else:
                    amount = None
                probability = {
                    'lead': rng.choice([0.1, 0.2, 0.25]),
                    'opportunity': rng.choice([0.3, 0.4, 0.5, 0.6, 0.75]),
                    'converted': rng.choice([0.8, 0.9]),
                    'won': 1.0,
                    'lost': 0.0,
                    'cancelled': 0.0,
                    }[state]

                # What becomes of the sale of the opportunity
                sale = None
                if state == 'converted':
                    sale = rng.choice(['draft', 'quotation'])
                elif state == 'won':
                    sale = 'confirmed'
                elif state == 'lost' and rng.random() < LOST_WITH_SALE:
                    sale = 'cancelled'
                # Only the host's workflow makes a lost opportunity out of
                # a cancelled sale.
                if sale == 'cancelled' and (
                        workflow_slots >= WORKFLOW_LIMIT):
                    sale = None
                quoted = start + (end - start) / 2

                values = {
                    'number': number,
                    'party': party,
                    'address': address,
                    'employee': employee.id if employee else None,
                    'company': self.company.id,
                    'currency': self.company.currency.id,
                    'payment_term': self.payment_term.id,
                    'start_date': start,
                    'end_date': end,
                    'description': rng.choice(
                        words.OPPORTUNITY_DESCRIPTIONS),
                    'reference': (
                        'RFQ-%05d' % rng.randint(1, 99999)
                        if state != 'lead' and rng.random() < 0.4
                        else None),
                    'amount': amount,
                    'conversion_probability': probability,
                    'state': state,
                    'territory': territory,
                    'team': team,
                    }
                if state == 'lost':
                    values['lost_reason'] = rng.choice(words.LOST_REASONS)
                if rng.random() < 0.85:
                    source = rng.choices(
                        range(len(self.lead_sources)),
                        cum_weights=(
                            self.lead_source_weights if party
                            else self.prospect_source_weights))[0]
                    values['lead_source'] = self.lead_sources[source].id
                    values['marketing_campaign'] = (
                        self.campaign_of_source.get(source))
                    # The source tells the type, but partners of an
                    # earlier sale come back as existing customers.
                    lead_type = words.LEAD_SOURCES[source][2]
                    if party and rng.random() < 0.25:
                        lead_type = 'existing_customer'
                    values['lead_type'] = lead_type
                elif rng.random() < 0.5:
                    values['lead_type'] = rng.choice(
                        ['inbound', 'outbound'])
                if party is None:
                    values.update(self.compose_prospect())
                if sale:
                    values['converted_by'] = employee.id
                    plan = {
                        'sale': sale,
                        'party': party,
                        'address': address,
                        'employee': employee.id,
                        'quotation_date': (
                            quoted if sale != 'draft' else None),
                        'sale_date': end if sale == 'confirmed' else None,
                        'end_date': end,
                        'lines': opportunity_lines,
                        }
                    if workflow_slots < WORKFLOW_LIMIT:
                        # The host converts it from the opportunity state.
                        values['state'] = 'opportunity'
                        plans.append(('workflow', plan))
                        workflow_slots += 1
                    else:
                        plans.append(('direct', plan))
                        if sale != 'draft':
                            # As the host does once the sale is quoted
                            values['amount'] = sum(
                                (p * q for _, _, p, q in opportunity_lines),
                                Decimal(0))
                else:
                    plans.append(None)
                vlist.append(values)
                lines.append(opportunity_lines)
                infos.append((
                        party_index, values['employee'], start, end, state,
                        values['description']))

            opportunities = Opportunity.create(vlist)
            self.opportunities.extend(
                (o.id, *i) for o, i in zip(opportunities, infos))
            Line.create([{
                        'opportunity': opportunity.id,
                        'sequence': sequence_,
                        'product': product,
                        'unit': unit,
                        'quantity': quantity,
                        } for opportunity, opportunity_lines
                    in zip(opportunities, lines)
                    for sequence_, (product, unit, _, quantity)
                    in enumerate(opportunity_lines, 1)])
            direct = []
            for opportunity, plan in zip(opportunities, plans):
                if plan is None:
                    continue
                route, plan = plan
                plan['opportunity'] = opportunity.id
                if route == 'workflow':
                    self.workflow.append(plan)
                else:
                    direct.append(plan)
            self.create_sales(direct)

    def compose_prospect(self):
        "Return the prospect data of a lead that has no partner yet"
        rng = self.rng
        country = rng.choices(
            list(words.COUNTRIES), cum_weights=self.country_weights)[0]
        names = words.NAMES[country]
        city, postal_codes = rng.choice(names['cities'])
        kind = rng.choice(names['kinds'])
        core = rng.choice(names['cores'])
        legal = rng.choice(names.get('legal', ['']))
        company = names['name'].format(
            kind=_text(kind), core=_text(core), legal=legal,
            city=_text(city))
        domain = '%s-%s.example' % (_slug(core), _slug(kind))
        contact, _, local = self.person_name(country)
        title, _ = rng.choice(
            words.BOSS_TITLES if rng.random() < 0.3
            else words.STAFF_TITLES)
        if country == 'JP':
            number = '%d-%d-%d' % (
                rng.randint(1, 9), rng.randint(1, 30), rng.randint(1, 20))
        else:
            number = str(rng.randint(1, 250))
        street = rng.choice(names['streets'])
        values = {
            'prospect_company': ' '.join(company.split()),
            'prospect_contact': contact,
            'prospect_job_title': title,
            'prospect_email': '%s@%s' % (local, domain),
            'prospect_phone': self.phone(
                names['mobile'] if rng.random() < 0.4 else names['phone']),
            'prospect_website': (
                'https://www.%s' % domain if rng.random() < 0.8 else None),
            'prospect_city': _text(city),
            'prospect_country': self.countries[country].id,
            }
        # A name from a badge or a web form often comes without address.
        if rng.random() < 0.7:
            values.update({
                    'prospect_street': (
                        '%s %s' % (number, street) if country in {'GB', 'US'}
                        else '%s%s号' % (street, number) if country == 'CN'
                        else '%s %s' % (street, number)),
                    'prospect_postal_code': rng.choice(postal_codes),
                    })
        return values

    def create_sales(self, plans):
        "Create the sales of converted opportunities in their final state"
        pool = Pool()
        Sale = pool.get('sale.sale')
        SaleLine = pool.get('sale.line')
        Configuration = pool.get('sale.configuration')
        if not plans:
            return
        numbered = [p for p in plans if p['sale'] != 'draft']
        sequence = Configuration(1).get_multivalue(
            'sale_sequence', company=self.company.id)
        numbers = iter(sequence.get_many(len(numbered)) if numbered else [])
        warehouse = Sale.default_warehouse()
        vlist = []
        for plan in plans:
            untaxed = sum(
                (p * q for _, _, p, q in plan['lines']), Decimal(0))
            values = {
                'company': self.company.id,
                'party': plan['party'],
                'invoice_address': plan['address'],
                'shipment_address': plan['address'],
                'currency': self.company.currency.id,
                'payment_term': self.payment_term.id,
                'warehouse': warehouse,
                'origin': 'sale.opportunity,%d' % plan['opportunity'],
                }
            if plan['sale'] != 'draft':
                values.update({
                        'number': next(numbers),
                        'quotation_date': plan['quotation_date'],
                        'quoted_by': plan['employee'],
                        })
            if plan['sale'] == 'confirmed':
                # The confirmation stores the amounts. These sales are not
                # processed: they wait, as with a processing delay in the
                # sale configuration, for the Process button.
                values.update({
                        'sale_date': plan['sale_date'],
                        'confirmed_by': plan['employee'],
                        'untaxed_amount_cache': untaxed,
                        'tax_amount_cache': Decimal(0),
                        'total_amount_cache': untaxed,
                        })
            vlist.append(values)
        sales = Sale.create(vlist)
        SaleLine.create([{
                    'sale': sale.id,
                    'sequence': sequence_,
                    'type': 'line',
                    'product': product,
                    'unit': unit,
                    'quantity': quantity,
                    'unit_price': price,
                    } for sale, plan in zip(sales, plans)
                for sequence_, (product, unit, price, quantity)
                in enumerate(plan['lines'], 1)])
        # Lines are only added to draft sales.
        by_state = defaultdict(list)
        for sale, plan in zip(sales, plans):
            if plan['sale'] != 'draft':
                by_state[plan['sale']].append(sale)
        to_write = []
        for state, records in by_state.items():
            to_write.extend((records, {'state': state}))
        if to_write:
            Sale.write(*to_write)

    def run_workflow(self):
        "Convert and process opportunities with the host's transitions"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Sale = pool.get('sale.sale')
        self.orders = []
        if not self.workflow:
            return
        plans = {p['opportunity']: p for p in self.workflow}
        opportunities = Opportunity.browse(list(plans))
        Opportunity.convert(opportunities)
        sales = Sale.search([
                ('origin', 'in', [
                        'sale.opportunity,%d' % i for i in plans]),
                ])
        plan_of = {s.id: plans[s.origin.id] for s in sales}
        # The host stamps the transitions with the current date and user;
        # the demo spreads them over the year, so it sets them beforehand
        # and the host keeps them.
        to_write = []
        for sale in sales:
            plan = plan_of[sale.id]
            if plan['sale'] == 'draft':
                continue
            to_write.extend(([sale], {
                        'quotation_date': plan['quotation_date'],
                        'quoted_by': plan['employee'],
                        'sale_date': plan['sale_date'],
                        'confirmed_by': (
                            plan['employee']
                            if plan['sale'] == 'confirmed' else None),
                        }))
        if to_write:
            Sale.write(*to_write)
        by_state = defaultdict(list)
        for sale in sales:
            by_state[plan_of[sale.id]['sale']].append(sale)
        Sale.quote(
            by_state['quotation'] + by_state['confirmed']
            + by_state['cancelled'])
        Sale.confirm(by_state['confirmed'])
        Sale.cancel(by_state['cancelled'])
        # The confirmation queues the processing of the orders into
        # shipments and invoices.
        self.run_queue()
        self.orders = sorted(s.id for s in by_state['confirmed'])

        # Winning or losing the sales closes the opportunities on the
        # current date; put back the planned dates.
        closed = defaultdict(list)
        for opportunity in Opportunity.browse(list(plans)):
            if opportunity.state in {'won', 'lost'}:
                closed[plans[opportunity.id]['end_date']].append(opportunity)
        to_write = []
        for end_date, records in closed.items():
            to_write.extend((records, {'end_date': end_date}))
        if to_write:
            Opportunity.write(*to_write)

    def fulfil_orders(self):
        """Deliver, invoice and collect the confirmed orders through the
        host's stock and accounting, each step on its date after the
        order: the older orders are delivered, invoiced and mostly paid,
        the latest still wait for their delivery or their invoice; some
        customers pay late, some in part and some not at all, so that
        some invoices are overdue"""
        pool = Pool()
        Sale = pool.get('sale.sale')
        Shipment = pool.get('stock.shipment.out')
        Invoice = pool.get('account.invoice')
        MoveLine = pool.get('account.move.line')
        rng = self.rng
        habits = [h for h, _, _ in PAYMENT_HABITS]
        habit_weights = list(accumulate(w for _, w, _ in PAYMENT_HABITS))
        delays = {h: d for h, _, d in PAYMENT_HABITS}

        shipped = defaultdict(list)
        invoiced = defaultdict(list)
        payments = {}
        for sale in Sale.browse(self.orders):
            # Every order draws its dates and habit, wherever its story
            # stops, so that the next orders draw the same.
            ship_date = sale.sale_date + dt.timedelta(
                days=rng.randint(*SHIPPING_DAYS))
            invoice_date = ship_date + dt.timedelta(
                days=rng.randint(*INVOICING_DAYS))
            habit = rng.choices(habits, cum_weights=habit_weights)[0]
            paid_on = share = None
            if delays[habit]:
                paid_on = invoice_date + dt.timedelta(
                    days=rng.randint(*delays[habit]))
            if habit == 'in part':
                share = Decimal(str(round(rng.uniform(*PART_PAID), 2)))
            if ship_date <= self.last_day:
                shipped[ship_date].extend(sale.shipments)
            if invoice_date > self.last_day:
                continue
            invoiced[invoice_date].extend(sale.invoices)
            if paid_on and paid_on <= self.last_day:
                for invoice in sale.invoices:
                    payments[invoice.id] = (paid_on, share)

        shipments = [s for d in sorted(shipped) for s in shipped[d]]
        if shipments:
            # The host dates the moves of a shipment with its effective
            # date.
            Shipment.write(*(a for d in sorted(shipped)
                    for a in (shipped[d], {'effective_date': d})))
            # The demo keeps no stock levels: the goods are taken as there.
            Shipment.assign_force(shipments)
            Shipment.pick(shipments)
            Shipment.pack(shipments)
            Shipment.do(shipments)

        invoices = [i for d in sorted(invoiced) for i in invoiced[d]]
        if invoices:
            Invoice.write(*(a for d in sorted(invoiced)
                    for a in (invoiced[d], {'invoice_date': d})))
            Invoice.post(invoices)

        # As the Pay button of the invoice: a payment in full reconciles
        # the invoice, which the host then marks paid; a partial payment
        # stays beside it.
        to_reconcile = []
        for invoice in Invoice.browse(sorted(payments)):
            date, share = payments[invoice.id]
            if share:
                amount = (invoice.total_amount * share).quantize(Decimal(1))
            else:
                amount = invoice.amount_to_pay
            lines = invoice.pay_invoice(
                amount, self.payment_method, date, description=invoice.number)
            if not share:
                to_reconcile.append(list(invoice.lines_to_pay) + lines)
        if to_reconcile:
            MoveLine.reconcile(*to_reconcile)
        # Shipments done and invoices paid queue the processing of their
        # sales and invoices.
        self.run_queue()

    def run_queue(self):
        """Run the tasks that the host queued in this transaction, as its
        queue worker would after the commit: the demo is complete when it
        is committed (the processing of the orders into shipments and
        invoices, of the invoices paid), and the server starts without a
        backlog. The copy of each posted invoice is left to its first
        print, as the host makes it when it has none."""
        pool = Pool()
        Queue = pool.get('ir.queue')
        while True:
            tasks = Queue.search([
                    ('dequeued_at', '=', None),
                    ], order=[('id', 'ASC')])
            if not tasks:
                break
            for task in tasks:
                if task.data['method'] not in SKIPPED_TASKS:
                    task.run()
            Queue.delete(tasks)
        # Without a worker, the host would run them again after the commit.
        Transaction().tasks.clear()

    # Line discounts and expenses

    def create_lines(self):
        "Discounts negotiated on the open opportunities and sales expenses"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Line = pool.get('sale.opportunity.line')
        Expense = pool.get('crm.expense')
        rng = self.rng
        open_ids = [
            o[0] for o in self.opportunities
            if o[5] in {'lead', 'opportunity'}]
        by_discount = defaultdict(list)
        for line in Line.search(
                [('opportunity', 'in', open_ids)], order=[('id', 'ASC')]):
            if rng.random() < 0.4:
                by_discount[rng.choice(['0.05', '0.1', '0.15'])].append(line)
        args = []
        for discount, lines in sorted(by_discount.items()):
            args.extend((lines, {'discount': Decimal(discount)}))
        if args:
            Line.write(*args)

        types = [ModelData.get_id('crm_plus', 'expense_type_%s' % c)
            for c in ['travel', 'entertainment', 'samples', 'gifts']]
        vlist, fates = [], []
        for (opportunity, _, employee, start, end, state,
                _) in self.opportunities:
            if state == 'lead' or rng.random() < 0.6:
                continue
            days = (min(end, self.last_day) - start).days
            if days < 0:
                continue
            for _ in range(rng.choice([1, 1, 2, 3])):
                vlist.append({
                        'opportunity': opportunity,
                        'company': self.company.id,
                        'currency': self.company.currency.id,
                        'employee': employee,
                        'type': rng.choice(types),
                        'date': start + dt.timedelta(
                            days=rng.randint(0, days)),
                        'amount': Decimal(_round(rng.uniform(20, 900), 5)),
                        })
                fates.append(rng.choices(
                        ['confirmed', 'draft', 'cancelled'], [8, 1, 1])[0])
        expenses = Expense.create(vlist)
        Expense.confirm([e for e, f in zip(expenses, fates) if f != 'draft'])
        Expense.cancel(
            [e for e, f in zip(expenses, fates) if f == 'cancelled'])

    def create_quotations(self):
        """Alternative quotations for some of the converted opportunities,
        made between the first quotation and yesterday"""
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Sale = pool.get('sale.sale')
        rng = self.rng
        dates = {o[0]: o[3] + (o[4] - o[3]) / 2 for o in self.opportunities}
        chosen = [o for o in Opportunity.browse(
                [o[0] for o in self.opportunities
                    if rng.random() < 0.3])
            if o.state == 'converted']
        if not chosen:
            return
        sales = Opportunity.create_quotations(chosen)
        # The host dates them today.
        to_write = []
        for sale, opportunity in zip(sales, chosen):
            first = min(dates[opportunity.id], self.last_day)
            to_write.extend(([sale], {
                        'quotation_date': first + dt.timedelta(
                            days=rng.randint(
                                0, (self.last_day - first).days)),
                        }))
        Sale.write(*to_write)

    # Receivables

    def create_receivables(self):
        """Credit limits for the customers of the converted and won
        opportunities, so that the account overview has a limit to compare
        the credit used with"""
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')
        rng = self.rng
        customers = sorted({o.party.id for o in Opportunity.search([
                        ('state', 'in', ['converted', 'won']),
                        ('party', '!=', None),
                        ])})
        by_limit = {}
        for party_id in customers:
            limit = Decimal(rng.choice([5000, 20000, 50000, 100000]))
            by_limit.setdefault(limit, []).append(party_id)
        to_write = []
        for limit, party_ids in sorted(by_limit.items()):
            to_write.extend([Party.browse(party_ids),
                    {'credit_limit_amount': limit}])
        if to_write:
            Party.write(*to_write)

    # Competition, buying influences and the life cycle

    def require_lost_reason(self):
        """The demo company loses deals only with a reason, as the lost
        report needs one; the generator's own lost deals have theirs"""
        Configuration = Pool().get('crm.configuration')
        Configuration.write(
            [Configuration(1)], {'lost_reason_required': True})

    def create_competition(self):
        """Competitors on the opportunities, the buying influences of the
        partners' contact persons, the reasons and winners of the lost
        opportunities, and a few deals on hold"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Competitor = pool.get('crm.competitor')
        Opportunity = pool.get('sale.opportunity')
        Line = pool.get('sale.opportunity.competitor')
        Influencer = pool.get('sale.opportunity.influencer')
        rng = self.rng
        currency = self.company.currency.id
        competitors = Competitor.create([{
                    'name': name,
                    'website': 'https://%s.example' % _slug(name),
                    'strengths': strengths,
                    'weaknesses': weaknesses,
                    'products': [('create', [{
                                    'name': '%s %s' % (name, product),
                                    'price': Decimal(price),
                                    'currency': currency,
                                    } for product, price in products])],
                    } for name, strengths, weaknesses, products in [
                    ("Acme Systems", "Low prices.", "Slow support.",
                        [("Lite", 900), ("Pro", 4500)]),
                    ("Globex", "Large references.", "Rigid contracts.",
                        [("Suite", 12000)]),
                    ("Initech", "Local presence.", "Few products.",
                        [("Basic", 1500)]),
                    ("Umbrella Trading", "Fast delivery.", "Quality.",
                        [("Standard", 2500), ("Plus", 3900)]),
                    ]])
        roles = [ModelData.get_id('crm_plus', 'decision_role_%s' % code)
            for code in ['economic', 'user', 'technical', 'coach']]
        reasons = {code: ModelData.get_id('crm_plus', 'lost_reason_%s' % code)
            for code in ['price', 'product_fit', 'competitor', 'no_budget',
                'no_decision', 'timing']}
        contacts = getattr(self, 'partner_contacts', {})
        opportunities = Opportunity.browse([o[0] for o in self.opportunities])
        levels = ['low', 'medium', 'high']
        lines, influencers, frozen, lost = [], [], [], []
        for opportunity, (_, party_index, *_) in zip(
                opportunities, self.opportunities):
            amount = opportunity.amount or Decimal(0)
            taking_part = rng.sample(competitors, rng.choice([0, 1, 1, 2, 3]))
            for competitor in taking_part:
                lines.append({
                        'opportunity': opportunity.id,
                        'competitor': competitor.id,
                        'threat': rng.choice(levels),
                        'price': (
                            Decimal(_round(
                                    amount * Decimal(rng.uniform(0.8, 1.15)),
                                    10)) if amount else None),
                        })
            if party_index is not None:
                party = self.partners[party_index][0]
                for person in contacts.get(party, [])[:3]:
                    influencers.append({
                            'opportunity': opportunity.id,
                            'contact': person,
                            'role': rng.choice(roles),
                            'influence': rng.choice(levels),
                            'attitude': rng.choice(
                                ['supporter', 'neutral', 'opponent']),
                            })
            if opportunity.state == 'lost':
                winner = (rng.choice(taking_part)
                    if taking_part and rng.random() < 0.7 else None)
                if winner:
                    reason = rng.choice(['price', 'competitor', 'product_fit'])
                else:
                    reason = rng.choice(['no_budget', 'no_decision', 'timing'])
                lost.append((opportunity, reasons[reason], winner))
            elif (opportunity.state in {'lead', 'opportunity'}
                    and rng.random() < 0.04):
                frozen.append(opportunity)
        for index in range(0, len(lines), BATCH):
            Line.create(lines[index:index + BATCH])
        # Bosses come before the people who report to them, so that each
        # list finds the parents of its influencers.
        for index in range(0, len(influencers), BATCH):
            Influencer.create(influencers[index:index + BATCH])
        to_write = []
        for opportunity, reason, winner in lost:
            price = None
            if winner:
                price = next(l['price'] for l in lines
                    if l['opportunity'] == opportunity.id
                    and l['competitor'] == winner.id)
            to_write.extend(([opportunity], {
                        'lost_reason_type': reason,
                        'winning_competitor': winner.id if winner else None,
                        'winning_price': price,
                        }))
        for opportunity in frozen:
            to_write.extend(([opportunity], {
                        'state': 'frozen',
                        'frozen_from': opportunity.state,
                        'freeze_reason': rng.choice(words.FREEZE_REASONS),
                        'frozen_date': min(
                            opportunity.start_date, self.today),
                        }))
        if to_write:
            Opportunity.write(*to_write)
        winners = Line.search([
                ('opportunity.state', '=', 'lost'),
                ('opportunity.winning_competitor', '!=', None),
                ])
        Line.write(
            [l for l in winners
                if l.competitor == l.opportunity.winning_competitor],
            {'winner': True})

    # Activities

    def compose_activity(self, type_code, day, opportunity=None, party=None,
            contact=None, employee=None, topic=None):
        "Return the values of an activity of the type on the day"
        rng = self.rng
        subject = rng.choice(words.ACTIVITY_SUBJECTS[type_code])
        topic = (topic or "the project").lower()
        start = dt.datetime.combine(day, dt.time(
                rng.randint(7, 16), rng.choice([0, 15, 30, 45])))
        values = {
            'company': self.company.id,
            'type': self.activity_types[type_code],
            'subject': subject.format(topic=topic),
            'start': start,
            'opportunity': opportunity,
            'party': party,
            'contact': contact,
            'employee': employee,
            }
        if type_code == 'call':
            values['end'] = start + dt.timedelta(
                minutes=rng.choice([5, 10, 15, 20, 30]))
        elif type_code == 'meeting':
            values['end'] = start + dt.timedelta(
                minutes=rng.choice([30, 60, 60, 90, 120]))
        return values

    def finish_activity(self, values):
        "Set the state of an activity from its date, as its user would"
        rng = self.rng
        now = self.now
        task = values['type'] == self.activity_types['task']
        when = values.get('end') or values['start']
        if task:
            past = values['due_date'] < now.date()
        else:
            past = when < now
        if not past:
            values['state'] = 'planned'
            # Reminders come before the activity, never already due.
            if rng.random() < 0.4:
                reminder = values['start'] - rng.choice([
                        dt.timedelta(minutes=30), dt.timedelta(hours=2),
                        dt.timedelta(days=1)])
                if reminder > now:
                    values['reminder'] = reminder
            return values
        draw = rng.random()
        if draw < 0.06 and values['opportunity'] in self.open_opportunities:
            # Forgotten: still planned after its date. The overdue flag
            # is set as the cron would; its alarm is left to the cron,
            # which sends it on its first run.
            values['state'] = 'planned'
            values['overdue'] = True
        elif draw < 0.1:
            values['state'] = 'cancelled'
        else:
            # As the Complete button: when it was done and by whom
            values['state'] = 'done'
            completed = when + dt.timedelta(minutes=rng.randint(0, 90))
            if task:
                completed = min(completed, dt.datetime.combine(
                        values['due_date'], dt.time(17)))
            values['completed_at'] = min(completed, now)
            values['completed_by'] = self.user_of_employee.get(
                values['employee'], self.admin_user)
        return values

    def create_stages(self):
        """The shipped sales method for every opportunity, with a stage
        history spread from its start to its end, or to now when open"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Configuration = pool.get('crm.configuration')
        SalesMethod = pool.get('crm.sales_method')
        History = pool.get('crm.stage.history')
        Opportunity = pool.get('sale.opportunity')
        rng = self.rng
        method = SalesMethod(
            ModelData.get_id('crm_plus', 'sales_method_default'))
        stages = list(method.stages)
        # Funnels narrow: most open opportunities are in the first stages.
        weights = list(range(len(stages), 0, -1))
        now = dt.datetime.now().replace(second=0, microsecond=0)
        by_stage, rows = defaultdict(list), []
        for opportunity, _, _, start, end, state, _ in self.opportunities:
            start = dt.datetime.combine(start, dt.time(9))
            ended = state in {'won', 'lost', 'cancelled'}
            last = dt.datetime.combine(end, dt.time(17)) if ended else now
            # The history has no future: opportunities planned to start
            # later entered their stage when they were created.
            start = min(start, last)
            if state == 'won':
                reached = len(stages) - 1
            elif last <= start:
                reached = 0
            else:
                reached = rng.choices(range(len(stages)), weights)[0]
            span = max((last - start).total_seconds(), 0)
            cuts = sorted(rng.uniform(0, span) for _ in range(reached))
            times = [start + dt.timedelta(seconds=c) for c in cuts]
            for index, begin in enumerate([start] + times):
                rows.append({
                        'opportunity': opportunity,
                        'stage': stages[index].id,
                        'start': begin,
                        'end': (times[index] if index < reached
                            else last if ended else None),
                        })
            by_stage[stages[reached]].append(opportunity)
        for i in range(0, len(rows), BATCH):
            History.create(rows[i:i + BATCH])
        opportunity = Opportunity.__table__()
        history = History.__table__()
        cursor = Transaction().connection.cursor()
        for stage, ids in by_stage.items():
            for i in range(0, len(ids), BATCH):
                cursor.execute(*opportunity.update(
                        [opportunity.sales_method, opportunity.stage],
                        [method.id, stage.id],
                        where=opportunity.id.in_(ids[i:i + BATCH])))
        # The start of the last row is the start of the current stage.
        cursor.execute(*opportunity.update(
                [opportunity.stage_since],
                [history.select(
                        Max(history.start),
                        where=history.opportunity == opportunity.id)],
                where=opportunity.stage != Null))
        Configuration.write(
            [Configuration(1)], {'default_sales_method': method.id})

    def create_activities(self):
        "Activities of the opportunities and of the partners"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Activity = pool.get('crm.activity')
        rng = self.rng
        self.now = dt.datetime.now().replace(second=0, microsecond=0)
        today = self.now.date()
        self.activity_types = {
            code: ModelData.get_id('crm_plus', 'activity_type_%s' % code)
            for code in words.ACTIVITY_SUBJECTS}
        types = [c for c, _ in words.ACTIVITY_TYPES]
        type_weights = list(accumulate(w for _, w in words.ACTIVITY_TYPES))
        contacts = getattr(self, 'partner_contacts', {})
        all_sellers = [e.id for t in self.sellers.values() for e in t]
        # Partners are kept in touch with through the year, until the next
        # weeks.
        touch_days = (self.today - self.first_day).days + 30
        self.open_opportunities = {
            o[0] for o in self.opportunities
            if o[5] in {'lead', 'opportunity'}}

        def compose():
            for (opportunity, party_index, employee, start, end, state,
                    topic) in self.opportunities:
                if party_index is not None:
                    party, *_, manager = self.partners[party_index]
                    people = contacts.get(party, [])
                else:
                    party, manager, people = None, None, []
                if employee is None:
                    employee = (
                        manager.id if manager else rng.choice(all_sellers))
                # Closed opportunities only have their history.
                if state in {'lead', 'opportunity'}:
                    last = end
                else:
                    last = min(end, today)
                days = (last - start).days
                if days < 0:
                    continue
                for _ in range(rng.choice([1, 1, 2, 2, 2, 3])):
                    day = start + dt.timedelta(days=rng.randint(0, days))
                    yield self.compose_activity(
                        rng.choices(types, cum_weights=type_weights)[0],
                        day, opportunity=opportunity, party=party,
                        contact=rng.choice(people) if people else None,
                        employee=employee, topic=topic)
                # The next step of an open opportunity, due in the weeks
                # around today: some are already late.
                if state in {'lead', 'opportunity'} and rng.random() < 0.6:
                    due = today + dt.timedelta(days=rng.randint(-10, 30))
                    values = self.compose_activity(
                        'task', min(due, today), opportunity=opportunity,
                        party=party, employee=employee, topic=topic)
                    values['start'] -= dt.timedelta(
                        days=rng.randint(1, 14))
                    values['due_date'] = due
                    yield values
            # Keeping in touch with partners outside any opportunity
            for party, *_, manager in self.partners:
                if rng.random() >= 0.4:
                    continue
                people = contacts.get(party, [])
                day = self.first_day + dt.timedelta(
                    days=rng.randint(0, touch_days))
                yield self.compose_activity(
                    rng.choice(['call', 'email', 'meeting', 'note']), day,
                    party=party,
                    contact=rng.choice(people) if people else None,
                    employee=manager.id if manager else rng.choice(
                        all_sellers))

        vlist = []
        for values in compose():
            vlist.append(self.finish_activity(values))
            if len(vlist) == BATCH:
                Activity.create(vlist)
                vlist = []
        if vlist:
            Activity.create(vlist)

    def create_scorecards(self):
        """Evaluations of most open opportunities on the shipped scorecard,
        a second one for some, so that scores and drops show"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Scorecard = pool.get('crm.scorecard')
        Evaluation = pool.get('crm.scorecard.evaluation')
        Answer = pool.get('crm.scorecard.evaluation.answer')
        rng = self.rng
        scorecard = Scorecard(
            ModelData.get_id('crm_plus', 'scorecard_default'))
        criteria = [(c, list(c.levels)) for c in scorecard.criteria]
        evaluations = []
        for (opportunity, _, employee, start, _, state,
                _) in self.opportunities:
            if state not in {'lead', 'opportunity'} or rng.random() >= 0.7:
                continue
            days = max((self.now.date() - start).days, 0)
            for _ in range(rng.choice([1, 1, 1, 2])):
                date = dt.datetime.combine(
                    start + dt.timedelta(days=rng.randint(0, days)),
                    dt.time(rng.randint(8, 17)))
                evaluations.append(Evaluation(
                        opportunity=opportunity, scorecard=scorecard,
                        date=date, employee=employee,
                        answers=[Answer(criterion=c, level=rng.choice(ls))
                            for c, ls in criteria]))
        for index in range(0, len(evaluations), BATCH):
            batch = evaluations[index:index + BATCH]
            Evaluation.save(batch)
            Evaluation.complete(batch)

    def create_approvals(self):
        """A rule asking the manager to approve converting the largest open
        deals, requested for some of them and approved for half of those"""
        pool = Pool()
        Rule = pool.get('crm.approval.rule')
        Request = pool.get('crm.approval.request')
        Opportunity = pool.get('sale.opportunity')
        User = pool.get('res.user')
        rng = self.rng
        manager, = User.search([('login', '=', 'manager')])
        open_ = Opportunity.browse([
                o for o, _, _, _, _, state, _ in self.opportunities
                if state == 'opportunity'])
        if not open_:
            return
        amounts = sorted(Decimal(o.amount or 0) for o in open_)
        threshold = amounts[len(amounts) * 4 // 5].quantize(Decimal(1))
        Rule.create([{
                    'name': "Large deal",
                    'company': self.company.id,
                    'document': 'sale.opportunity',
                    'transition': 'convert',
                    'condition': 'amount_ge',
                    'value': threshold,
                    'approver_kind': 'user',
                    'user': manager.id,
                    }])
        large = [o for o in open_ if (o.amount or 0) >= threshold]
        asked = [o for o in large if rng.random() < 0.6]
        requests = []
        for index in range(0, len(asked), BATCH):
            requests += Request.request_for(
                asked[index:index + BATCH],
                submitter=User(self.admin_user))
        # The manager approves half of those they may decide on: not those
        # of the deals they sell themselves.
        to_approve = [r for r in requests if rng.random() < 0.5]
        with Transaction().set_user(manager.id):
            Request.approve(
                [r for r in to_approve if manager in r.approvers()])

    def create_pricing(self):
        """The default price list of the company: a distributors' price, a
        volume price on goods and a salesperson's price on one product;
        maximum discounts on the administrative teams and their leaders"""
        pool = Pool()
        PartyCategory = pool.get('party.category')
        PriceList = pool.get('product.price_list')
        ProductCategory = pool.get('product.category')
        Template = pool.get('product.template')
        Party = pool.get('party.party')
        Team = pool.get('crm.team')
        Employee = pool.get('company.employee')
        Configuration = pool.get('sale.configuration')
        rng = self.rng
        distributors, = PartyCategory.create([{'name': "Distributors"}])
        partners = [p[0] for p in self.partners]
        chosen = [p for p in partners if rng.random() < 0.1]
        if chosen:
            Party.write(Party.browse(chosen), {
                    'categories': [('add', [distributors.id])],
                    })
        goods, = ProductCategory.create([{'name': "Goods"}])
        Template.write([p.template for p in self.products
                if p.template.type == 'goods'], {
                'categories': [('add', [goods.id])],
                })
        seller = rng.choice(self.employees)
        policy, = PriceList.create([{
                    'name': "Pricing Policy",
                    'company': self.company.id,
                    'price': 'list_price',
                    'lines': [('create', [{
                                    'sequence': 10,
                                    'party_category': distributors.id,
                                    'formula': 'unit_price * 0.85',
                                    }, {
                                    'sequence': 20,
                                    'employee': seller.id,
                                    'product': self.products[0].id,
                                    'formula': 'unit_price * 0.92',
                                    }, {
                                    'sequence': 30,
                                    'category': goods.id,
                                    'quantity': 5,
                                    'formula': 'unit_price * 0.95',
                                    }, {
                                    'sequence': 40,
                                    'formula': 'unit_price',
                                    }])],
                    }])
        Configuration.write([Configuration(1)], {
                'sale_price_list': policy.id,
                })
        teams = [t for t in self.teams.values()
            if t.kind == 'administrative']
        Team.write(teams, {'max_discount': Decimal('0.15')})
        Employee.write(list({t.leader for t in teams if t.leader}), {
                'crm_max_discount': Decimal('0.25'),
                })

    def create_credit(self):
        """The overdue tolerance, a rule on raising credit limits beyond
        50000, and raises requested for some customers with a limit"""
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        Party = pool.get('party.party')
        PartyLimit = pool.get('party.party.credit_limit_amount')
        Request = pool.get('crm.approval.request')
        Rule = pool.get('crm.approval.rule')
        User = pool.get('res.user')
        rng = self.rng
        manager, = User.search([('login', '=', 'manager')])
        configuration = Configuration(1)
        configuration.overdue_tolerance_amount = Decimal(1000)
        configuration.overdue_tolerance_days = 15
        configuration.save()
        Rule.create([{
                    'name': "Credit limit over 50000",
                    'company': self.company.id,
                    'document': 'party.party',
                    'transition': 'credit_limit',
                    'condition': 'amount_ge',
                    'value': Decimal(50000),
                    'approver_kind': 'user',
                    'user': manager.id,
                    }])
        limits = PartyLimit.search([
                ('company', '=', self.company.id),
                ('credit_limit_amount', '!=', None),
                ], order=[('party', 'ASC')])
        asked = [l for l in limits if rng.random() < 0.2]
        parties = Party.browse([l.party.id for l in asked])
        for party, limit in zip(parties, asked):
            party.requested_credit_limit = limit.credit_limit_amount * 2
        Party.save(parties)
        Request.request_for(parties, submitter=User(self.admin_user))

    def create_forecasts(self):
        """The sales periods of the fiscal years; the last three months
        closed, the current month and quarter open; a forecast per
        salesperson and per administrative team in each, with quotas near
        what each salesperson wins in a month, commits near what was won
        in the closed months and, in the current month, the salespeople's
        likeliest deals committed"""
        pool = Pool()
        FiscalYear = pool.get('account.fiscalyear')
        Forecast = pool.get('crm.forecast')
        Line = pool.get('crm.forecast.line')
        Opportunity = pool.get('sale.opportunity')
        Period = pool.get('crm.sales_period')
        # A stream of its own: the draws of the other steps stay the same.
        rng = random.Random(self.seed + 1)
        company = self.company.id

        for fiscalyear in FiscalYear.search([('company', '=', company)]):
            Period.create_periods(fiscalyear)
        month_start = self.today.replace(day=1)
        first = month_start
        for _ in range(3):
            first = (first - dt.timedelta(days=1)).replace(day=1)
        periods = Period.search([
                ('company', '=', company),
                ('end_date', '>=', first),
                ('start_date', '<=', self.today),
                ])
        Period.open(periods)

        won = defaultdict(Decimal)
        for record in Opportunity.search_read([
                    ('company', '=', company),
                    ('state', '=', 'won'),
                    ], fields_names=['employee', 'amount']):
            if record['employee']:
                won[record['employee']] += record['amount'] or Decimal(0)
        months = max(HISTORY_DAYS / 30, 1)
        sellers = sorted({e.id for t in self.sellers.values() for e in t})
        monthly = {e: _round(
                float(won[e]) / months * rng.uniform(0.8, 1.3), 1000)
            for e in sellers}
        team_ids = [self.teams[c].id for c, _, _ in words.ADMINISTRATIVE_TEAMS]
        team_employees = Forecast._team_employees(team_ids)

        vlist = []
        for period in periods:
            factor = 3 if period.type == 'quarter' else 1
            vlist += [{
                    'period': period.id, 'employee': e,
                    'quota': Decimal(monthly[e] * factor),
                    } for e in sellers]
            vlist += [{
                    'period': period.id, 'team': t,
                    'quota': Decimal(factor * sum(
                            monthly.get(e, 0) for e in team_employees[t])),
                    } for t in team_ids]
        forecasts = Forecast.create(vlist)

        # The closed months: what each salesperson had committed, near what
        # they won, and a third of the commits adjusted by their manager.
        closed = [p for p in periods if p.end_date < self.today]
        past = [f for f in forecasts if f.period in closed and f.employee]
        figures = Forecast.compute_figures(past)
        to_write = []
        for forecast in past:
            submitted = _round(float(figures[forecast.id]['won'])
                * rng.uniform(0.8, 1.25), 100)
            values = {'commit_submitted': Decimal(submitted)}
            if rng.random() < 1 / 3:
                values['commit_adjusted'] = Decimal(
                    _round(submitted * rng.uniform(0.85, 1.1), 100))
            to_write.extend(([forecast], values))
        if to_write:
            Forecast.write(*to_write)
        Period.close(closed)

        # The current month: each salesperson commits their open deals
        # expected in it that are at least even odds.
        current = [f for f in forecasts if f.employee
            and f.period.type == 'month'
            and f.period.start_date <= self.today <= f.period.end_date]
        lines = []
        for forecast in current:
            for opportunity in Opportunity.search([
                        ('company', '=', company),
                        ('employee', '=', forecast.employee.id),
                        ('state', 'in', ['opportunity', 'converted']),
                        ('end_date', '>=', forecast.period.start_date),
                        ('end_date', '<=', forecast.period.end_date),
                        ('conversion_probability', '>=', 0.5),
                        ]):
                lines.append({
                        'forecast': forecast.id,
                        'opportunity': opportunity.id,
                        })
        Line.create(lines)

    def dismiss_setup_wizards(self):
        """The demo has set up what the host's set-up wizards ask for
        (languages, modules, users, company, chart of accounts): the
        administrator's first login opens the menu, not them"""
        Item = Pool().get('ir.module.config_wizard.item')
        Item.write(Item.search([('state', '=', 'open')]), {'state': 'done'})

    # Summary

    def summary(self):
        pool = Pool()
        Party = pool.get('party.party')
        Opportunity = pool.get('sale.opportunity')
        Sale = pool.get('sale.sale')
        Invoice = pool.get('account.invoice')
        MoveLine = pool.get('account.move.line')
        Shipment = pool.get('stock.shipment.out')
        LeadSource = pool.get('crm.lead_source')
        Activity = pool.get('crm.activity')
        counts = {}

        def count(label, Model, domain=None):
            counts[label] = Model.search_count(domain or [])
        # Only partners have a territory, not the company nor employees.
        count("organisations", Party, [
                ('party_kind', '=', 'organisation'),
                ('territory', '!=', None),
                ])
        count("persons", Party, [
                ('party_kind', '=', 'person'),
                ('territory', '!=', None),
                ])
        count("contact persons", Party, [
                ('party_kind', '=', 'person'),
                ('organisation', '!=', None),
                ])
        count("contact persons reporting", Party, [
                ('reports_to', '!=', None),
                ])
        counts["employees"] = len(self.employees)
        counts["territories"] = len(self.territories)
        counts["teams"] = len(self.teams)
        counts["products"] = len(self.products)
        for state, _ in STATES:
            count("opportunities %s" % state, Opportunity,
                [('state', '=', state)])
        for state in ['draft', 'quotation', 'confirmed', 'processing', 'done',
                'cancelled']:
            count("sales %s" % state, Sale, [('state', '=', state)])
        for state in ['draft', 'posted', 'paid']:
            count("invoices %s" % state, Invoice, [
                    ('type', '=', 'out'),
                    ('state', '=', state),
                    ])
        count("invoices partly paid", Invoice, [
                ('type', '=', 'out'),
                ('state', '=', 'posted'),
                ('payment_lines', '!=', None),
                ])
        count("invoices overdue", Invoice, [
                ('type', '=', 'out'),
                ('state', '=', 'posted'),
                ('move.lines', 'where', [
                        ('account.type.receivable', '=', True),
                        ('reconciliation', '=', None),
                        ('maturity_date', '<', self.today),
                        ]),
                ])
        # The receivable side of the payments
        count("payments", MoveLine, [
                ('move.journal.type', '=', 'cash'),
                ('account.type.receivable', '=', True),
                ])
        for state in ['waiting', 'done']:
            count("shipments %s" % state, Shipment, [('state', '=', state)])
        count("lead sources", LeadSource)
        count("opportunities with a lead source", Opportunity,
            [('lead_source', '!=', None)])
        count("leads with prospect data", Opportunity,
            [('prospect_company', '!=', None)])
        for state in ['planned', 'done', 'cancelled']:
            count("activities %s" % state, Activity, [('state', '=', state)])
        count("activities overdue", Activity, [('overdue', '=', True)])
        count("activities with reminder", Activity,
            [('reminder', '!=', None)])
        count("tasks", Activity, [('type.task', '=', True)])
        return counts
