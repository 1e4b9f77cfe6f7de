# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Quotations from opportunities and back, quote history and contracts"
import datetime
from decimal import Decimal

from trytond.exceptions import UserError, UserWarning
from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.account.tests import create_chart
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.crm_plus.tests.tools import counting_queries
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    TestCase, activate_module, with_transaction)


class QuotationTestCase(TestCase):
    "Test quotations, price history and contracts"

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
        Account = pool.get('account.account')
        Category = pool.get('product.category')
        company = create_company()
        unit, = Uom.search([('name', '=', 'Unit')])
        with set_company(company):
            create_chart(company)
            # Other tests of the process may have left the charts of their
            # companies: the revenue account is that of this company.
            revenue, = Account.search([
                    ('company', '=', company.id),
                    ('type.revenue', '=', True),
                    ('closed', '!=', True),
                    ], limit=1)
            category, = Category.create([{
                        'name': "Accounts", 'accounting': True,
                        'account_revenue': revenue.id}])
            templates = Template.create([{
                        'name': name,
                        'type': 'service',
                        'default_uom': unit.id,
                        'salable': True,
                        'sale_uom': unit.id,
                        'account_category': category.id,
                        'list_price': Decimal(price),
                        'products': [('create', [{}])],
                        } for name, price in [
                        ("Widget", '10'), ("Gadget", '25')]])
        products = [t.products[0] for t in templates]
        customer, employee_party = Party.create([
                {'name': "Customer", 'addresses': [('create', [{}])]},
                {'name': "Seller"}])
        employee, = Employee.create([{
                    'party': employee_party.id, 'company': company.id}])
        return company, products, customer, employee

    def _opportunity(self, company, products, customer, employee):
        Opportunity = Pool().get('sale.opportunity')
        opportunity, = Opportunity.create([{
                    'party': customer.id,
                    'employee': employee.id,
                    'company': company.id,
                    'currency': company.currency.id,
                    'state': 'opportunity',
                    'lines': [('create', [{
                                    'product': p.id,
                                    'quantity': q,
                                    'unit': p.default_uom.id,
                                    'unit_price': Decimal(price),
                                    } for p, q, price in zip(
                                    products, [2, 1], ['9', '20'])])],
                    }])
        return opportunity

    @with_transaction()
    def test_revisions_numbered_per_opportunity(self):
        "Quotations are numbered per opportunity, before and after convert"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        company, products, customer, employee = self._setup()
        with set_company(company):
            first = self._opportunity(company, products, customer, employee)
            second = self._opportunity(
                company, products, customer, employee)
            Opportunity.convert([first])
            sale1, = first.sales
            self.assertEqual(sale1.revision, 1)
            self.assertEqual(first.state, 'converted')

            sales = Opportunity.create_quotations([first, second])
            self.assertEqual([s.revision for s in sales], [2, 1])
            self.assertEqual(
                [s.state for s in sales], ['quotation', 'quotation'])
            self.assertEqual(
                [(l.product, l.quantity, l.unit_price)
                    for l in sales[0].lines],
                [(products[0], 2, Decimal('9')),
                    (products[1], 1, Decimal('20'))])
            sale3, = Opportunity.create_quotations([first])
            self.assertEqual(sale3.revision, 3)
            second = Opportunity(second.id)
            self.assertEqual(second.state, 'converted')

            # A copy is a new revision of the same opportunity.
            Sale = pool.get('sale.sale')
            copy, = Sale.copy([sale3])
            self.assertEqual(copy.revision, 4)

    @with_transaction()
    def test_update_opportunity(self):
        "The lines and amount of a quotation go back to the opportunity"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Sale = pool.get('sale.sale')
        SaleLine = pool.get('sale.line')
        OpportunityLine = pool.get('sale.opportunity.line')
        company, products, customer, employee = self._setup()
        with set_company(company):
            opportunity = self._opportunity(
                company, products, customer, employee)
            sale, = Opportunity.create_quotations([opportunity])
            Sale.draft([sale])
            line = sale.lines[0]
            SaleLine.write([line], {
                    'quantity': 5, 'unit_price': Decimal('8')})
            Sale.update_opportunity([sale])
            opportunity = Opportunity(opportunity.id)
            self.assertEqual(
                sorted((l.product.id, l.quantity, l.unit_price)
                    for l in opportunity.lines),
                sorted([(products[0].id, 5, Decimal('8')),
                        (products[1].id, 1, Decimal('20'))]))
            self.assertEqual(opportunity.amount, Decimal('60.00'))

            # The opportunity changed after the quotation: warned.
            OpportunityLine.write([opportunity.lines[0]], {'quantity': 7})
            Sale.write([sale], {
                    'opportunity_synced_at': datetime.datetime(2000, 1, 1)})
            sale = Sale(sale.id)
            with self.assertRaises(UserWarning) as cm:
                Sale.update_opportunity([sale])
            self.assertIn("only on the opportunity", cm.exception.message)

            # Refused once the opportunity is closed.
            Opportunity.write([opportunity], {'state': 'lost'})
            with self.assertRaises(UserError):
                Sale.update_opportunity([Sale(sale.id)])

    @with_transaction()
    def test_price_history_set_based(self):
        "The price history is read with as many queries for 2 as 30 lines"
        pool = Pool()
        Sale = pool.get('sale.sale')
        SaleLine = pool.get('sale.line')
        company, products, customer, employee = self._setup()
        with set_company(company):
            def sale(date, price, state='quotation', count=1):
                sale, = Sale.create([{
                            'party': customer.id,
                            'company': company.id,
                            'currency': company.currency.id,
                            'invoice_address': customer.addresses[0].id,
                            'quotation_date': date,
                            'lines': [('create', [{
                                            'product': products[0].id,
                                            'quantity': 1,
                                            'unit': products[0].default_uom.id,
                                            'unit_price': Decimal(price),
                                            }] * count)],
                            }])
                values = {'state': state}
                if state == 'done':
                    values['sale_date'] = date
                Sale.write([sale], values)
                return sale
            old = sale(datetime.date(2026, 1, 5), '11', 'cancelled')
            sold = sale(datetime.date(2026, 3, 1), '9.5', 'done')
            later = sale(datetime.date(2026, 4, 1), '10')
            line = SaleLine(later.lines[0].id)
            self.assertEqual(
                list(line.price_history),
                [sold.lines[0], old.lines[0]])
            self.assertEqual(
                [l.history_date for l in line.price_history],
                [datetime.date(2026, 3, 1), datetime.date(2026, 1, 5)])
            # The earlier quotation does not show the later one.
            self.assertEqual(
                list(SaleLine(old.lines[0].id).price_history), [])

            many = sale(datetime.date(2026, 5, 1), '10', count=30)
            few = many.lines[:2]
            counts = []
            for lines in [few, many.lines]:
                with counting_queries() as queries:
                    result = SaleLine.get_price_history(
                        SaleLine.browse(lines), 'price_history')
                counts.append(len(queries))
            self.assertEqual(counts[0], counts[1])
            self.assertEqual(len(result[many.lines[0].id]), 3 + 29)

    @with_transaction()
    def test_contract(self):
        "The contract number is given on confirm; validity is checked"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Sale = pool.get('sale.sale')
        company, products, customer, employee = self._setup()
        with set_company(company):
            opportunity = self._opportunity(
                company, products, customer, employee)
            sale, = Opportunity.create_quotations([opportunity])
            self.assertFalse(sale.contract_number)
            with self.assertRaises(ValidationError):
                Sale.write([sale], {
                        'valid_from': datetime.date(2026, 6, 1),
                        'valid_to': datetime.date(2026, 5, 1),
                        })
            Sale.write([sale], {
                    'invoice_method': 'manual',
                    'shipment_method': 'manual',
                    'signature_date': datetime.date(2026, 5, 1),
                    'valid_from': datetime.date(2026, 5, 1),
                    'valid_to': datetime.date(2027, 4, 30),
                    })
            Sale.confirm([sale])
            sale = Sale(sale.id)
            self.assertTrue(sale.contract_number.startswith('C-'))
            number = sale.contract_number
            Sale.confirm([sale])
            self.assertEqual(Sale(sale.id).contract_number, number)

            # The contract of a finished sale is kept as signed.
            Sale.write([sale], {'state': 'done'})
            with self.assertRaises(AccessError):
                Sale.write([sale], {'valid_to': datetime.date(2028, 1, 1)})
