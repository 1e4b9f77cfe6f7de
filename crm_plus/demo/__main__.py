# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Fill a database that has crm_plus activated with demo data.

    python -m trytond.modules.crm_plus.demo -c trytond.conf -d DATABASE \\
        [--scale OPPORTUNITIES] [--seed SEED]
"""
import argparse
import os
import sys


def parse_arguments(args=None):
    parser = argparse.ArgumentParser(
        prog='python -m trytond.modules.crm_plus.demo',
        description="Create deterministic demo data (a company, its sales "
        "organisation, partners, opportunities, sales, shipments, invoices "
        "and payments, dated in the year before today) in a database where "
        "crm_plus is activated.")
    parser.add_argument(
        '-c', '--config', dest='configfile', metavar='FILE',
        default=os.environ.get('TRYTOND_CONFIG'),
        help="the trytond configuration file "
        "(default: the TRYTOND_CONFIG environment variable)")
    parser.add_argument(
        '-d', '--database', dest='database', required=True,
        help="the database, with crm_plus activated")
    parser.add_argument(
        '--scale', type=int, default=300, metavar='N',
        help="the number of opportunities; partners, employees and "
        "products follow from it (default: %(default)s)")
    parser.add_argument(
        '--seed', type=int, default=42,
        help="the seed of the random choices; the same scale and seed "
        "give the same data (default: %(default)s)")
    parser.add_argument(
        '-q', '--quiet', action='store_true',
        help="do not report progress on standard error")
    options = parser.parse_args(args)
    if options.scale < 1:
        parser.error("--scale must be at least 1")
    return options


def main(args=None):
    options = parse_arguments(args)
    # The configuration chooses the database backend, so it is read before
    # anything imports it.
    from trytond import config
    config.update_etc(options.configfile)

    from .generator import PASSWORD, DemoError, Generator

    def log(message):
        if not options.quiet:
            print(message, file=sys.stderr, flush=True)

    generator = Generator(scale=options.scale, seed=options.seed, log=log)
    try:
        counts = generator.run(options.database)
    except DemoError as exception:
        print("%s: %s" % (options.database, exception), file=sys.stderr)
        return 1

    width = max(map(len, counts))
    for label, count in counts.items():
        print("%s  %d" % (label.ljust(width), count))
    print()
    for login, role, groups in generator.logins:
        print("login: %s  password: %s  role: %s  groups: %s" % (
                login, PASSWORD, role, ", ".join(groups)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
