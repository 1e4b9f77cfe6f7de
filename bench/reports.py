#!/usr/bin/env python3
# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Time the CRM reports read over RPC, against hand-written SQL.

The database is the one of bench/receivable_report.py: the demo at
--base-scale (bench/generate.py) whose confirmed sales are processed,
invoiced, posted and paid with the ORM, then copied in SQL with the
opportunities, their competitor lines, sales, moves, invoices and payments
until there are --opportunities of them. The database is kept, and grows
when it is given a larger --opportunities.

A trytond server is started and each report is read as sao does, as the
demo's administrator with the context of the report's form (company,
language and the filters left empty): `search` of the page in the report's
order then `read` of every column of its list (Many2One names included),
and the export of all its rows (`search` then `export_data` of the same
columns; for the receivables the Excel export of the whole report). The
reports are the funnel (the default sales method), the lost opportunities,
the competitor win/loss and the receivables (a page of --limit rows). In
the same run, the same figures are read by the hand-written SQL a developer
would write (one query, names joined) through psycopg or sqlite3, and two
RPC calls that do nothing (what any page costs over HTTP: session check,
transaction). Each is repeated --repeat times, the reads in turn so that
they share the load of the machine alike, and the median kept.
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (  # noqa: E402
    admin_client, argument_parser, generate, multiply, parse_options)
from receivable_report import (  # noqa: E402
    COLUMNS as RECEIVABLE_COLUMNS, COPIED as RECEIVABLE_COPIED,
    complete_flow, connector, report_sql as receivable_sql, time_report,
    time_xlsx)

COPIED = RECEIVABLE_COPIED + [
    ('sale.opportunity.competitor', {'opportunity': 'sale.opportunity'}),
    ]

OPEN = "('lead', 'opportunity', 'converted')"

FUNNEL_SQL = """SELECT s.id, m.name, s.name, s.sequence,
        COALESCE(c.number, 0), COALESCE(c.amount, 0),
        COALESCE(s.funnel_share, 0),
        CAST(COALESCE(c.number, 0) AS FLOAT)
            / NULLIF(SUM(COALESCE(c.number, 0)) OVER (
                PARTITION BY s.sales_method), 0)
    FROM crm_stage s
    JOIN crm_sales_method m ON m.id = s.sales_method
    LEFT JOIN (SELECT o.stage, COUNT(*) AS number,
            SUM(COALESCE(o.amount, 0)) AS amount
        FROM sale_opportunity o
        WHERE o.company = %(company)s AND o.state IN {open}
            AND o.stage IS NOT NULL
        GROUP BY o.stage) c ON c.stage = s.id
    WHERE s.sales_method = %(method)s
    ORDER BY s.sales_method, s.sequence, s.id""".format(open=OPEN)

LOST_SQL = """SELECT MIN(o.id), r.name, c.name, COUNT(*),
        SUM(COALESCE(o.amount, 0))
    FROM sale_opportunity o
    LEFT JOIN crm_lost_reason r ON r.id = o.lost_reason_type
    LEFT JOIN crm_competitor c ON c.id = o.winning_competitor
    WHERE o.company = %(company)s AND o.state = 'lost'
    GROUP BY o.lost_reason_type, r.name, o.winning_competitor, c.name,
        o.currency
    ORDER BY COUNT(*) DESC, r.name"""

COMPETITOR_SQL = """SELECT MIN(l.id), c.name, COUNT(*), SUM(o.amount),
        SUM(CASE WHEN o.state = 'won' THEN 1 ELSE 0 END),
        SUM(CASE WHEN o.state = 'won' THEN o.amount ELSE 0 END),
        SUM(CASE WHEN o.state = 'lost'
            AND o.winning_competitor = l.competitor THEN 1 ELSE 0 END),
        SUM(CASE WHEN o.state = 'lost'
            AND o.winning_competitor = l.competitor
            THEN o.amount ELSE 0 END),
        SUM(CASE WHEN o.state = 'lost' AND (o.winning_competitor IS NULL
                OR o.winning_competitor != l.competitor)
            THEN 1 ELSE 0 END)
    FROM sale_opportunity_competitor l
    JOIN sale_opportunity o ON o.id = l.opportunity
    JOIN crm_competitor c ON c.id = l.competitor
    WHERE o.company = %(company)s
    GROUP BY l.competitor, c.name, o.currency
    ORDER BY COUNT(*) DESC, c.name"""

# The reports: model, the SQL of their figures, the context of their form.
REPORTS = [
    ('funnel', 'crm.funnel', FUNNEL_SQL,
        {'team': None, 'territory': None, 'employee': None}),
    ('lost opportunities', 'crm.lost.report', LOST_SQL,
        {'from_date': None, 'to_date': None, 'team': None,
            'territory': None, 'employee': None}),
    ('competitor win/loss', 'crm.competitor.report', COMPETITOR_SQL,
        {'from_date': None, 'to_date': None, 'team': None,
            'territory': None, 'employee': None}),
    ]


def parse_arguments():
    parser = argument_parser(
        __doc__.splitlines()[0],
        database_help="the database (default: bench_reports)")
    parser.add_argument('--opportunities', type=int, default=100000)
    parser.add_argument(
        '--base-scale', type=int, default=1000,
        help="the demo scale that is copied (default: %(default)s)")
    parser.add_argument('--limit', type=int, default=80,
        help="the rows of a page of the receivables (default: %(default)s)")
    parser.add_argument('--repeat', type=int, default=7)
    parser.add_argument(
        '--whole-repeat', type=int, default=3,
        help="the Excel exports of the whole receivables report "
        "(default: %(default)s; 0 skips it)")
    options = parse_options(parser)
    options.database = options.database or 'bench_reports'
    return options


def list_fields(client, model, context):
    "The fields sao reads for the list view of model"
    view = client.call(
        'model.%s.fields_view_get' % model, None, 'tree', context)
    names = ['_timestamp', '_write', '_delete']
    for name, field in view['fields'].items():
        names.append(name)
        if field['type'] == 'many2one':
            names.append(name + '.rec_name')
    return names


def page(client, model, names, context):
    "search then read of the whole list, as sao loads it; return its rows"
    ids = client.call('model.%s.search' % model, [], 0, 1000, None, context)
    client.call('model.%s.read' % model, ids, names, context)
    return len(ids)


def export(client, model, names, context):
    "The export of every row: search then export_data; return its rows"
    names = [n for n in names if not n.startswith('_')
        and not n.endswith('.rec_name')]
    names = [n + '/rec_name' if n + '.rec_name' in names else n
        for n in names]
    ids = client.call('model.%s.search' % model, [], 0, None, None, context)
    rows = client.call(
        'model.%s.export_data' % model, ids, names, True, context)
    return len(rows) - 1


def floor(client):
    """Two calls that do nothing, as a page makes two calls: what any page
    costs over RPC (HTTP, session check, transaction)"""
    client.call('model.ir.date.today', client.context)
    client.call('model.ir.date.today', client.context)


def sql_runner(connect, backend_name, sql, params):
    "A function executing sql and returning the number of its rows"
    if backend_name == 'sqlite':
        for name in params:
            sql = sql.replace('%%(%s)s' % name, ':%s' % name)
    connection = connect()

    def run():
        cursor = connection.cursor()
        cursor.execute(sql, params)
        return len(cursor.fetchall())
    run.close = connection.close
    return run


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def interleaved(repeat, **functions):
    """Call each function in turn, repeat times, so that all share the load
    of the machine alike; return the median time and the last result of
    each"""
    for function in functions.values():
        function()
    timings = {n: [] for n in functions}
    results = {}
    for _ in range(repeat):
        for name, function in functions.items():
            duration, results[name] = timed(function)
            timings[name].append(duration)
    return {n: (statistics.median(t), results[n])
        for n, t in timings.items()}


def receivable_params(backend_name, company):
    import datetime
    params = {'company': company, 'today': datetime.date.today()}
    if backend_name == 'sqlite':
        params['today'] = params['today'].isoformat()
    return params


def main():
    options = parse_arguments()
    from trytond import config
    config.update_etc(options.configfile)
    # The backend is chosen at import, from the configuration.
    from trytond import backend

    generate(options)
    started = time.monotonic()
    complete_flow(options.database)
    print("flow completed in %.0f s" % (time.monotonic() - started),
        file=sys.stderr)
    started = time.monotonic()
    count = multiply(
        options.database, options.opportunities, lambda pool: COPIED)
    print("%d opportunities ready in %.0f s" % (
            count, time.monotonic() - started), file=sys.stderr)

    connect = connector(options.database)
    results = []
    with admin_client(options) as client:
        company = client.context['company']
        method, = client.call(
            'model.crm.sales_method.search', [], 0, 1, [['id', 'ASC']],
            client.context)
        params = {'company': company, 'method': method}
        for label, model, sql, filters in REPORTS:
            context = dict(client.context, **filters)
            if model == 'crm.funnel':
                context['sales_method'] = method
            names = list_fields(client, model, context)
            run_sql = sql_runner(connect, backend.name, sql, params)
            times = interleaved(options.repeat,
                floor=lambda: floor(client),
                page=lambda: page(client, model, names, context),
                export=lambda: export(client, model, names, context),
                sql=run_sql)
            run_sql.close()
            sql_time, sql_rows = times['sql']
            assert times['page'][1] == times['export'][1] == sql_rows, (
                label, times)
            results.append((label, "page (all rows)", sql_rows,
                    times['page'][0], sql_time, times['floor'][0]))
            results.append((label, "export", sql_rows,
                    times['export'][0], sql_time, times['floor'][0]))

        client.context = dict(client.context, **{
                'from_date': None, 'to_date': None, 'team': None,
                'territory': None, 'employee': None})
        view = client.call(
            'model.crm.receivable.report.fields_view_get', None, 'tree',
            client.context)
        names = ['_timestamp', '_write', '_delete']
        for name in RECEIVABLE_COLUMNS:
            names.append(name)
            if view['fields'].get(name, {}).get('type') == 'many2one':
                names.append(name + '.rec_name')
        params = receivable_params(backend.name, company)
        run_page_sql = sql_runner(connect, backend.name,
            receivable_sql(backend.name, limit=options.limit), params)
        times = interleaved(options.repeat,
            floor=lambda: floor(client),
            page=lambda: len(time_report(
                    client, names, [], options.limit, 1)[1]),
            sql=run_page_sql)
        run_page_sql.close()
        assert times['page'][1] == times['sql'][1]
        results.append(("receivables", "page", times['sql'][1],
                times['page'][0], times['sql'][0], times['floor'][0]))
        if options.whole_repeat:
            run_whole_sql = sql_runner(connect, backend.name,
                receivable_sql(backend.name), params)
            times = interleaved(options.whole_repeat,
                xlsx=lambda: time_xlsx(client, None, 1)[1],
                sql=run_whole_sql)
            run_whole_sql.close()
            assert times['xlsx'][1] == times['sql'][1]
            results.append(("receivables", "Excel export of all rows",
                    times['sql'][1], times['xlsx'][0], times['sql'][0],
                    None))

    print("database: %s, opportunities: %d" % (backend.name, count))
    print("| report | read | rows | over RPC | two empty calls "
        "| hand-written SQL | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label, read, rows, orm, sql, empty in results:
        print("| %s | %s | %d | %.1f ms | %s | %.1f ms | %.2f |" % (
                label, read, rows, 1000 * orm,
                '%.1f ms' % (1000 * empty) if empty is not None else '',
                1000 * sql, orm / sql))
    return 0


if __name__ == '__main__':
    sys.exit(main())
