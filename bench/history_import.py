#!/usr/bin/env python3
# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Time the import of a sales history file against the plain create.

A CSV file of opportunities with one line each (85 customers known by
name, 7 products, one employee; a fifth leads, the rest open, won, lost
and cancelled, with their stages, dates, amounts and lost reasons) is
imported through the import method of CRM > Configuration > Import Sales
History, as the administrator with the company of the preferences in the
context: reading and checking the file, then creating the records in
their state and backdating their stage history.

The baseline, in the same run: the host's plain create of the same
records (`sale.opportunity` create with the lines, the states, dates and
every price given), by lists of 250. Each timing is rolled back.
"""
import cProfile
import datetime
import os
import pstats
import random
import sys
import time
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (  # noqa: E402
    activate, argument_parser, create_database, database_exists,
    parse_options)
from import_contacts import set_up_company  # noqa: E402
from opportunity_load import set_up_catalogue  # noqa: E402

STATES = ['lead'] * 20 + ['opportunity'] * 30 + ['won'] * 25 + [
    'lost'] * 15 + ['cancelled'] * 10
STAGES = ['Qualification', 'Needs Analysis', 'Proposal', 'Negotiation',
    'Closing']
REASONS = ['Price', 'Product Fit', 'No Budget', 'Timing']
HEADER = ['reference', 'party', 'employee', 'sales method', 'stage',
    'state', 'start date', 'close date', 'lost reason', 'product',
    'quantity', 'unit price']


def parse_arguments():
    parser = argument_parser(
        __doc__.splitlines()[0], database_default='bench_history',
        database_help="the database, dropped and created again "
        "(default: %(default)s)")
    parser.add_argument('--opportunities', type=int, default=2000)
    parser.add_argument('--seed', type=int, default=42)
    parser.add_argument(
        '--profile', metavar='FILE',
        help="also profile an import and write its statistics to FILE")
    return parse_options(parser)


def set_up_employee(database, user, context):
    "The employee who sold the history, committed"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database)
    with Transaction().start(database, user, context=context) as transaction:
        Employee = pool.get('company.employee')
        Party = pool.get('party.party')
        party, = Party.create([{'name': "Bench Rep", 'party_kind': 'person'}])
        Employee.create([{'party': party.id, 'company': context['company']}])
        transaction.commit()


def history(count, seed):
    "The deals of the file, as rows of the header's columns"
    rng = random.Random(seed)
    today = datetime.date.today()
    rows = []
    for n in range(count):
        state = rng.choice(STATES)
        start = today - datetime.timedelta(days=rng.randrange(60, 900))
        close = start + datetime.timedelta(days=rng.randrange(1, 59))
        rows.append({
                'reference': 'H-%05d' % n,
                'party': "Customer %d" % rng.randrange(85),
                'employee': "Bench Rep",
                'sales method': "Standard Sale",
                'stage': rng.choice(STAGES),
                'state': state,
                'start date': start,
                'close date': close if state != 'lead' else None,
                'lost reason': (rng.choice(REASONS) if state == 'lost'
                    else None),
                'product': "Product %d" % rng.randrange(7),
                'quantity': rng.choice([1, 2, 5, 10]),
                'unit price': Decimal(rng.choice([90, 95, 100])),
                })
    return rows


def to_csv(rows):
    lines = [','.join(HEADER)]
    for row in rows:
        lines.append(','.join(
                '' if row[c] is None else str(row[c]) for c in HEADER))
    return '\n'.join(lines).encode('utf-8')


def plain_values(rows, context):
    "The same records for the host's create, every id and price given"
    from trytond.pool import Pool
    pool = Pool()
    Employee = pool.get('company.employee')
    LostReason = pool.get('crm.lost_reason')
    Party = pool.get('party.party')
    Product = pool.get('product.product')
    Stage = pool.get('crm.stage')
    parties = {p.name: p.id for p in Party.search([])}
    products = {p.name: p for p in Product.search([])}
    stages = {s.name: s for s in Stage.search([])}
    reasons = {r.name: r.id for r in LostReason.search([])}
    employee, = Employee.search([('party.name', '=', "Bench Rep")])
    values = []
    for row in rows:
        product = products[row['product']]
        price = row['unit price']
        stage = stages[row['stage']]
        values.append({
                'reference': row['reference'],
                'party': parties[row['party']],
                'employee': employee.id,
                'sales_method': stage.sales_method.id,
                'stage': stage.id,
                'state': row['state'],
                'start_date': row['start date'],
                'end_date': row['close date'],
                'lost_reason_type': reasons.get(row['lost reason']),
                'amount': price * row['quantity'],
                'lines': [('create', [{
                                'product': product.id,
                                'unit': product.sale_uom.id,
                                'quantity': row['quantity'],
                                'base_price': price,
                                'discount': Decimal(0),
                                'unit_price': price,
                                'amount': price * row['quantity'],
                                }])],
                })
    return values


def plain_create(values):
    from trytond.pool import Pool
    Opportunity = Pool().get('sale.opportunity')
    for start in range(0, len(values), 250):
        Opportunity.create(values[start:start + 250])


def timed(database, user, context, run, profile=None):
    "The seconds run takes in a transaction rolled back"
    from trytond.transaction import Transaction
    with Transaction().start(
            database, user, context=context) as transaction:
        prepared = run()
        profiler = cProfile.Profile() if profile else None
        begin = time.monotonic()
        if profiler:
            profiler.enable()
        prepared()
        if profiler:
            profiler.disable()
        elapsed = time.monotonic() - begin
        transaction.rollback()
    if profiler:
        profiler.dump_stats(profile)
        pstats.Stats(profile).sort_stats('cumulative').print_stats(40)
    return elapsed


def main():
    options = parse_arguments()
    from trytond import config
    config.update_etc(options.configfile)
    create_database(
        options.database, drop=database_exists(options.database))
    returncode = activate(
        options.configfile, options.database, 'admin@example.com')
    if returncode:
        return returncode
    from trytond import backend
    from trytond.modules.crm_plus.models.history_import import (
        HistoryReading, import_history)
    from trytond.pool import Pool
    Pool(options.database).init()
    user, context = set_up_company(options.database)
    set_up_catalogue(options.database, user, context)
    set_up_employee(options.database, user, context)
    count = options.opportunities
    rows = history(count, options.seed)
    data = to_csv(rows)
    database = options.database

    def importing(data):
        return lambda: lambda: import_history(data)

    def reading(data):
        return lambda: lambda: HistoryReading(data).check()

    def creating(rows):
        def prepare():
            values = plain_values(rows, context)
            return lambda: plain_create(values)
        return prepare

    # Warm up the caches every timing needs.
    timed(database, user, context, importing(to_csv(history(100, 1))))
    timed(database, user, context, creating(history(100, 1)))
    baseline = timed(database, user, context, creating(rows))
    read = timed(database, user, context, reading(data))
    imported = timed(database, user, context, importing(data))
    if options.profile:
        timed(database, user, context, importing(data),
            profile=options.profile)
    print("| database | opportunities | preview | import | per second "
        "| baseline (plain create) | per second | import / baseline |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print("| %s | %s | %.1f s | %.1f s | %.0f | %.1f s | %.0f | %.2f |" % (
            backend.name, f"{count:,}", read, imported, count / imported,
            baseline, count / baseline, imported / baseline))


if __name__ == '__main__':
    sys.exit(main())
