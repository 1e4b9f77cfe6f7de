# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Credit control and the approval of the win of an opportunity"
import unittest
from decimal import Decimal

from trytond.exceptions import UserError
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.modules.crm_plus.tests.tools import counting_queries
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction


class CreditTestCase(unittest.TestCase):
    "Credit control"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('crm_plus')

    def _won_rule(self, company):
        pool = Pool()
        Group = pool.get('res.group')
        Rule = pool.get('crm.approval.rule')
        group, = Group.create([{'name': "Approvers"}])
        Rule.create([{
                    'name': "Large win",
                    'company': company.id,
                    'document': 'sale.opportunity',
                    'transition': 'won',
                    'condition': 'amount_ge',
                    'value': Decimal(1000),
                    'approver_kind': 'group',
                    'group': group.id,
                    }])

    @with_transaction()
    def test_won_guarded(self):
        "Winning an opportunity over the rule needs its approval"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')
        Request = pool.get('crm.approval.request')

        company = create_company()
        with set_company(company):
            self._won_rule(company)
            party, = Party.create([{'name': "Customer"}])
            employee = create_employee(company)
            large, small = Opportunity.create([
                    {'party': party.id, 'amount': Decimal(amount),
                        'employee': employee.id, 'state': 'converted'}
                    for amount in [1200, 200]])
            Opportunity.won([small])
            self.assertEqual(small.state, 'won')
            with self.assertRaises(UserError):
                Opportunity.won([large])

            requests = Request.request_for([large])
            self.assertEqual(
                [r.rule.transition for r in requests], ['won'])
            Request.write(requests, {'state': 'approved'})
            Opportunity.won([large])
            self.assertEqual(large.state, 'won')

    @with_transaction()
    def test_credit_figures_set_based(self):
        "The credit of many customers in as many queries as of one"
        pool = Pool()
        Party = pool.get('party.party')

        company = create_company()
        with set_company(company):
            parties = Party.create([{'name': "C%s" % i} for i in range(12)])
            counts = []
            for count in [1, 12]:
                records = Party.browse(parties[:count])
                with counting_queries() as queries:
                    Party.get_credit_control(
                        records, ['overdue_amount', 'credit_blocked'])
                counts.append(len(queries))
            self.assertEqual(counts[0], counts[1])
