# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The demo data: the whole story from lead to cash, in the past of the day
it is made, ready for its users"""
import datetime as dt
from decimal import Decimal

from trytond.modules.crm_plus.demo.generator import (
    ACCOUNTANT, PASSWORD, Generator)
from trytond.modules.crm_plus.tests.tools import rpc_call
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, TestCase, activate_module, drop_db)
from trytond.transaction import Transaction

# Small, but with every fate of an order: delivered or not yet, invoiced or
# not yet, paid in full, in part, late or never.
SCALE = 40


class DemoTestCase(TestCase):
    "The demo data generator"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('crm_plus')
        # The generator commits: the database is dropped afterwards for the
        # next tests.
        cls.addClassCleanup(drop_db)
        cls.messages = []
        cls.generator = Generator(
            scale=SCALE, seed=42, log=cls.messages.append)
        cls.counts = cls.generator.run(DB_NAME)
        with Transaction().start(DB_NAME, 0, readonly=True):
            pool = Pool()
            Company = pool.get('company.company')
            Date = pool.get('ir.date')
            company, = Company.search([])
            cls.company_id = company.id
            with Transaction().set_context(company=company.id):
                cls.today = Date.today()

    def transaction(self, user=0):
        return Transaction().start(
            DB_NAME, user, readonly=True,
            context={'company': self.company_id})

    def test_generated_in_one_pass(self):
        "The transaction is not started again for a lock"
        self.assertFalse(
            [m for m in self.messages if 'Starting again' in m],
            self.messages)

    def test_summary_counts_the_cash(self):
        "The summary counts the invoices and shipments made by the demo"
        counts = self.counts
        self.assertGreater(counts["invoices posted"], 0)
        self.assertGreater(counts["invoices paid"], 0)
        self.assertGreater(counts["invoices partly paid"], 0)
        self.assertGreater(counts["invoices overdue"], 0)
        self.assertGreater(counts["payments"], 0)
        self.assertGreater(counts["shipments done"], 0)
        self.assertGreater(counts["sales done"], 0)

    def test_invoices_posted_and_paid(self):
        "Invoices are posted, some paid in full, some in part, some overdue"
        with self.transaction():
            pool = Pool()
            Invoice = pool.get('account.invoice')
            Shipment = pool.get('stock.shipment.out')
            invoices = Invoice.search([('type', '=', 'out')])
            posted = [i for i in invoices if i.state == 'posted']
            paid = [i for i in invoices if i.state == 'paid']
            partly = [i for i in posted if i.payment_lines]
            overdue = [i for i in posted
                if any(l.maturity_date < self.today and not l.reconciliation
                    for l in i.lines_to_pay)]
            self.assertTrue(posted)
            self.assertTrue(paid)
            self.assertTrue(partly)
            self.assertTrue(overdue)
            for invoice in paid:
                self.assertEqual(invoice.amount_to_pay, 0)
                self.assertTrue(all(l.reconciliation
                        for l in invoice.lines_to_pay))
            for invoice in partly:
                self.assertGreater(invoice.amount_to_pay, 0)
                self.assertLess(
                    invoice.amount_to_pay, invoice.total_amount)
            self.assertEqual(len(posted), self.counts["invoices posted"])
            self.assertEqual(len(paid), self.counts["invoices paid"])
            self.assertEqual(len(partly), self.counts["invoices partly paid"])
            self.assertEqual(len(overdue), self.counts["invoices overdue"])
            self.assertEqual(
                Shipment.search_count([('state', '=', 'done')]),
                self.counts["shipments done"])

    def test_dates_before_today(self):
        "Every date of the deals, deliveries, invoices and payments is past"
        checks = [
            ('sale.opportunity', 'start_date', []),
            ('sale.opportunity', 'end_date', [
                    ('state', 'in', ['converted', 'won', 'lost', 'cancelled']),
                    ]),
            ('sale.sale', 'sale_date', []),
            ('sale.sale', 'quotation_date', []),
            ('stock.shipment.out', 'effective_date', []),
            ('stock.move', 'effective_date', []),
            ('account.invoice', 'invoice_date', []),
            ('account.move', 'date', []),
            ('account.move.reconciliation', 'date', []),
            ('crm.expense', 'date', []),
            ]
        with self.transaction():
            pool = Pool()
            for model, field, domain in checks:
                with self.subTest(model=model, field=field):
                    Model = pool.get(model)
                    self.assertTrue(Model.search_count(
                            domain + [(field, '!=', None)]))
                    self.assertFalse(Model.search(
                            domain + [(field, '>=', self.today)]))

    def test_dates_follow_the_story(self):
        "An order is won, shipped, invoiced and paid in that order"
        with self.transaction():
            pool = Pool()
            Opportunity = pool.get('sale.opportunity')
            Invoice = pool.get('account.invoice')
            for opportunity in Opportunity.search([
                        ('state', '=', 'won'),
                        ]):
                self.assertLessEqual(
                    opportunity.start_date, opportunity.end_date)
                for sale in opportunity.sales:
                    if sale.state == 'cancelled':
                        continue
                    self.assertEqual(sale.sale_date, opportunity.end_date)
                    for shipment in sale.shipments:
                        if shipment.effective_date:
                            self.assertGreater(
                                shipment.effective_date, sale.sale_date)
            for invoice in Invoice.search([
                        ('state', 'in', ['posted', 'paid']),
                        ]):
                sale_dates = {l.origin.sale.sale_date for l in invoice.lines}
                self.assertGreater(invoice.invoice_date, max(sale_dates))
                self.assertEqual(invoice.move.date, invoice.invoice_date)
                for line in invoice.payment_lines:
                    self.assertGreater(line.date, invoice.invoice_date)

    def test_fiscal_years_cover_the_history(self):
        "Fiscal years and periods from a year ago to today"
        with self.transaction():
            pool = Pool()
            Period = pool.get('account.period')
            company = pool.get('company.company')(self.company_id)
            for date in [self.today - dt.timedelta(days=366), self.today]:
                self.assertTrue(Period.find(company, date=date))

    def test_forecasts(self):
        """The last three months closed with their forecasts frozen, the
        current month and quarter open, quotas set and deals committed"""
        with self.transaction():
            pool = Pool()
            Forecast = pool.get('crm.forecast')
            Period = pool.get('crm.sales_period')
            Accuracy = pool.get('crm.forecast.accuracy')
            closed = Period.search([('state', '=', 'closed')])
            self.assertEqual(
                len([p for p in closed if p.type == 'month']), 3)
            current, = Period.search([
                    ('type', '=', 'month'),
                    ('start_date', '<=', self.today),
                    ('end_date', '>=', self.today),
                    ])
            self.assertEqual(current.state, 'open')
            forecasts = Forecast.search([('period', '=', current.id)])
            self.assertTrue([f for f in forecasts if f.team])
            self.assertTrue(all(f.quota is not None for f in forecasts))
            frozen = Forecast.search([('period', 'in', closed)])
            self.assertTrue(frozen)
            self.assertTrue(
                all(f.frozen_won is not None for f in frozen))
            with Transaction().set_context(employee=None):
                self.assertTrue(Accuracy.search([]))

    def test_receivables_report_as_accountant(self):
        "The accountant reads invoiced, paid and overdue amounts"
        with self.transaction():
            User = Pool().get('res.user')
            accountant, = User.search([('login', '=', ACCOUNTANT)])
            user_id = accountant.id
        context = rpc_call(DB_NAME, user_id, 'res.user', 'get_preferences',
            True)
        # The values of the report's context form, as the client sends them
        context.update(employee=None, team=None, from_date=None, to_date=None)
        columns = ['invoiced_amount', 'paid_amount', 'outstanding_amount',
            'overdue_amount', 'shipped_amount', 'won_date',
            'last_payment_date']
        rows = rpc_call(DB_NAME, user_id, 'crm.receivable.report',
            'search_read', [], 0, None, None, columns, context=context)
        self.assertTrue(rows)
        for column in columns[:5]:
            with self.subTest(column=column):
                self.assertGreater(
                    sum((r[column] or Decimal(0)) for r in rows), 0)
        self.assertLess(max(r['won_date'] for r in rows if r['won_date']),
            self.today)
        self.assertLess(
            max(r['last_payment_date'] for r in rows
                if r['last_payment_date']),
            self.today)

    def test_accountant(self):
        "The accountant logs in with the demo password, in the right groups"
        with self.transaction():
            pool = Pool()
            User = pool.get('res.user')
            ModelData = pool.get('ir.model.data')
            accountant, = User.search([('login', '=', ACCOUNTANT)])
            groups = {g.id for g in accountant.groups}
            for module, group in [
                    ('crm_plus', 'group_crm_accountant'),
                    ('account', 'group_account'),
                    ]:
                self.assertIn(ModelData.get_id(module, group), groups)
            self.assertNotIn(
                ModelData.get_id('crm_plus', 'group_crm_user'), groups)
            self.assertEqual(accountant.company.id, self.company_id)
            self.assertTrue(accountant.employee)
        # A login writes (the password's hash, the attempts): undone.
        with Transaction().start(DB_NAME, 0) as transaction:
            User = Pool().get('res.user')
            self.assertEqual(
                User.get_login(ACCOUNTANT, {'password': PASSWORD}),
                accountant.id)
            transaction.rollback()
        self.assertIn(ACCOUNTANT, [l[0] for l in self.generator.logins])

    def test_setup_wizards_done(self):
        "The administrator's first login opens the menu, not the wizards"
        with self.transaction():
            Item = Pool().get('ir.module.config_wizard.item')
            self.assertTrue(Item.search([]))
            self.assertFalse(Item.search([('state', '=', 'open')]))

    def test_queue_empty(self):
        "The host's queued work was done during the generation"
        with self.transaction():
            Queue = Pool().get('ir.queue')
            self.assertFalse(Queue.search([('dequeued_at', '=', None)]))
