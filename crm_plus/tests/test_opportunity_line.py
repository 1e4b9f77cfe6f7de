# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Priced opportunity lines, margins and sales expenses"
import datetime
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.crm_plus.tests.tools import counting_queries
from trytond.modules.currency.currency import RateError
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    TestCase, activate_module, with_transaction)


class OpportunityLineTestCase(TestCase):
    "Test opportunity lines and expenses"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('crm_plus')

    def _setup(self):
        pool = Pool()
        Party = pool.get('party.party')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        Employee = pool.get('company.employee')
        company = create_company()
        unit, = Uom.search([('name', '=', 'Unit')])
        # Prices and costs are per company.
        with set_company(company):
            template, = Template.create([{
                        'name': "Widget",
                        'type': 'goods',
                        'default_uom': unit.id,
                        'salable': True,
                        'sale_uom': unit.id,
                        'list_price': Decimal('10'),
                        'products': [('create', [{}])],
                        }])
            product, = template.products
            product.cost_price = Decimal('6.25')
            product.save()
        customer, employee_party = Party.create(
            [{'name': "Customer"}, {'name': "Seller"}])
        employee, = Employee.create([{
                    'party': employee_party.id, 'company': company.id}])
        return company, product, customer, employee

    def _opportunity(self, company, customer, employee, **values):
        Opportunity = Pool().get('sale.opportunity')
        opportunity, = Opportunity.create([{
                    'party': customer.id,
                    'employee': employee.id,
                    'company': company.id,
                    'currency': company.currency.id,
                    **values,
                    }])
        return opportunity

    @with_transaction()
    def test_line_two_way_on_change(self):
        "Discount, unit price and amount set each other; quantity keeps price"
        Line = Pool().get('sale.opportunity.line')
        company, product, customer, employee = self._setup()
        with set_company(company):
            opportunity = self._opportunity(company, customer, employee)
            # As the client sends them
            line = Line(
                opportunity=opportunity, company=company,
                currency=company.currency, product=product, unit=None,
                quantity=3, base_price=None, discount=Decimal(0),
                unit_price=None, amount=None, cost_price=None, cost=None)
            line.on_change_product()
            self.assertEqual(line.base_price, Decimal('10'))
            self.assertEqual(line.cost_price, Decimal('6.25'))
            self.assertEqual(line.unit_price, Decimal('10'))
            self.assertEqual(line.amount, Decimal('30.00'))
            self.assertEqual(line.cost, Decimal('18.75'))
            self.assertEqual(line.on_change_with_margin(), Decimal('11.25'))
            self.assertEqual(
                line.on_change_with_margin_rate(), Decimal('0.375'))

            line.discount = Decimal('0.1')
            line.on_change_discount()
            self.assertEqual(line.unit_price, Decimal('9'))
            self.assertEqual(line.amount, Decimal('27.00'))

            line.unit_price = Decimal('8.5')
            line.on_change_unit_price()
            self.assertEqual(line.discount, Decimal('0.15'))
            self.assertEqual(line.amount, Decimal('25.50'))

            # 20 / 3 rounds to the price digits; the amount follows it
            line.amount = Decimal('20')
            line.on_change_amount()
            self.assertEqual(line.unit_price, Decimal('6.6667'))
            self.assertEqual(line.amount, Decimal('20.00'))
            self.assertEqual(line.discount, Decimal('0.3333'))

            line.quantity = 4
            line.on_change_quantity()
            self.assertEqual(line.unit_price, Decimal('6.6667'))
            self.assertEqual(line.amount, Decimal('26.67'))
            self.assertEqual(line.cost, Decimal('25.00'))

            line.base_price = Decimal('20')
            line.on_change_base_price()
            self.assertEqual(line.unit_price, Decimal('13.334'))
            self.assertEqual(line.amount, Decimal('53.34'))

            # Above the list price, the price becomes the list price.
            line.unit_price = Decimal('25')
            line.on_change_unit_price()
            self.assertEqual(line.base_price, Decimal('25'))
            self.assertEqual(line.discount, Decimal('0'))

    @with_transaction()
    def test_line_create_and_write_over_rpc(self):
        "Lines created or written with one of the values get the others"
        Line = Pool().get('sale.opportunity.line')
        company, product, customer, employee = self._setup()
        with set_company(company):
            opportunity = self._opportunity(company, customer, employee)
            by_discount, by_amount, by_product, free = Line.create([{
                        'opportunity': opportunity.id,
                        'product': product.id, 'unit': product.sale_uom.id,
                        'quantity': 2, 'discount': Decimal('0.25'),
                        }, {
                        'opportunity': opportunity.id,
                        'product': product.id, 'unit': product.sale_uom.id,
                        'quantity': 4, 'amount': Decimal('36'),
                        }, {
                        'opportunity': opportunity.id,
                        'product': product.id, 'unit': product.sale_uom.id,
                        'quantity': 1,
                        }, {
                        'opportunity': opportunity.id,
                        'description': "Installation",
                        'quantity': 3, 'unit_price': Decimal('100'),
                        }])
            self.assertEqual(
                (by_discount.base_price, by_discount.unit_price,
                    by_discount.amount, by_discount.cost),
                (Decimal('10'), Decimal('7.5'), Decimal('15.00'),
                    Decimal('12.50')))
            self.assertEqual(
                (by_amount.unit_price, by_amount.discount, by_amount.amount),
                (Decimal('9'), Decimal('0.1'), Decimal('36.00')))
            self.assertEqual(
                (by_product.unit_price, by_product.cost_price,
                    by_product.amount),
                (Decimal('10'), Decimal('6.25'), Decimal('10.00')))
            self.assertEqual(
                (free.base_price, free.discount, free.amount, free.cost),
                (Decimal('100'), Decimal('0'), Decimal('300.00'), None))

            Line.write([by_discount], {'quantity': 10})
            self.assertEqual(by_discount.unit_price, Decimal('7.5'))
            self.assertEqual(by_discount.amount, Decimal('75.00'))
            Line.write([by_amount], {'unit_price': Decimal('5')})
            self.assertEqual(by_amount.discount, Decimal('0.5'))
            self.assertEqual(by_amount.amount, Decimal('20.00'))

            # What a client sends on save, or a copy: all values, which
            # are kept although the amount is rounded
            odd, = Line.create([{
                        'opportunity': opportunity.id,
                        'product': product.id, 'unit': product.sale_uom.id,
                        'quantity': 7, 'base_price': Decimal('0.0100'),
                        'discount': Decimal('0.3333'),
                        'unit_price': Decimal('0.0067'),
                        'amount': Decimal('0.05'),
                        'cost_price': Decimal('0.0010'),
                        }])
            copy, = Line.copy([odd])
            for line in [odd, copy]:
                self.assertEqual(
                    (line.base_price, line.discount, line.unit_price,
                        line.amount, line.cost),
                    (Decimal('0.0100'), Decimal('0.3333'), Decimal('0.0067'),
                        Decimal('0.05'), Decimal('0.01')))
            Line.delete([odd, copy])

            self.assertEqual(opportunity.lines_amount, Decimal('405.00'))
            self.assertEqual(opportunity.lines_cost, Decimal('93.75'))
            self.assertEqual(opportunity.margin, Decimal('311.25'))
            self.assertEqual(opportunity.margin_rate, Decimal('0.7685'))

    @with_transaction()
    def test_lines_priced_together(self):
        """Lines created together are priced by groups of the same
        customer and quantity, each at its own list price"""
        pool = Pool()
        Line = pool.get('sale.opportunity.line')
        Party = pool.get('party.party')
        Product = pool.get('product.product')
        Template = pool.get('product.template')
        company, product, customer, employee = self._setup()
        other_customer, = Party.create([{'name': "Other Customer"}])
        with set_company(company):
            template, = Template.copy(
                [product.template], default={'list_price': Decimal('25')})
            dearer, = template.products
            first = self._opportunity(company, customer, employee)
            second = self._opportunity(company, other_customer, employee)
            calls = []
            get_sale_price = Product.get_sale_price.__func__

            def counted(cls, products, quantity=0):
                calls.append((len(products), quantity))
                return get_sale_price(cls, products, quantity)
            Product.get_sale_price = classmethod(counted)
            try:
                lines = Line.create([{
                            'opportunity': opportunity.id,
                            'product': item.id, 'unit': item.sale_uom.id,
                            'quantity': quantity,
                            'unit_price': Decimal('9'),
                            }
                        for opportunity in [first, second]
                        for quantity in [1, 3]
                        for item in [product, dearer] * 5])
            finally:
                del Product.get_sale_price
        self.assertEqual(sorted(calls), [(2, 1), (2, 1), (2, 3), (2, 3)])
        self.assertEqual(
            {(l.product.id, l.base_price, l.discount) for l in lines},
            {(product.id, Decimal('10'), Decimal('0.1')),
                (dearer.id, Decimal('25'), Decimal('0.64'))})

    @with_transaction()
    def test_totals_queries(self):
        "Opportunity totals take as many queries for 30 records as for 3"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Expense = pool.get('crm.expense')
        ExpenseType = pool.get('crm.expense.type')
        company, product, customer, employee = self._setup()
        type_, = ExpenseType.search([], limit=1)
        with set_company(company):
            opportunities = Opportunity.create([{
                        'party': customer.id,
                        'employee': employee.id,
                        'company': company.id,
                        'currency': company.currency.id,
                        'lines': [('create', [{
                                        'product': product.id,
                                        'unit': product.sale_uom.id,
                                        'quantity': i + 1,
                                        }])],
                        } for i in range(30)])
            expenses = Expense.create([{
                        'opportunity': o.id,
                        'type': type_.id,
                        'company': company.id,
                        'currency': company.currency.id,
                        'amount': Decimal('2'),
                        } for o in opportunities])
            Expense.confirm(expenses)
            names = ['lines_amount', 'lines_cost', 'margin', 'margin_rate',
                'expense_amount', 'margin_after_expenses']
            counts = []
            for count in [3, 30]:
                ids = [o.id for o in opportunities[:count]]
                with counting_queries() as queries:
                    values = Opportunity.read(ids, names)
                counts.append(len(queries))
                self.assertEqual(
                    [v['lines_amount'] for v in values],
                    [Decimal(10 * (i + 1)) for i in range(count)])
                self.assertEqual(
                    [v['margin_after_expenses'] for v in values],
                    [Decimal('3.75') * (i + 1) - 2 for i in range(count)])
            self.assertEqual(counts[0], counts[1])
            # The opportunities; their currencies and the lines' sums for
            # the margins, again for the margin after expenses; the
            # expenses' sums
            self.assertLessEqual(counts[1], 6)

    @with_transaction()
    def test_expense_currency_conversion(self):
        "Confirmed expenses are converted at the rate of their date"
        pool = Pool()
        Currency = pool.get('currency.currency')
        Expense = pool.get('crm.expense')
        ExpenseType = pool.get('crm.expense.type')
        company, product, customer, employee = self._setup()
        type_, = ExpenseType.search([], limit=1)
        day1 = datetime.date(2025, 1, 1)
        day2 = datetime.date(2025, 6, 1)
        # The company's currency has the rate 1 since ever.
        base = company.currency
        foreign, = Currency.create([{
                    'name': "Foreign", 'code': 'FRN', 'symbol': 'F',
                    'rates': [('create', [
                                {'date': day1, 'rate': Decimal('2')},
                                {'date': day2, 'rate': Decimal('4')},
                                ])],
                    }])
        with set_company(company):
            opportunity = self._opportunity(company, customer, employee)
            foreign_opportunity = self._opportunity(
                company, customer, employee, currency=foreign.id)

            def expense(amount, currency, date, opportunity=opportunity):
                return {
                    'opportunity': opportunity.id, 'type': type_.id,
                    'company': company.id, 'currency': currency.id,
                    'date': date, 'amount': Decimal(amount)}
            confirmed = Expense.create([
                    expense('100', base, day1),
                    expense('10', foreign, day1),
                    expense('10', foreign, day2),
                    expense('30', base, day2, foreign_opportunity),
                    ])
            cancelled, draft = Expense.create([
                    expense('1000', base, day1),
                    expense('500', base, day1),
                    ])
            Expense.confirm(confirmed + [cancelled])
            Expense.cancel([cancelled])

            # 100 + 10 / 2 + 10 / 4
            self.assertEqual(opportunity.expense_amount, Decimal('107.50'))
            self.assertEqual(
                opportunity.margin_after_expenses, Decimal('-107.50'))
            self.assertEqual(
                foreign_opportunity.expense_amount, Decimal('120.00'))

            too_early = Expense.create([
                    expense('1', foreign, datetime.date(2024, 1, 1))])
            Expense.confirm(too_early)
            opportunity = type(opportunity)(opportunity.id)
            with self.assertRaises(RateError):
                opportunity.expense_amount
