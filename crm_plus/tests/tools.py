# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"What several test modules share"
import time
from contextlib import contextmanager

from trytond.tests.test_tryton import (
    DB_NAME, TestCase, activate_module, drop_db)
from trytond.transaction import Transaction


class CountingConnection:
    "Records the queries executed through the wrapped connection"

    def __init__(self, wrapped, counter):
        self._wrapped, self._counter = wrapped, counter

    def __getattr__(self, name):
        return getattr(self._wrapped, name)

    def __iter__(self):
        return iter(self._wrapped)

    def cursor(self):
        return CountingConnection(self._wrapped.cursor(), self._counter)

    def execute(self, *args):
        self._counter.append(args[0])
        return self._wrapped.execute(*args)


@contextmanager
def counting_queries():
    """Yield the list that receives the queries executed meanwhile in the
    current transaction: set-based code runs as many for few records as for
    many"""
    transaction = Transaction()
    connection = transaction.connection
    queries = []
    transaction.connection = CountingConnection(connection, queries)
    try:
        yield queries
    finally:
        transaction.connection = connection


def rpc_call(database_name, user_id, model, method, *args, context=None,
        type='model', run_tasks=False):
    """Call the method of the model as the host's dispatcher does for a
    client: RPC conversion (access checks on), then the transaction started
    again with the locks it asks for, or after a lock it did not get

    With run_tasks, the tasks the call queued are run after the commit, as
    the dispatcher does when no queue worker is configured."""
    from trytond import backend
    from trytond.config import config
    from trytond.pool import Pool
    from trytond.rpc import RPC
    from trytond.transaction import TransactionError

    pool = Pool(database_name)
    Model = pool.get(model, type=type)
    rpc = Model.__rpc__.get(method) or RPC(readonly=False, instantiate=0)
    retry = config.getint('database', 'retry')
    count, extras = 0, {}
    while True:
        if count:
            time.sleep(0.02 * count)
        with Transaction().start(
                database_name, user_id, readonly=rpc.readonly,
                **extras) as transaction:
            try:
                c_args, c_kwargs, transaction.context, _ = rpc.convert(
                    Model, *args, context or {})
                result = rpc.result(
                    getattr(Model, method)(*c_args, **c_kwargs))
            except TransactionError as error:
                transaction.rollback()
                error.fix(extras)
                continue
            except backend.DatabaseOperationalError:
                if count < retry:
                    transaction.rollback()
                    count += 1
                    continue
                raise
            transaction.commit()
        if run_tasks:
            from trytond.worker import run_task
            while transaction.tasks:
                run_task(pool, transaction.tasks.pop())
        return result


class CommittedTestCase(TestCase):
    """Tests of sessions at once: the data that _setup_data creates is
    committed for the other connections to see it, and the database is
    dropped afterwards for the next tests"""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('crm_plus')
        cls.addClassCleanup(drop_db)
        with Transaction().start(DB_NAME, 0) as transaction:
            cls._setup_data()
            transaction.commit()

    @classmethod
    def _setup_data(cls):
        raise NotImplementedError
