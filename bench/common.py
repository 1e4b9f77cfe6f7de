# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What the benchmark scripts share: the -c/-d arguments, creating a
database and activating crm_plus in it with the demo's administrator."""
import argparse
import contextlib
import gzip
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from base64 import b64encode


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


def generate(options):
    "Build the demo database at the base scale with bench/generate.py"
    subprocess.run([
            sys.executable,
            os.path.join(
                os.path.dirname(os.path.abspath(__file__)), 'generate.py'),
            '-c', options.configfile, '-d', options.database,
            '--scale', str(options.base_scale)],
        check=True, stdout=subprocess.DEVNULL)


def multiply(database, target, models_of):
    """Copy the opportunities and their records until target are there.
    models_of(pool) returns the models to copy, parents first, each with its
    Many2One columns that point to another copied model. Copy k of a row
    gets id + k * step of its table, so that references between copied rows
    keep pointing within the same copy; Reference columns (origins) that
    point to a copied model are shifted the same way."""
    from sql import Cast, Table
    from sql.aggregate import Count, Max
    from sql.conditionals import Case
    from sql.functions import Substring
    from sql.operators import Concat

    from trytond import backend
    from trytond.model import fields
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool(database)
    pool.init()
    with Transaction().start(database, 0) as transaction:
        cursor = transaction.connection.cursor()
        opportunity = Table('sale_opportunity')
        cursor.execute(*opportunity.select(
                Count(opportunity.id), Max(opportunity.id)))
        count, _ = cursor.fetchone()
        copies = -(-target // count) - 1
        if copies <= 0:
            return count
        models = models_of(pool)
        copied = {name for name, _ in models}
        steps, columns, references = {}, {}, {}
        for name, _ in models:
            Model = pool.get(name)
            table = Model._table
            cursor.execute('SELECT * FROM "%s" WHERE 1 = 0' % table)
            columns[name] = [d[0] for d in cursor.description]
            sql_table = Table(table)
            cursor.execute(*sql_table.select(Max(sql_table.id)))
            steps[name] = (cursor.fetchone()[0] or 0) + 1
            references[name] = {
                field_name for field_name, field in Model._fields.items()
                if isinstance(field, fields.Reference)
                and field_name in columns[name]}

        def shift_reference(value, k):
            cases = []
            for target_name in copied:
                prefix = target_name + ','
                cases.append((value.like(prefix + '%'), Concat(prefix, Cast(
                                Cast(Substring(value, len(prefix) + 1),
                                    'INTEGER') + k * steps[target_name],
                                'VARCHAR'))))
            return Case(*cases, else_=value)

        for k in range(1, copies + 1):
            for name, pointers in models:
                table = Table(pool.get(name)._table)
                values = []
                for column in columns[name]:
                    value = getattr(table, column)
                    if column == 'id':
                        value = value + k * steps[name]
                    elif column in pointers:
                        value = value + k * steps[pointers[column]]
                    elif column in references[name]:
                        value = shift_reference(value, k)
                    elif name == 'sale.opportunity' and column == 'number':
                        value = Concat(value, '/%d' % k)
                    values.append(value)
                where = table.id < steps[name]
                cursor.execute(*table.insert(
                        [getattr(table, c) for c in columns[name]],
                        table.select(*values, where=where)))
            print("copy %d of %d" % (k, copies), file=sys.stderr)
        if backend.name == 'postgresql':
            for name, _ in models:
                table = pool.get(name)._table
                cursor.execute(
                    "SELECT setval('%s_id_seq', (SELECT MAX(id) FROM \"%s\"))"
                    % (table, table))
            transaction.commit()
            # Fresh statistics, as autovacuum would give them in time.
            cursor.execute('ANALYZE')
        transaction.commit()
        return count * (copies + 1)


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Client:
    "The JSON-RPC calls of sao, with the session it gets at login"

    def __init__(self, url, database):
        self.url = '%s/%s/rpc/' % (url, database)
        self.authorization = None
        self.context = {}

    def call(self, method, *params):
        request = urllib.request.Request(
            self.url, json.dumps({
                    'id': 0, 'method': method, 'params': params,
                    }).encode(),
            # As a browser: the server streams long answers compressed.
            {'Content-Type': 'application/json', 'Accept-Encoding': 'gzip'})
        if self.authorization:
            request.add_header('Authorization', self.authorization)
        with urllib.request.urlopen(request) as response:
            data = response.read()
        if data[:2] == b'\x1f\x8b':
            data = gzip.decompress(data)
        result = json.loads(data)
        if result.get('error'):
            raise RuntimeError(result['error'])
        return result['result']

    def login(self, login, password):
        user_id, session = self.call(
            'common.db.login', login, {'password': password}, 'en')[:2]
        self.authorization = 'Session ' + b64encode(
            ('%s:%s:%s' % (login, user_id, session)).encode()).decode()
        self.context = self.call('model.res.user.get_preferences', True, {})


def start_server(configfile, database, port):
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, TRYTOND_WEB__LISTEN='127.0.0.1:%d' % port)
    server = subprocess.Popen(
        [os.path.join(bindir, 'trytond'), '-c', configfile, '-d', database],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # The server loads the database's pool (-d) before it listens, so the
    # first request does not pay for it.
    for _ in range(120):
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1):
                return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise RuntimeError("trytond did not start on port %d" % port)


@contextlib.contextmanager
def admin_client(options):
    """A trytond server of the database on a free port and a client logged
    in as the demo's administrator, the server stopped on exit"""
    from trytond.modules.crm_plus.demo.generator import PASSWORD
    port = free_port()
    server = start_server(options.configfile, options.database, port)
    try:
        client = Client('http://127.0.0.1:%d' % port, options.database)
        client.login('admin', PASSWORD)
        yield client
    finally:
        server.terminate()
        server.wait()
