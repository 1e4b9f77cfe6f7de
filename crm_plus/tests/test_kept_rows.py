# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""A report's page computes its figures once, on PostgreSQL and on a SQLite
database file, and never shows figures older than the last commit"""
import os
import shutil
import sqlite3
import tempfile
import unittest
from decimal import Decimal
from unittest.mock import patch

from trytond import backend, config
from trytond.cache import Cache
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.crm_plus.models.data_stamp import data_stamp
from trytond.modules.crm_plus.models import mixins
from trytond.modules.crm_plus.models.mixins import _kept_rows
from trytond.modules.crm_plus.tests.tools import CommittedTestCase
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, TestCase, activate_module
from trytond.transaction import Transaction

# The file database of this process's tests, in a directory of its own.
NAME = 'kept_rows'
FIELDS = ['company', 'reason', 'currency', 'number', 'amount']


class KeptRowsTests:
    """The rows a report's search computed, kept for its read: the tests of
    both databases, on cls.database"""

    @classmethod
    def _setup_data(cls):
        "Three opportunities lost for a reason, worth 10, 20 and 30"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')
        Reason = pool.get('crm.lost_reason')
        company = create_company()
        cls.company_id = company.id
        with set_company(company):
            reason, = Reason.create([{'name': "Price"}])
            party, = Party.create([{'name': "Envases SA"}])
            opportunities = Opportunity.create([{
                        'party': party.id,
                        'company': company.id,
                        'currency': company.currency.id,
                        } for _ in range(3)])
        # Lost as the host's workflow leaves them: the report reads these
        # columns only.
        table = Opportunity.__table__()
        cursor = Transaction().connection.cursor()
        for i, opportunity in enumerate(opportunities):
            cursor.execute(*table.update(
                    [table.state, table.lost_reason_type, table.amount],
                    ['lost', reason.id, Decimal(10 * (i + 1))],
                    where=table.id == opportunity.id))
        cls.opportunity_ids = [o.id for o in opportunities]

    def _context(self):
        return {'company': self.company_id}

    def _counting(self):
        """Patch the report's table_query to count its computations: return
        the patch and the list of calls"""
        Report = Pool(self.database).get('crm.lost.report')
        computed = []
        table_query = Report.table_query

        def counted():
            computed.append(True)
            return table_query()
        return patch.object(Report, 'table_query', counted), computed

    def _search(self):
        "The ids of the report's page, in a read-only transaction of its own"
        with Transaction().start(self.database, 0, readonly=True,
                context=self._context()):
            Report = Pool().get('crm.lost.report')
            return [r.id for r in Report.search([])]

    def _read(self, ids):
        "The rows of the page, in a read-only transaction of its own"
        with Transaction().start(self.database, 0, readonly=True,
                context=self._context()):
            Report = Pool().get('crm.lost.report')
            return [(r['number'], r['amount'])
                for r in Report.read(ids, FIELDS)]

    def _stamp(self, readonly=True):
        with Transaction().start(self.database, 0, readonly=readonly):
            return data_stamp()

    def tearDown(self):
        # Each test starts from the amounts of the set-up.
        self._commit_elsewhere(Decimal(10))
        super().tearDown()

    def test_stamp(self):
        "The stamp is the same until another transaction commits"
        first = self._stamp()
        self.assertIsNotNone(first)
        self.assertEqual(self._stamp(), first)
        self._commit_elsewhere(Decimal(15))
        second = self._stamp()
        self.assertNotEqual(second, first)
        self.assertEqual(self._stamp(), second)

    def test_page_computed_once(self):
        "A search and the read of its rows compute the figures once"
        counting, computed = self._counting()
        with counting:
            ids = self._search()
            self.assertEqual(len(computed), 1)
            self.assertEqual(self._read(ids), [(3, Decimal(60))])
            self.assertEqual(len(computed), 1)

    def test_commit_between_search_and_read(self):
        "The read after another transaction's commit shows the new figures"
        counting, computed = self._counting()
        with counting:
            ids = self._search()
            self._commit_elsewhere(Decimal(110))
            self.assertEqual(self._read(ids), [(3, Decimal(160))])
            self.assertEqual(len(computed), 2)

    def test_search_after_commit(self):
        "A page after a commit computes again, then once more"
        counting, computed = self._counting()
        with counting:
            self._read(self._search())
            self._commit_elsewhere(Decimal(110))
            ids = self._search()
            self.assertEqual(self._read(ids), [(3, Decimal(160))])
            self.assertEqual(len(computed), 2)

    def test_rows_by_parts(self):
        "Kept rows over one compound SELECT's terms are read back by parts"
        Report = Pool(self.database).get('crm.lost.report')
        names = ('id', 'number', 'amount')
        # More rows than SQLite unites in one compound SELECT (500).
        rows = [(i, i * 2, Decimal(i * 10)) for i in range(1, 602)]
        with Transaction().start(self.database, 0, readonly=True) \
                as transaction:
            mixins._reading[transaction] = {Report.__name__: (names, rows)}
            table = Report.__table__()
            cursor = transaction.connection.cursor()
            cursor.execute(*table.select(
                    *(getattr(table, n) for n in names), order_by=table.id))
            # SQLite gives back the bytes of a Decimal parameter.
            self.assertEqual([
                    (i, n, Decimal(a.decode() if isinstance(a, bytes) else a))
                    for i, n, a in cursor], rows)


@unittest.skipUnless(
    backend.name == 'sqlite', "a SQLite database file")
class SQLiteKeptRowsTestCase(KeptRowsTests, TestCase):
    "The rows kept on a SQLite database file"
    database = NAME

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('crm_plus')
        directory = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, directory)
        path = config.get('database', 'path')
        config.set('database', 'path', directory)
        cls.addClassCleanup(config.set, 'database', 'path', path)
        cls.path = os.path.join(directory, NAME + '.sqlite')
        # The activated database in memory, copied to a file that other
        # connections open.
        with Transaction().start(DB_NAME, 0) as transaction:
            target = sqlite3.connect(cls.path)
            transaction.connection.backup(target)
            target.close()
        cls.addClassCleanup(Pool.stop, NAME)
        cls.addClassCleanup(Cache.drop, NAME)
        Pool(NAME).init()
        with Transaction().start(NAME, 0) as transaction:
            cls._setup_data()
            transaction.commit()

    def _commit_elsewhere(self, amount):
        """Set the amount of the first opportunity with a connection of
        SQLite's own, as another process would"""
        connection = sqlite3.connect(self.path)
        try:
            connection.execute(
                'UPDATE sale_opportunity SET amount = ? WHERE id = ?',
                (amount, self.opportunity_ids[0]))
            connection.commit()
        finally:
            connection.close()

    def test_no_stamp(self):
        "No stamp in a transaction that may write nor in memory"
        self.assertIsNone(self._stamp(readonly=False))
        with Transaction().start(DB_NAME, 0, readonly=True):
            self.assertIsNone(data_stamp())

    def test_commit_during_search(self):
        "A search keeps no rows when a commit came while it computed them"
        Report = Pool(self.database).get('crm.lost.report')
        table_query = Report.table_query
        stamps = []

        def committing():
            stamps.append(data_stamp())
            self._commit_elsewhere(Decimal(110))
            return table_query()
        with patch.object(Report, 'table_query', committing):
            ids = self._search()
        with Transaction().start(self.database, 0, readonly=True,
                context=self._context()):
            key = (Report.__name__, 0, Pool().get('ir.date').today(),
                stamps[0])
            self.assertIsNone(_kept_rows.get(key))
        self.assertEqual(self._read(ids), [(3, Decimal(160))])

    def test_dates(self):
        "The dates of the kept rows are read as dates"
        Report = Pool(self.database).get('crm.analysis.tracking')
        table_query = Report.table_query
        computed = []

        def counted():
            computed.append(True)
            return table_query()
        context = dict(self._context(), period='month')
        with patch.object(Report, 'table_query', counted):
            with Transaction().start(self.database, 0, readonly=True,
                    context=context):
                ids = [r.id for r in Report.search([])]
            with Transaction().start(self.database, 0, readonly=True,
                    context=context):
                today = Pool().get('ir.date').today()
                rows = Report.read(ids, ['date', 'created', 'open'])
        self.assertEqual(
            [(r['date'], r['created'], r['open']) for r in rows],
            [(today.replace(day=1), 3, 3)])
        self.assertEqual(len(computed), 1)


@unittest.skipUnless(
    backend.name == 'postgresql', "the transactions' snapshots")
class PostgreSQLKeptRowsTestCase(KeptRowsTests, CommittedTestCase):
    "The rows kept on PostgreSQL"
    database = DB_NAME

    def _commit_elsewhere(self, amount):
        "Set the amount of the first opportunity in another transaction"
        with Transaction().start(DB_NAME, 0) as transaction:
            table = Pool().get('sale.opportunity').__table__()
            transaction.connection.cursor().execute(*table.update(
                    [table.amount], [amount],
                    where=table.id == self.opportunity_ids[0]))
            transaction.commit()
