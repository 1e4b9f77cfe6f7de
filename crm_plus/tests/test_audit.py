# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The audit trail: set-based recording, refusal of changes, erasure"
import unittest
from decimal import Decimal
from unittest.mock import patch

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.modules.crm_plus.tests.tools import counting_queries
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction, without_check_access


def _entries(**clause):
    Entry = Pool().get('crm.audit.entry')
    return Entry.search([(k, '=', v) for k, v in clause.items()],
        order=[('id', 'ASC')])


def _audit_queries(function, *models):
    """Run function and return the queries of the trail: its reads of the
    audited values and its inserts of entries"""
    pool = Pool()
    queries = []

    def counting(original):
        def wrapper(*args, **kwargs):
            with counting_queries() as inner:
                result = original(*args, **kwargs)
            queries.extend(inner)
            return result
        return wrapper

    Entry = pool.get('crm.audit.entry')
    patches = [patch.object(Entry, 'record', counting(Entry.record))]
    for model in models:
        Model = pool.get(model)
        patches.append(patch.object(
                Model, '_audit_read', counting(Model._audit_read)))
    for patcher in patches:
        patcher.start()
    try:
        function()
    finally:
        for patcher in patches:
            patcher.stop()
    return queries


class AuditTestCase(unittest.TestCase):
    "Audit trail"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('crm_plus')

    def _opportunities(self, count):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')
        company = Pool().get('company.company')(
            Transaction().context['company'])
        employee = create_employee(company)
        party, = Party.create([{'name': "Customer"}])
        return Opportunity.create([{
                    'party': party.id,
                    'employee': employee.id,
                    'amount': Decimal(100),
                    'description': "Deal %s" % i,
                    'lines': [('create', [{
                                    'description': "Service",
                                    'quantity': 1,
                                    'unit_price': Decimal(100),
                                    }])],
                    } for i in range(count)])

    @with_transaction()
    def test_write_is_set_based(self):
        "The trail of 1 or 40 opportunities written costs as many queries"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        company = create_company()
        with set_company(company):
            employee = create_employee(company, "Other")
            counts = []
            for count in [1, 40]:
                records = self._opportunities(count)
                queries = _audit_queries(
                    lambda: Opportunity.write(records, {
                            'description': "Changed",
                            'amount': Decimal(200),
                            'employee': employee.id,
                            }), 'sale.opportunity')
                counts.append(len(queries))
                inserts = [q for q in queries
                    if q.startswith('INSERT INTO "crm_audit_entry"')]
                self.assertEqual(len(inserts), 1)
            self.assertEqual(counts[0], counts[1])
            self.assertEqual(
                len(_entries(model='sale.opportunity', event='write',
                        field_name='amount')), 41)
            entry = _entries(model='sale.opportunity', event='write',
                field_name='employee')[-1]
            self.assertEqual(entry.new_value, "Other")

    @with_transaction()
    def test_create_and_delete_are_set_based(self):
        "The trail of 1 or 30 lines created and deleted costs as many queries"
        pool = Pool()
        Line = pool.get('sale.opportunity.line')
        company = create_company()
        with set_company(company):
            deals = self._opportunities(2)
            counts = []
            for size in [1, 30]:
                def create_delete():
                    lines = Line.create([{
                                'opportunity': deals[0].id,
                                'description': "Extra %s" % i,
                                'quantity': 2,
                                'unit_price': Decimal(10),
                                } for i in range(size)])
                    Line.delete(lines)
                queries = _audit_queries(
                    create_delete, 'sale.opportunity.line')
                counts.append(len(queries))
                # One insert for the creation and one for the deletion of
                # the lines, one for each change of the opportunity's
                # amount, which follows its lines.
                inserts = [q for q in queries
                    if q.startswith('INSERT INTO "crm_audit_entry"')]
                self.assertEqual(len(inserts), 4)
            self.assertEqual(counts[0], counts[1])
            deleted = _entries(
                model='sale.opportunity.line', event='delete',
                field_name='description')
            self.assertEqual(len(deleted), 31)
            self.assertEqual(deleted[0].old_value, "Extra 0")
            self.assertEqual(deleted[0].new_value, None)
            # A line belongs to the trail of its opportunity.
            self.assertEqual(deleted[0].document, deals[0])

    @with_transaction()
    def test_unchanged_values_not_recorded(self):
        "Writing the value a field already has records nothing"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        company = create_company()
        with set_company(company):
            deal, = self._opportunities(1)
            before = len(_entries())
            Opportunity.write([deal], {'description': "Deal 0"})
            self.assertEqual(len(_entries()), before)

    @with_transaction()
    def test_only_administrator_changes_entries(self):
        "Code running without access checks cannot change the trail either"
        pool = Pool()
        Entry = pool.get('crm.audit.entry')
        Group = pool.get('res.group')
        ModelData = pool.get('ir.model.data')
        Party = pool.get('party.party')
        User = pool.get('res.user')
        manager_group = Group(
            ModelData.get_id('crm_plus', 'group_crm_manager'))
        manager, = User.create([{
                    'name': "Manager", 'login': 'manager',
                    'groups': [('add', [manager_group.id])],
                    }])
        party, = Party.create([{'name': "Acme", 'employee_count': 10}])
        entry, = _entries(field_name='employee_count')

        with Transaction().set_user(manager.id), without_check_access():
            with self.assertRaises(AccessError):
                Entry.write([entry], {'new_value': "11"})
            with self.assertRaises(AccessError):
                Entry.delete([entry])
            with self.assertRaises(AccessError):
                Entry.create([{
                            'date': entry.date, 'event': 'write',
                            'model': 'party.party',
                            'resource': str(party)}])
        self.assertEqual(Entry(entry.id).new_value, "10")

        # The administrator (Administration group) corrects and purges.
        admin_id = ModelData.get_id('res', 'user_admin')
        with Transaction().set_user(admin_id):
            Entry.write([entry], {'new_value': "11"})
            self.assertEqual(Entry(entry.id).new_value, "11")
            Entry.delete([entry])
        self.assertEqual(_entries(field_name='employee_count'), [])

    @with_transaction()
    def test_erased_person_values_erased(self):
        "Erasing a person erases the values of their trail and their name"
        pool = Pool()
        Erase = pool.get('party.erase', type='wizard')
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')
        company = create_company()
        with set_company(company):
            person, = Party.create([{
                        'name': "Jana Marková", 'party_kind': 'person',
                        'employee_count': 1}])
            employee = create_employee(company)
            other, = Party.create([{'name': "Acme"}])
            deal, = Opportunity.create([{
                        'party': person.id, 'employee': employee.id}])
            Opportunity.write([deal], {'party': other.id})
            Party.write([person], {'active': False})

            session_id, _, _ = Erase.create()
            erase = Erase(session_id)
            erase.ask.party = person
            erase.transition_erase()

            own = _entries(document_model='party.party',
                document_id=person.id)
            self.assertTrue(own)
            self.assertEqual(
                {(e.record_name, e.old_value, e.new_value) for e in own},
                {(None, None, None)})
            moved, = _entries(model='sale.opportunity', event='write',
                field_name='party')
            self.assertEqual((moved.old_value, moved.new_value),
                (None, "Acme"))
