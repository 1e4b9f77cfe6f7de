#!/usr/bin/env python3
# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Prepare a benchmark database: create it, activate crm_plus and fill it
with the demo data at the requested scale.

A database that already holds the demo is kept, so benchmarks run again
without generating it anew (--reset drops it first). The database name
defaults to bench_<scale>_<seed>, so each scale and seed gets its own.
"""
import os
import subprocess
import sys
import time

from sql import Table

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (  # noqa: E402
    activate, argument_parser, create_database, parse_options)


def parse_arguments():
    parser = argument_parser(
        __doc__.splitlines()[0],
        database_help="the database (default: bench_<scale>_<seed>)")
    parser.add_argument(
        '--scale', type=int, default=300, metavar='N',
        help="the number of opportunities (default: %(default)s)")
    parser.add_argument('--seed', type=int, default=42)
    parser.add_argument(
        '--reset', action='store_true',
        help="drop the database first if it exists")
    options = parse_options(parser)
    options.database = options.database or 'bench_%d_%d' % (
        options.scale, options.seed)
    return options


def database_state(name):
    "Return None if the database is missing, else whether it has the demo"
    from trytond import backend
    from trytond.transaction import Transaction
    with Transaction().start(
            None, 0, readonly=True, close=True) as transaction:
        if name not in transaction.database.list():
            return None
    with Transaction().start(name, 0, readonly=True, close=True):
        if not backend.TableHandler.table_exist('res_user'):
            return False
        cursor = Transaction().connection.cursor()
        user = Table('res_user')
        cursor.execute(*user.select(
                user.id, where=user.login == 'crm_admin'))
        return cursor.fetchone() is not None


def main():
    options = parse_arguments()
    from trytond import config
    config.update_etc(options.configfile)
    from trytond.modules.crm_plus.demo.generator import PASSWORD
    from trytond.modules.crm_plus.demo.words import COMPANY

    state = database_state(options.database)
    if state and not options.reset:
        print("%s already holds the demo; --reset generates it again."
            % options.database, file=sys.stderr)
        print(options.database)
        return 0
    if state is None:
        create_database(options.database)
    elif options.reset:
        create_database(options.database, drop=True)

    returncode = activate(
        options.configfile, options.database, 'admin@%s' % COMPANY['domain'])
    if returncode:
        return returncode
    activated = time.monotonic()
    # -O skips the assertions of the host's record instances, whose cost
    # grows with the square of the list size: a quarter of the time.
    result = subprocess.run([
            sys.executable, '-O', '-m', 'trytond.modules.crm_plus.demo',
            '-c', options.configfile, '-d', options.database,
            '--scale', str(options.scale), '--seed', str(options.seed)],
        stdout=sys.stderr)
    if result.returncode:
        return result.returncode
    print("Generated scale %d in %.0f s" % (
            options.scale, time.monotonic() - activated), file=sys.stderr)
    print("login: admin  password: %s" % PASSWORD, file=sys.stderr)
    print(options.database)
    return 0


if __name__ == '__main__':
    sys.exit(main())
