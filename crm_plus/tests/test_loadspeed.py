# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Opportunities and their priced lines created by lists"
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.crm_plus.tests.tools import counting_queries
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    TestCase, activate_module, with_transaction)


class LoadSpeedTestCase(TestCase):
    "Test the creation of opportunities by lists"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('crm_plus')

    def _setup(self):
        pool = Pool()
        Party = pool.get('party.party')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        company = create_company()
        unit, = Uom.search([('name', '=', 'Unit')])
        with set_company(company):
            templates = Template.create([{
                        'name': name,
                        'type': 'service',
                        'default_uom': unit.id,
                        'salable': True,
                        'sale_uom': unit.id,
                        'list_price': price,
                        'products': [('create', [{}])],
                        } for name, price in [
                        ("Widget", Decimal('10')),
                        ("Gadget", Decimal('25')),
                        ]])
        products = [t.products[0] for t in templates]
        customers = Party.create([{'name': "Plain"}, {'name': "Special"}])
        return company, products, customers, unit

    def _values(self, company, customer, product, unit, quantity=2):
        return {
            'party': customer.id,
            'company': company.id,
            'currency': company.currency.id,
            'lines': [('create', [{
                            'product': product.id,
                            'unit': unit.id,
                            'quantity': quantity,
                            }])],
            }

    def _sequence(self, company):
        Configuration = Pool().get('sale.configuration')
        return Configuration(1).get_multivalue(
            'sale_opportunity_sequence', company=company.id)

    @with_transaction()
    def test_numbers_of_a_list(self):
        "A list is numbered from its sequence in its order, given ones kept"
        Opportunity = Pool().get('sale.opportunity')
        company, products, customers, unit = self._setup()
        with set_company(company):
            sequence = self._sequence(company)
            first = sequence.number_next
            vlist = [self._values(company, customers[i % 2], products[0],
                    unit) for i in range(5)]
            vlist[2]['number'] = "KEPT"
            opportunities = Opportunity.create(vlist)
            sequence = self._sequence(company)
            self.assertEqual(
                [o.number for o in opportunities],
                [str(first), str(first + 1), "KEPT", str(first + 2),
                    str(first + 3)])
            self.assertEqual(sequence.number_next, first + 4)
            # The next create goes on from there, as the host's would.
            opportunity, = Opportunity.create(
                [self._values(company, customers[0], products[0], unit)])
            self.assertEqual(opportunity.number, str(first + 4))

    @with_transaction()
    def test_lines_priced_by_list(self):
        "Lines created together get the prices of lines created one by one"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        PriceList = pool.get('product.price_list')
        company, products, customers, unit = self._setup()
        plain, special = customers
        with set_company(company):
            price_list, = PriceList.create([{
                        'name': "Special",
                        'price': 'list_price',
                        'lines': [('create', [{
                                        'quantity': 5,
                                        'formula': 'list_price * 0.8',
                                        }, {
                                        'formula': 'list_price * 0.9',
                                        }])],
                        }])
            Party = pool.get('party.party')
            Party.write([special], {'sale_price_list': price_list.id})
            cases = [(c, p, q) for c in customers for p in products
                for q in [1, 5]]
            together = Opportunity.create([
                    self._values(company, c, p, unit, q)
                    for c, p, q in cases])
            alone = [Opportunity.create(
                    [self._values(company, c, p, unit, q)])[0]
                for c, p, q in cases]
            prices = [(o.lines[0].base_price, o.lines[0].amount, o.amount)
                for o in together]
            self.assertEqual(prices,
                [(o.lines[0].base_price, o.lines[0].amount, o.amount)
                    for o in alone])
            self.assertEqual([p[0] for p in prices], [
                    Decimal('10'), Decimal('10'),
                    Decimal('25'), Decimal('25'),
                    Decimal('9'), Decimal('8'),
                    Decimal('22.5'), Decimal('20')])

    @with_transaction()
    def test_queries_per_list(self):
        "Creating more opportunities at once runs no query per record"
        Opportunity = Pool().get('sale.opportunity')
        company, products, customers, unit = self._setup()
        # The host inserts the rows one by one on some backends.
        rows = ('INSERT INTO "sale_opportunity" (',
            'INSERT INTO "sale_opportunity_line" (')
        with set_company(company):
            # Warm the caches of the first creation.
            Opportunity.create(
                [self._values(company, customers[0], products[0], unit)])
            counts = []
            for count in [10, 20]:
                with counting_queries() as queries:
                    Opportunity.create([
                            self._values(
                                company, customers[0], products[0], unit)
                            for _ in range(count)])
                counts.append(len(
                        [q for q in queries if not str(q).startswith(rows)]))
            # The ORM's reads of the records may take a few more queries
            # for longer lists, not one more per record.
            self.assertLess(counts[1] - counts[0], 10)
