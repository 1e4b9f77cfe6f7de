# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"What several test modules share"
from contextlib import contextmanager

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
