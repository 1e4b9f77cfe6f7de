#!/usr/bin/env python3
# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Time 1,000 opportunity writes with the audit trail and without it.

The database is created afresh, crm_plus activated, and a company with
1,000 opportunities of one line each created and committed. Then, each in
a transaction rolled back, and alternating the two sides to share the
machine's noise:
- one write of the 1,000 opportunities at once (a batch, as server code
  and imports write);
- 1,000 writes of one opportunity each (as users saving forms, without
  the RPC around them);
each changing the description, the amount and the employee (a Many2One,
whose names the trail records), with the trail and with the trail turned
off (its audited fields emptied, so the write goes straight to the rest of
crm_plus and the host): the baseline.
"""
import os
import statistics
import sys
import time
from decimal import Decimal
from unittest.mock import patch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (  # noqa: E402
    activate, argument_parser, create_database, database_exists,
    parse_options)


def parse_arguments():
    parser = argument_parser(
        __doc__.splitlines()[0], database_default='bench_audit',
        database_help="the database, dropped and created again "
        "(default: %(default)s)")
    parser.add_argument('--opportunities', type=int, default=1000)
    parser.add_argument('--repeat', type=int, default=3,
        help="runs of each side (default: %(default)s); the median counts")
    return parser, parse_options(parser)


def populate(count):
    "A company, two employees and the opportunities; return their ids"
    from trytond.modules.company.tests import (
        create_company, create_employee, set_company)
    from trytond.pool import Pool
    pool = Pool()
    Opportunity = pool.get('sale.opportunity')
    Party = pool.get('party.party')
    company = create_company()
    with set_company(company):
        employees = [create_employee(company, name)
            for name in ["Ana Ruiz", "Ben Olsen"]]
        parties = Party.create([{'name': "Customer %d" % i}
                for i in range(50)])
        opportunities = []
        for start in range(0, count, 250):
            opportunities += Opportunity.create([{
                        'party': parties[i % len(parties)].id,
                        'employee': employees[0].id,
                        'description': "Deal %d" % i,
                        'amount': Decimal(1000 + i),
                        'lines': [('create', [{
                                        'description': "Service",
                                        'quantity': 1,
                                        'unit_price': Decimal(1000 + i),
                                        }])],
                        } for i in range(start, min(start + 250, count))])
    return (company.id, [e.id for e in employees],
        [o.id for o in opportunities])


def run(database, company_id, employee_ids, ids, trail):
    "Time the batch and the single writes; return them and the entries"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database)
    Opportunity = pool.get('sale.opportunity')
    Entry = pool.get('crm.audit.entry')
    result = {}
    for kind in ['batch', 'single']:
        with Transaction().start(
                database, 1, context={'company': company_id}) as transaction:
            entries = Entry.search([], count=True)
            opportunities = Opportunity.browse(ids)
            with patch.object(
                    Opportunity, '_audit_field_names',
                    classmethod(lambda cls: set())) if not trail \
                    else _nothing():
                begin = time.monotonic()
                if kind == 'batch':
                    Opportunity.write(opportunities, {
                            'description': "Revised",
                            'amount': Decimal(5000),
                            'employee': employee_ids[1],
                            })
                else:
                    for i, opportunity in enumerate(opportunities):
                        Opportunity.write([opportunity], {
                                'description': "Revised %d" % i,
                                'amount': Decimal(5000 + i),
                                'employee': employee_ids[1],
                                })
                result[kind] = time.monotonic() - begin
            result[kind + '_entries'] = (
                Entry.search([], count=True) - entries)
            transaction.rollback()
    return result


class _nothing:
    def __enter__(self):
        pass

    def __exit__(self, *args):
        pass


def main():
    _, options = parse_arguments()
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
    from trytond.transaction import Transaction
    Pool(options.database).init()
    with Transaction().start(options.database, 0) as transaction:
        begin = time.monotonic()
        company_id, employee_ids, ids = populate(options.opportunities)
        transaction.commit()
    print("Created %d opportunities in %.0f s" % (
            len(ids), time.monotonic() - begin), file=sys.stderr)

    runs = {True: [], False: []}
    for _ in range(options.repeat):
        for trail in [True, False]:
            runs[trail].append(run(
                    options.database, company_id, employee_ids, ids, trail))
    backend.Database(options.database).close()

    def median(trail, kind):
        return statistics.median(r[kind] for r in runs[trail])

    print("| database | opportunities | write | with the trail "
        "| without (baseline) | ratio | entries |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for kind, label in [
            ('batch', "one write of all"), ('single', "one write each")]:
        with_, without = median(True, kind), median(False, kind)
        print("| %s | %d | %s | %.2f s (%.1f ms each) | %.2f s "
            "(%.1f ms each) | %.2f | %d |" % (
                backend.name, len(ids), label,
                with_, with_ * 1000 / len(ids),
                without, without * 1000 / len(ids),
                with_ / without, runs[True][0][kind + '_entries']))


if __name__ == '__main__':
    sys.exit(main())
