# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The quotation analysis and the order status: pages in a bounded number
of queries, currencies"""
import datetime
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.crm_plus.tests.tools import counting_queries
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    TestCase, activate_module, with_transaction)
from trytond.transaction import Transaction

QUOTED = datetime.date(2025, 1, 10)


class AnalysisQuotationTestCase(TestCase):
    "Test the quotation analysis and the order status"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('crm_plus')

    def _quotations(self, company, states, currency=None):
        """Create an opportunity per state, each of its own employee, with
        a quotation in that state quoted on QUOTED: the i-th of 10 units at
        10 x (i + 1) of a product listed at 100"""
        pool = Pool()
        Employee = pool.get('company.employee')
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')
        Sale = pool.get('sale.sale')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        unit, = Uom.search([('name', '=', 'Unit')])
        currency = currency or company.currency
        template, = Template.create([{
                    'name': "Product",
                    'type': 'service',
                    'default_uom': unit.id,
                    'salable': True,
                    'sale_uom': unit.id,
                    'list_price': Decimal(100),
                    'products': [('create', [{}])],
                    }])
        product, = template.products
        names = ["N%02d" % i for i in range(len(states))]
        parties = Party.create([{'name': n} for n in names])
        employees = Employee.create([{
                    'party': p.id, 'company': company.id} for p in parties])
        opportunities = Opportunity.create([{
                    'party': p.id,
                    'employee': e.id,
                    'company': company.id,
                    'currency': currency.id,
                    } for p, e in zip(parties, employees)])
        sales = Sale.create([{
                    'party': o.party.id,
                    'company': company.id,
                    'currency': currency.id,
                    'origin': str(o),
                    'lines': [('create', [{
                                    'type': 'line',
                                    'product': product.id,
                                    'quantity': 10,
                                    'unit': unit.id,
                                    'unit_price': Decimal(10 * (i + 1)),
                                    }])],
                    } for i, o in enumerate(opportunities)])
        # In the states as the host's workflow leaves them, without the
        # invoices and shipments that take them there: the analyses read
        # these columns only.
        table = Sale.__table__()
        cursor = Transaction().connection.cursor()
        for sale, state in zip(sales, states):
            cursor.execute(*table.update(
                    [table.state, table.quotation_date, table.sale_date],
                    [state, QUOTED, QUOTED if state != 'quotation' else None],
                    where=table.id == sale.id))
        return sales

    def _page_queries(self, Report, limit):
        "The number of queries of a search and read of a page of Report"
        names = [n for n in Report._fields if n != 'id']
        # Once before: the caches of the models it reads fill up.
        Report.read([r.id for r in Report.search([], limit=limit)], names)
        with counting_queries() as queries:
            rows = Report.search([], limit=limit)
            values = Report.read([r.id for r in rows], names)
        self.assertEqual(len(values), limit)
        return len(queries)

    @with_transaction()
    def test_pages_bounded(self):
        "A page of each analysis in as many queries for few as for many rows"
        pool = Pool()
        Quotation = pool.get('crm.analysis.quotation')
        OrderStatus = pool.get('crm.analysis.order_status')
        company = create_company()
        with set_company(company):
            self._quotations(
                company, ['quotation'] * 17 + ['confirmed', 'done', 'done'])
            counts = [self._page_queries(Quotation, limit)
                for limit in [3, 20]]
            self.assertEqual(counts[0], counts[1])
            self.assertLessEqual(counts[1], 6)
            # Two rows: confirmed and done, each with its sales
            counts = [self._page_queries(OrderStatus, limit)
                for limit in [1, 2]]
            self.assertEqual(counts[0], counts[1])
            self.assertLessEqual(counts[1], 6)
            self.assertEqual(
                [(r.state, r.number, r.amount)
                    for r in OrderStatus.search([])],
                [('confirmed', 1, Decimal(1800)),
                    ('done', 2, Decimal(1900 + 2000))])

    @with_transaction()
    def test_other_currency(self):
        """Quoted in euros, valued in the company's currency at the
        quotation date, and compared so with the list price"""
        pool = Pool()
        Currency = pool.get('currency.currency')
        Rate = pool.get('currency.currency.rate')
        Quotation = pool.get('crm.analysis.quotation')
        company = create_company()
        euro, = Currency.create([{
                    'name': "Euro", 'code': 'EUR', 'symbol': "€"}])
        Rate.create([
                {'currency': company.currency.id,
                    'date': datetime.date(2000, 1, 1), 'rate': Decimal(1)},
                {'currency': euro.id,
                    'date': datetime.date(2000, 1, 1), 'rate': Decimal(2)},
                # Later rates do not change the value of older quotations.
                {'currency': euro.id,
                    'date': datetime.date(2025, 6, 1), 'rate': Decimal(4)},
                ])
        with set_company(company):
            self._quotations(company, ['quotation', 'confirmed'], euro)
            rows = Quotation.search([], order=[('quoted_amount', 'ASC')])
            # 10 x 10 and 10 x 20 euros at 2 euros a dollar, against 10 x 100
            self.assertEqual(
                [(r.month, r.quotations, r.accepted, r.quoted_amount,
                        r.accepted_amount, r.currency)
                    for r in rows],
                [(QUOTED.replace(day=1), 1, 0, Decimal(50), Decimal(0),
                        company.currency),
                    (QUOTED.replace(day=1), 1, 1, Decimal(100),
                        Decimal(100), company.currency)])
            self.assertEqual(
                [round(r.average_discount, 4) for r in rows], [0.95, 0.9])
