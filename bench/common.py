# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What the benchmark scripts share: the -c/-d arguments, creating a
database and activating crm_plus in it with the demo's administrator."""
import argparse
import os
import subprocess
import sys
import tempfile
import time


def argument_parser(description, database_help=None, database_default=None):
    "Return a parser with the trytond configuration and database options"
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        '-c', '--config', dest='configfile', metavar='FILE',
        default=os.environ.get('TRYTOND_CONFIG'),
        help="the trytond configuration file "
        "(default: the TRYTOND_CONFIG environment variable)")
    parser.add_argument(
        '-d', '--database', dest='database', default=database_default,
        help=database_help)
    return parser


def parse_options(parser):
    "Parse the arguments; every script needs the trytond configuration"
    options = parser.parse_args()
    if not options.configfile:
        parser.error("a trytond configuration file is required (-c)")
    return options


def database_exists(name):
    from trytond.transaction import Transaction
    with Transaction().start(
            None, 0, readonly=True, close=True) as transaction:
        return name in transaction.database.list()


def create_database(name, drop=False):
    from trytond import backend
    from trytond.transaction import Transaction
    if drop:
        # Release the connections to the database, or it cannot be dropped.
        backend.Database(name).close()
    with Transaction().start(
            None, 0, close=True, autocommit=True) as transaction:
        database = transaction.database
        if drop:
            database.drop(transaction.connection, name)
        database.create(transaction.connection, name)


def activate(configfile, database, email):
    """Activate crm_plus with its dependencies; the administrator gets the
    demo password so that every benchmark database opens the same way.
    Return the exit code of trytond-admin."""
    from trytond.modules.crm_plus.demo.generator import PASSWORD
    started = time.monotonic()
    bindir = os.path.dirname(sys.executable)
    with tempfile.NamedTemporaryFile('w', suffix='.pass') as password:
        password.write(PASSWORD)
        password.flush()
        result = subprocess.run([
                os.path.join(bindir, 'trytond-admin'),
                '-c', configfile, '-d', database,
                '--all', '--activate-dependencies', '-u', 'crm_plus',
                '--email', email],
            env=dict(os.environ, TRYTONPASSFILE=password.name))
    if not result.returncode:
        print("Activated crm_plus in %.0f s" % (time.monotonic() - started),
            file=sys.stderr)
    return result.returncode
