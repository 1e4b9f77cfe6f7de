# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What identifies the records a read-only transaction sees: the stamp
under which a report keeps the rows its search computed (KeptRowsMixin)."""
import os
import sqlite3
import threading
import uuid

from trytond import backend, config
from trytond.tools import safe_join
from trytond.transaction import Transaction

# The connections that only read SQLite's data_version, by process and
# database file: (identity, connection, the file's device and inode).
_sqlite_watchers = {}
_sqlite_lock = threading.Lock()


def data_stamp():
    """A value that two read-only transactions share only when they see the
    same records, or None when it cannot be known

    A caller keeps what it computed under the stamp taken before computing
    only when the stamp taken after is the same, and reuses it only under
    that same stamp.
    """
    transaction = Transaction()
    if not transaction.readonly:
        return None
    if backend.name == 'postgresql':
        # The snapshot tells which transactions' changes are seen: two
        # transactions with the same snapshot see the same rows.
        cursor = transaction.connection.cursor()
        cursor.execute('SELECT CAST(pg_current_snapshot() AS VARCHAR)')
        return cursor.fetchone()[0]
    if backend.name == 'sqlite':
        return _sqlite_stamp(transaction)
    return None


def _sqlite_stamp(transaction):
    """The stamp of a SQLite database file: a connection of this process
    kept only to read its data_version, and that value.

    trytond opens a connection per transaction, in WAL mode, and runs a
    read-only transaction's SELECTs outside BEGIN: each reads the last
    commit at the time it starts. PRAGMA data_version changes on a
    connection whenever another connection, of any process, committed since
    it was last read there, and never for uncommitted or rolled back
    writes; its value means nothing on another connection, hence a
    connection kept for the process and the identity drawn when it was
    opened (the Cache of the kept rows may be shared between processes). So
    when the stamp is the same before and after a computation, no commit
    happened in between and the computation read the records as they were
    at the first stamp; a later transaction with the same stamp sees those
    records too. A checkpoint of the WAL also changes data_version: the
    rows are then computed again, which is only slower.
    """
    database = transaction.database
    if database.name == ':memory:':
        # A database of its own for each connection.
        return None
    if transaction.connection.in_transaction:
        # Under BEGIN the connection reads the records as they were when it
        # started, not those of the stamp.
        return None
    path = safe_join(config.get('database', 'path'), database.name + '.sqlite')
    try:
        stat = os.stat(path)
    except OSError:
        return None
    file_id = (stat.st_dev, stat.st_ino)
    key = (os.getpid(), path)
    with _sqlite_lock:
        identity, connection, watched = _sqlite_watchers.get(
            key, (None, None, None))
        if watched != file_id:
            # A database dropped and created again under the same name is
            # another file: a connection to the old one would never see its
            # commits.
            if connection is not None:
                connection.close()
            connection = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False)
            identity = uuid.uuid4().hex
            _sqlite_watchers[key] = (identity, connection, file_id)
        (version,), = connection.execute('PRAGMA data_version').fetchall()
    return (identity, version)
