#!/usr/bin/env python3
# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Time the creation of opportunities with a priced line each.

What a load of a sales history does through the ORM, as the web client's
and integrators' `create` over RPC: opportunities of 85 customers with one
line each (a product of 7, a quantity, the unit price given), in lists of
250, as the administrator with the company and language of the
preferences in the context. The line's list price is still computed, to
tell its discount.

Two timings of the same records, each rolled back:
- the baseline: the same opportunities and lines with every price given
  (list price, discount, unit price, amount), which prices nothing;
- the load: the lines priced as crm_plus prices them.
"""
import cProfile
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


def parse_arguments():
    parser = argument_parser(
        __doc__.splitlines()[0], database_default='bench_load',
        database_help="the database, dropped and created again "
        "(default: %(default)s)")
    parser.add_argument('--opportunities', type=int, default=10000)
    parser.add_argument('--seed', type=int, default=42)
    parser.add_argument(
        '--profile', metavar='FILE',
        help="also profile a load and write its statistics to FILE")
    return parse_options(parser)


def set_up_catalogue(database, user, context):
    "The customers and the products, committed; return their ids"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database)
    with Transaction().start(database, user, context=context) as transaction:
        Party = pool.get('party.party')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        unit, = Uom.search([('name', '=', 'Unit')])
        customers = Party.create([
                {'name': "Customer %d" % n} for n in range(85)])
        templates = Template.create([{
                    'name': "Product %d" % n,
                    'type': 'service',
                    'salable': True,
                    'default_uom': unit.id,
                    'sale_uom': unit.id,
                    'list_price': Decimal(100 * (n + 1)),
                    'products': [('create', [{}])],
                    } for n in range(7)])
        products = [t.products[0].id for t in templates]
        transaction.commit()
    return [c.id for c in customers], products, unit.id


def opportunities(count, customers, products, unit, seed, priced):
    rng = random.Random(seed)
    result = []
    for n in range(count):
        quantity = rng.choice([1, 2, 5, 10])
        unit_price = Decimal(rng.choice([90, 95, 100]))
        line = {
            'product': rng.choice(products),
            'unit': unit,
            'quantity': quantity,
            'unit_price': unit_price,
            }
        if priced:
            line.update({
                    'base_price': unit_price,
                    'discount': Decimal(0),
                    'amount': unit_price * quantity,
                    })
        result.append({
                'party': rng.choice(customers),
                'description': "Deal %d" % n,
                'lines': [('create', [line])],
                })
    return result


def load(values):
    from trytond.pool import Pool
    Opportunity = Pool().get('sale.opportunity')
    for start in range(0, len(values), 250):
        Opportunity.create(values[start:start + 250])


def timed(database, user, context, values, profile=None):
    "The seconds the load of values takes in a transaction rolled back"
    from trytond.transaction import Transaction
    with Transaction().start(
            database, user, context=context) as transaction:
        profiler = cProfile.Profile() if profile else None
        begin = time.monotonic()
        if profiler:
            profiler.enable()
        load(values)
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
    from trytond.pool import Pool
    Pool(options.database).init()
    user, context = set_up_company(options.database)
    customers, products, unit = set_up_catalogue(
        options.database, user, context)
    count = options.opportunities
    args = (customers, products, unit, options.seed)
    # Warm up the caches every timing needs.
    timed(options.database, user, context, opportunities(100, *args, False))
    baseline = timed(options.database, user, context,
        opportunities(count, *args, True))
    loaded = timed(options.database, user, context,
        opportunities(count, *args, False))
    if options.profile:
        timed(options.database, user, context,
            opportunities(count, *args, False), profile=options.profile)
    print("| database | opportunities | load | per second | baseline "
        "(prices given) | load / baseline |")
    print("| --- | --- | --- | --- | --- | --- |")
    print("| %s | %s | %.1f s | %.0f | %.1f s | %.2f |" % (
            backend.name, f"{count:,}", loaded, count / loaded, baseline,
            loaded / baseline))


if __name__ == '__main__':
    sys.exit(main())
