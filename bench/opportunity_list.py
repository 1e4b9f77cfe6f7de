#!/usr/bin/env python3
# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Time a page of the opportunity list, read over RPC like the web client.

The database is the demo at --base-scale (bench/generate.py), whose
opportunities are then copied in SQL, with every record that hangs on
them (lines, activities, stage history, competitors, evaluations,
expenses, ...), until there are --opportunities of them. Copying keeps the
demo's proportions of states, stages, lines and activities and takes
seconds where the ORM would take an hour. The database is kept.

A trytond server is started on the database and a page of --limit rows is
read through JSON-RPC as sao does: `search` with the list's order, then
`read` of the list view's fields (Many2One names included). Two lists are
timed in the same run, on the same rows:
- the baseline: the fields of the host's own opportunity list
  (sale_opportunity's view, without crm_plus);
- the list of crm_plus: every field of the list view as the module
  extends it (stage, days in stage, score, warnings, margins, expenses,
  ...), optional columns included.
Each page is read --repeat times and the median is kept, for the first
page and for a page in the middle of the list.
"""
import os
import statistics
import sys
import time
import xml.etree.ElementTree as ElementTree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (  # noqa: E402
    admin_client, argument_parser, generate, multiply, parse_options)

# Models that hang on opportunities but are not part of what the list
# reads, or belong to other documents: they are not copied.
SKIPPED_PREFIXES = (
    'ir.', 'res.', 'sale.sale', 'sale.line', 'account.', 'stock.',
    'sale.opportunity.reporting')


def parse_arguments():
    parser = argument_parser(
        __doc__.splitlines()[0],
        database_help="the database (default: bench_list_<opportunities>)")
    parser.add_argument('--opportunities', type=int, default=100000)
    parser.add_argument(
        '--base-scale', type=int, default=1000,
        help="the demo scale that is copied (default: %(default)s)")
    parser.add_argument('--limit', type=int, default=80)
    parser.add_argument('--repeat', type=int, default=7)
    options = parse_options(parser)
    options.database = options.database or 'bench_list_%d' % (
        options.opportunities)
    return options


def copied_models(pool):
    """Return the models to copy, parents first, each with its stored
    Many2One columns that point to another copied model"""
    from trytond.model import ModelSQL, fields
    order, links = ['sale.opportunity'], {'sale.opportunity': {}}
    grown = True
    while grown:
        grown = False
        for name, model in pool.iterobject():
            if (name in links or name.startswith(SKIPPED_PREFIXES)
                    or not issubclass(model, ModelSQL)
                    or model._is_table_query()):
                continue
            pointers = {
                field_name: field.model_name
                for field_name, field in model._fields.items()
                if isinstance(field, fields.Many2One)
                and field.model_name in links}
            if pointers:
                links[name] = pointers
                order.append(name)
                grown = True
    for name in order:
        # Self references (a parent influencer) are followed too.
        model = pool.get(name)
        links[name].update({
                field_name: field.model_name
                for field_name, field in model._fields.items()
                if isinstance(field, fields.Many2One)
                and field.model_name in links})
    return [(name, links[name]) for name in order]


def host_list_fields():
    "The fields of sale_opportunity's own list view"
    import trytond.modules.sale_opportunity as host
    path = os.path.join(
        os.path.dirname(host.__file__), 'view', 'opportunity_tree.xml')
    return [
        e.get('name') for e in ElementTree.parse(path).iter('field')]


def read_names(view_fields, names):
    "What sao reads for these columns: a Many2One also with its name"
    read = ['_timestamp', '_write', '_delete']
    for name in names:
        read.append(name)
        if view_fields[name]['type'] in {'many2one', 'reference'}:
            read.append(name + '.rec_name')
    return read


def time_page(client, names, offset, limit, repeat):
    context = client.context
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        ids = client.call(
            'model.sale.opportunity.search', [], offset, limit, None,
            context)
        client.call('model.sale.opportunity.read', ids, names, context)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), len(ids)


def main():
    options = parse_arguments()
    from trytond import backend, config
    config.update_etc(options.configfile)

    generate(options)
    started = time.monotonic()
    count = multiply(options.database, options.opportunities, copied_models)
    print("%d opportunities ready in %.0f s" % (
            count, time.monotonic() - started), file=sys.stderr)

    with admin_client(options) as client:
        view = client.call(
            'model.sale.opportunity.fields_view_get', None, 'tree',
            client.context)
        crm_fields = [
            e.get('name')
            for e in ElementTree.fromstring(view['arch']).iter('field')]
        host_fields = read_names(view['fields'], host_list_fields())
        crm_fields = read_names(view['fields'], crm_fields)
        # A first read warms the server's caches of both lists alike.
        time_page(client, crm_fields, 0, options.limit, 1)
        results = []
        for label, offset in [
                ("first page", 0), ("middle page", count // 2)]:
            host, rows = time_page(
                client, host_fields, offset, options.limit, options.repeat)
            crm, _ = time_page(
                client, crm_fields, offset, options.limit, options.repeat)
            results.append((label, rows, host, crm))

    print("database: %s, opportunities: %d" % (backend.name, count))
    print("host list: %d columns; crm_plus list: %d columns" % (
            len(host_list_fields()), len(view['fields'])))
    print("| page | rows | host list | crm_plus list | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for label, rows, host, crm in results:
        print("| %s | %d | %.0f ms | %.0f ms | %.2f |" % (
                label, rows, 1000 * host, 1000 * crm, crm / host))
    return 0


if __name__ == '__main__':
    sys.exit(main())
