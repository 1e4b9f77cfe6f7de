# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The sales analyses: pages in a bounded number of queries, currencies"
import datetime
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.crm_plus.tests.tools import counting_queries
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    TestCase, activate_module, with_transaction)
from trytond.transaction import Transaction

WON_REPORTS = [
    ('crm.analysis.won.party', 'party'),
    ('crm.analysis.won.industry', 'industry'),
    ('crm.analysis.won.team', 'team'),
    ('crm.analysis.won.territory', 'territory'),
    ('crm.analysis.won.product', 'product'),
    ('crm.analysis.won.product_category', 'product_category'),
    ]
START = datetime.date(2025, 1, 1)


class AnalysisTestCase(TestCase):
    "Test the sales analyses"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('crm_plus')

    def _won_opportunities(self, company, count, currency=None):
        """Create count opportunities won today, each of its own party,
        industry, team, territory, lead source, product and category,
        started on as many days; the i-th worth 10 x (i + 1)"""
        pool = Pool()
        Category = pool.get('product.category')
        Employee = pool.get('company.employee')
        Industry = pool.get('crm.industry')
        LeadSource = pool.get('crm.lead_source')
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')
        Team = pool.get('crm.team')
        Template = pool.get('product.template')
        Territory = pool.get('crm.territory')
        Uom = pool.get('product.uom')
        unit, = Uom.search([('name', '=', 'Unit')])
        names = ["N%02d" % i for i in range(count)]
        industries = Industry.create([{'name': n} for n in names])
        sources = LeadSource.create([{'name': n} for n in names])
        territories = Territory.create([{'name': n} for n in names])
        parties = Party.create([{
                    'name': n, 'industry': i.id, 'territory': t.id}
                for n, i, t in zip(names, industries, territories)])
        categories = Category.create([{'name': n} for n in names])
        templates = Template.create([{
                    'name': n,
                    'type': 'service',
                    'default_uom': unit.id,
                    'salable': True,
                    'sale_uom': unit.id,
                    'list_price': Decimal(1),
                    'categories': [('add', [c.id])],
                    'products': [('create', [{}])],
                    } for n, c in zip(names, categories)])
        employee_party, = Party.create([{'name': "Seller"}])
        employee, = Employee.create([{
                    'party': employee_party.id, 'company': company.id}])
        teams = Team.create([{'name': n, 'company': company.id}
                for n in names])
        opportunities = Opportunity.create([{
                    'party': p.id,
                    'employee': employee.id,
                    'company': company.id,
                    'currency': (currency or company.currency).id,
                    'start_date': START + datetime.timedelta(i),
                    'lead_source': s.id,
                    'lines': [('create', [{
                                    'product': t.products[0].id,
                                    'quantity': 1,
                                    'unit': unit.id,
                                    'unit_price': Decimal(10 * (i + 1)),
                                    'amount': Decimal(10 * (i + 1)),
                                    }])],
                    } for i, (p, t, s) in enumerate(
                    zip(parties, templates, sources))])
        # Won as the host's workflow leaves them, without the sales that
        # take it there: the analyses read these columns only.
        table = Opportunity.__table__()
        cursor = Transaction().connection.cursor()
        for opportunity, team, territory in zip(
                opportunities, teams, territories):
            cursor.execute(*table.update(
                    [table.state, table.end_date, table.team,
                        table.territory, table.amount],
                    ['won', datetime.date.today(), team.id, territory.id,
                        opportunity.lines[0].amount],
                    where=table.id == opportunity.id))
        return opportunities

    def _page_queries(self, Report, limit, names):
        "The number of queries of a search and read of a page of Report"
        # Once before: the caches of the models it reads fill up.
        Report.read([r.id for r in Report.search([], limit=limit)], names)
        with counting_queries() as queries:
            rows = Report.search([], limit=limit)
            values = Report.read([r.id for r in rows], names)
        self.assertEqual(len(values), limit)
        return len(queries)

    @with_transaction()
    def test_pages_bounded(self):
        "A page of each analysis in as many queries for 3 as for 20 rows"
        pool = Pool()
        company = create_company()
        with set_company(company):
            self._won_opportunities(company, 20)
            with Transaction().set_context(period='day'):
                for name, dimension in [*WON_REPORTS,
                        ('crm.analysis.tracking', 'date'),
                        ('crm.analysis.lead_source', 'lead_source'),
                        ('crm.analysis.cycle.team', 'team'),
                        ('crm.analysis.cycle.product', 'product')]:
                    Report = pool.get(name)
                    names = [n for n in Report._fields if n != 'id']
                    counts = [self._page_queries(Report, limit, names)
                        for limit in [3, 20]]
                    self.assertEqual(counts[0], counts[1], name)
                    self.assertLessEqual(counts[1], 6, name)

            # Open ones expected to close in 20 months
            Opportunity = pool.get('sale.opportunity')
            won = Opportunity.search([], limit=1)[0]
            Opportunity.create([{
                        'party': won.party.id,
                        'company': company.id,
                        'currency': company.currency.id,
                        'amount': Decimal(10),
                        'end_date': datetime.date(2030 + i // 12, i % 12 + 1, 1),
                        } for i in range(20)])
            Turnover = pool.get('crm.analysis.turnover')
            self.assertEqual(len(Turnover.search([])), 20)
            names = [n for n in Turnover._fields if n != 'id']
            counts = [self._page_queries(Turnover, limit, names)
                for limit in [3, 20]]
            self.assertEqual(counts[0], counts[1])
            self.assertLessEqual(counts[1], 6)

    @with_transaction()
    def test_won_values(self):
        "The won value by dimension is that of its opportunity"
        pool = Pool()
        company = create_company()
        with set_company(company):
            opportunities = self._won_opportunities(company, 4)
            for name, dimension in WON_REPORTS:
                Report = pool.get(name)
                rows = Report.search([], order=[('amount', 'ASC')])
                self.assertEqual(
                    [(r.number, r.amount, r.currency) for r in rows],
                    [(1, Decimal(10 * (i + 1)), company.currency)
                        for i in range(4)], name)
            # Started on four days, won today: open at the end of none.
            Tracking = pool.get('crm.analysis.tracking')
            with Transaction().set_context(period='day'):
                rows = Tracking.search([])
            self.assertEqual(
                [(r.date, r.created, r.won, r.open) for r in rows],
                [(START + datetime.timedelta(i), 1, 0, i + 1)
                    for i in range(4)]
                + [(datetime.date.today(), 0, 4, 0)])
            self.assertEqual(len(opportunities), 4)

    @with_transaction()
    def test_won_other_currency(self):
        "Won in euros, valued in the company's currency at the start date"
        pool = Pool()
        Currency = pool.get('currency.currency')
        Rate = pool.get('currency.currency.rate')
        company = create_company()
        euro, = Currency.create([{
                    'name': "Euro", 'code': 'EUR', 'symbol': "€"}])
        Rate.create([
                {'currency': company.currency.id,
                    'date': datetime.date(2000, 1, 1), 'rate': Decimal(1)},
                {'currency': euro.id,
                    'date': datetime.date(2000, 1, 1), 'rate': Decimal(2)},
                # Later rates do not change the value of older deals.
                {'currency': euro.id,
                    'date': datetime.date(2025, 6, 1), 'rate': Decimal(4)},
                ])
        with set_company(company):
            self._won_opportunities(company, 2, currency=euro)
            Report = pool.get('crm.analysis.won.product')
            rows = Report.search([], order=[('amount', 'ASC')])
            # 10 and 20 euros at 2 euros a dollar
            self.assertEqual(
                [r.amount for r in rows], [Decimal(5), Decimal(10)])

    @with_transaction()
    def test_stage_time(self):
        "The average days of the stays in each stage that ended"
        pool = Pool()
        History = pool.get('crm.stage.history')
        Stage = pool.get('crm.stage')
        StageTime = pool.get('crm.analysis.stage_time')
        company = create_company()
        with set_company(company):
            first, second = Stage.search([], limit=2)
            opportunity, other = self._won_opportunities(company, 2)
            start = datetime.datetime(2025, 3, 1, 9)
            day = datetime.timedelta(days=1)
            History.create([
                    {'opportunity': opportunity.id, 'stage': first.id,
                        'start': start, 'end': start + 2 * day},
                    {'opportunity': other.id, 'stage': first.id,
                        'start': start, 'end': start + 5 * day},
                    {'opportunity': opportunity.id, 'stage': second.id,
                        'start': start + 2 * day, 'end': start + 3 * day},
                    # Still in the stage: no duration yet.
                    {'opportunity': other.id, 'stage': second.id,
                        'start': start + 5 * day, 'end': None},
                    ])
            self.assertEqual(
                {(r.stage, r.number, r.average_days)
                    for r in StageTime.search([])},
                {(first, 2, 3.5), (second, 1, 1.0)})
            # By the day the stays ended
            with Transaction().set_context(
                    from_date=datetime.date(2025, 3, 5)):
                self.assertEqual(
                    [(r.stage, r.number) for r in StageTime.search([])],
                    [(first, 1)])
