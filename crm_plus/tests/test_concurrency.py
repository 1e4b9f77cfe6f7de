# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Two users at once on PostgreSQL: the outcome is what a single ordering
of their calls gives"""
import datetime
import threading
import unittest
from decimal import Decimal

from trytond import backend
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.crm_plus.tests.tools import CommittedTestCase, rpc_call
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction

# SQLite has one writer at a time.
only_postgresql = unittest.skipUnless(
    backend.name == 'postgresql', "two sessions at once on PostgreSQL")


def at_once(*calls):
    """Run the calls in threads released together; return their results
    or the exceptions they raised, in order"""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exception:
            results[index] = exception
    threads = [threading.Thread(target=run, args=(i, c))
        for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def create_staff(company, login, groups):
    "Create a user of the groups and their employee; return their ids"
    pool = Pool()
    Employee = pool.get('company.employee')
    Party = pool.get('party.party')
    User = pool.get('res.user')
    party, = Party.create([{'name': login.title()}])
    employee, = Employee.create([{'party': party.id, 'company': company.id}])
    user, = User.create([{
                'name': login.title(), 'login': login,
                'groups': [('add', groups)],
                'companies': [('add', [company.id])],
                'company': company.id,
                'employees': [('add', [employee.id])],
                'employee': employee.id,
                }])
    return user.id, employee.id


@only_postgresql
class ApprovalConcurrencyTestCase(CommittedTestCase):
    "Approvals decided and requested by two sessions at once"

    @classmethod
    def _setup_data(cls):
        pool = Pool()
        Group = pool.get('res.group')
        ModelData = pool.get('ir.model.data')
        Party = pool.get('party.party')
        Rule = pool.get('crm.approval.rule')
        company = create_company()
        cls.company_id = company.id
        crm_user = ModelData.get_id('crm_plus', 'group_crm_user')
        sales = ModelData.get_id('sale', 'group_sale')
        approvers, = Group.create([{'name': "Two Approvers"}])
        users = {}
        with set_company(company):
            for login in ['rep', 'first', 'second']:
                groups = [crm_user, sales]
                if login != 'rep':
                    groups.append(approvers.id)
                users[login], _ = create_staff(company, login, groups)
            Rule.create([{
                        'name': "Four eyes",
                        'company': company.id,
                        'document': 'sale.sale',
                        'transition': 'quote',
                        'condition': 'amount_ge',
                        'value': Decimal(1000),
                        'approver_kind': 'group',
                        'group': approvers.id,
                        'approvals_needed': 2,
                        }])
            cls.customer_id, = [p.id for p in Party.create([{
                            'name': "Envases SA",
                            'addresses': [('create', [{}])],
                            }])]
        cls.users = users

    def _context(self):
        return {'company': self.company_id}

    def _new_sale(self):
        with Transaction().start(DB_NAME, self.users['rep'],
                context=self._context()) as transaction:
            pool = Pool()
            Party = pool.get('party.party')
            Sale = pool.get('sale.sale')
            customer = Party(self.customer_id)
            sale, = Sale.create([{
                        'party': customer.id,
                        'invoice_address': customer.addresses[0].id,
                        'lines': [('create', [{
                                        'description': "Cloud ERP",
                                        'quantity': 1,
                                        'unit_price': Decimal('1500.00'),
                                        }])],
                        }])
            transaction.commit()
            return sale.id

    def _requests(self, sale_id):
        with Transaction().start(DB_NAME, 0):
            Request = Pool().get('crm.approval.request')
            return [(r.state, len(r.decisions)) for r in Request.search([
                        ('document', '=', 'sale.sale,%s' % sale_id),
                        ])]

    def _request_approval(self, sale_id):
        return rpc_call(
            DB_NAME, self.users['rep'], 'sale.sale', 'request_approval',
            [sale_id], context=self._context())

    def _approve(self, login, request_id):
        "Approve through the wizard, as the web client does"
        name = 'crm.approval.request.decide'
        context = dict(self._context(),
            active_model='crm.approval.request', active_id=request_id,
            active_ids=[request_id])
        session_id, _, _ = rpc_call(
            DB_NAME, self.users[login], name, 'create',
            context=context, type='wizard')
        return lambda: rpc_call(
            DB_NAME, self.users[login], name, 'execute', session_id,
            {'start': {'comment': None}}, 'approve',
            context=context, type='wizard')

    def test_two_approvers_at_once(self):
        "Both approvals of a two-approval request count"
        for _ in range(3):
            sale_id = self._new_sale()
            self._request_approval(sale_id)
            with Transaction().start(DB_NAME, 0):
                Request = Pool().get('crm.approval.request')
                request, = Request.search([
                        ('document', '=', 'sale.sale,%s' % sale_id)])
                request_id = request.id
            results = at_once(
                self._approve('first', request_id),
                self._approve('second', request_id))
            self.assertFalse(
                [r for r in results if isinstance(r, Exception)], results)
            self.assertEqual(self._requests(sale_id), [('approved', 2)])

    def test_request_approval_twice_at_once(self):
        "Two clicks on Request Approval make one request"
        for _ in range(3):
            sale_id = self._new_sale()
            results = at_once(
                lambda: self._request_approval(sale_id),
                lambda: self._request_approval(sale_id))
            # The second waits for the first, finds its request and says
            # so.
            errors = [r for r in results if isinstance(r, Exception)]
            self.assertEqual(len(errors), 1, results)
            self.assertIn("already requested", errors[0].message)
            self.assertEqual(self._requests(sale_id), [('pending', 0)])


@only_postgresql
class ForecastConcurrencyTestCase(CommittedTestCase):
    "A sales period closed by a manager while another creates a forecast"

    @classmethod
    def _setup_data(cls):
        ModelData = Pool().get('ir.model.data')
        company = create_company()
        cls.company_id = company.id
        cls.users, cls.employees = {}, {}
        with set_company(company):
            for login, group in [
                    ('rep', 'group_crm_user'),
                    ('boss', 'group_crm_manager'),
                    ('planner', 'group_crm_manager')]:
                cls.users[login], cls.employees[login] = create_staff(
                    company, login, [ModelData.get_id('crm_plus', group)])

    def _context(self):
        return {'company': self.company_id, 'companies': [self.company_id]}

    def _open_period(self, number):
        "A month of its own for each attempt, opened"
        start = datetime.date(2030, number, 1)
        end = (start + datetime.timedelta(days=31)).replace(day=1) \
            - datetime.timedelta(days=1)
        with Transaction().start(DB_NAME, 0, context=self._context(),
                _lock_tables=['crm_sales_period']) as transaction:
            Period = Pool().get('crm.sales_period')
            period, = Period.create([{
                        'name': start.strftime('%Y-%m'),
                        'company': self.company_id,
                        'start_date': start, 'end_date': end,
                        }])
            Period.open([period])
            transaction.commit()
            return period.id

    def _forecasts(self, period_id):
        with Transaction().start(DB_NAME, 0):
            Forecast = Pool().get('crm.forecast')
            return [(f.employee.id, f.frozen_pipeline is not None)
                for f in Forecast.search([('period', '=', period_id)])]

    def test_close_while_a_forecast_is_created(self):
        "The forecast is created before the close and frozen, or refused"
        for number in range(1, 7):
            period_id = self._open_period(number)
            close, create = at_once(
                lambda: rpc_call(
                    DB_NAME, self.users['boss'], 'crm.sales_period',
                    'close', [period_id], context=self._context()),
                lambda: rpc_call(
                    DB_NAME, self.users['planner'], 'crm.forecast', 'create',
                    [{'period': period_id, 'employee': self.employees['rep']}],
                    context=self._context()))
            self.assertNotIsInstance(close, Exception, close)
            forecasts = self._forecasts(period_id)
            if isinstance(create, Exception):
                # Refused as the period is closed, or for the lock it held.
                self.assertIsInstance(create,
                    (AccessError, backend.DatabaseOperationalError))
                self.assertEqual(forecasts, [])
            else:
                # Created first: the close found it and froze it.
                self.assertEqual(
                    forecasts, [(self.employees['rep'], True)])


@only_postgresql
class HistoryImportConcurrencyTestCase(CommittedTestCase):
    "One sales history file imported by two sessions at once"

    @classmethod
    def _setup_data(cls):
        ModelData = Pool().get('ir.model.data')
        company = create_company()
        cls.company_id = company.id
        with set_company(company):
            cls.user_id, _ = create_staff(company, 'elena',
                [ModelData.get_id('crm_plus', 'group_crm_admin')])

    def _import(self, data):
        "Import the file through the wizard, as the web client does"
        name = 'crm.history.import'
        context = {'company': self.company_id}
        session_id, _, _ = rpc_call(
            DB_NAME, self.user_id, name, 'create', context=context,
            type='wizard')
        return lambda: rpc_call(
            DB_NAME, self.user_id, name, 'execute', session_id,
            {'start': {'file': data, 'filename': 'history.csv'}},
            'import_', context=context, type='wizard')

    def _references(self, prefix):
        with Transaction().start(DB_NAME, 0):
            Opportunity = Pool().get('sale.opportunity')
            return sorted(o.reference for o in Opportunity.search([
                        ('reference', 'like', prefix + '%')]))

    def test_same_file_twice_at_once(self):
        "The deals are created once; the other import is refused"
        for attempt in range(3):
            prefix = 'H%s-' % attempt
            data = '\n'.join(
                ["reference,description,party,state,start date"]
                + ["%s%03d,Deal %s,Customer %s,lead,2024-01-10"
                    % (prefix, n, n, n % 7) for n in range(200)]
                ).encode('utf-8')
            results = at_once(self._import(data), self._import(data))
            errors = [r for r in results if isinstance(r, Exception)]
            self.assertEqual(len(errors), 1, results)
            # Refused as running, or, having waited, for its references.
            self.assertRegex(errors[0].message,
                r'running|already imported')
            self.assertEqual(self._references(prefix),
                ['%s%03d' % (prefix, n) for n in range(200)])
