#!/usr/bin/env python3
# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Time the sales analyses and the forecasts read over RPC, against
hand-written SQL.

The database is the one of bench/reports.py (the demo at --base-scale with
its sales processed and paid, copied in SQL to --opportunities), which
grows when it is given a larger --opportunities. Sales periods and
forecasts are added with the ORM when there are none: the periods of the
fiscal years, the last three months closed (their figures frozen, a commit
submitted near what was won), the current month and quarter open, a
forecast per employee and per sales team in each.

Each analysis (CRM > Reports > Analyses), the forecast accuracy and the
forecasts list are read as bench/reports.py reads the reports: as the
demo's administrator with the context of the report's form, `search` then
`read` of the list's columns (Many2One names included) and `search` then
`export_data` of all the rows, each timed in turn with the hand-written
SQL of the same figures and two RPC calls that do nothing; the median of
--repeat rounds.
"""
import datetime
import os
import sys
import time
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (  # noqa: E402
    admin_client, argument_parser, generate, multiply, parse_options)
from receivable_report import complete_flow, connector  # noqa: E402
from reports import (  # noqa: E402
    COPIED, export, floor, interleaved, list_fields, page)

OPEN = "('lead', 'opportunity', 'converted')"
SOLD = "('confirmed', 'processing', 'done')"


class Dialect:
    "The few expressions that differ between PostgreSQL and SQLite"

    def __init__(self, name):
        self.name = name

    def month(self, expression):
        if self.name == 'sqlite':
            return "strftime('%%Y-%%m-01', %s)" % expression
        return "CAST(DATE_TRUNC('month', %s) AS DATE)" % expression

    def days(self, start, end):
        if self.name == 'sqlite':
            return "(julianday(%s) - julianday(%s))" % (end, start)
        return ("(EXTRACT(EPOCH FROM %s) - EXTRACT(EPOCH FROM %s)) / 86400.0"
            % (end, start))


def won_sql(d, dimension, name_join, joins=''):
    "The won opportunities by a column of the opportunities"
    return """SELECT MIN(o.id), {dimension}, n.name, COUNT(*),
            SUM(COALESCE(o.amount, 0))
        FROM sale_opportunity o {joins}
        LEFT JOIN {name_join} ON n.id = {dimension}
        WHERE o.company = %(company)s AND o.state = 'won'
        GROUP BY {dimension}, n.name
        ORDER BY 5 DESC, 1""".format(
        dimension=dimension, name_join=name_join, joins=joins)


def won_line_sql(d, dimension, name_join, joins='', id_='MIN(l.id)'):
    "The won opportunities by a column of their lines"
    return """SELECT {id_}, {dimension}, n.name,
            COUNT(DISTINCT o.id), SUM(COALESCE(l.amount, 0))
        FROM sale_opportunity o
        JOIN sale_opportunity_line l ON l.opportunity = o.id {joins}
        LEFT JOIN {name_join} ON n.id = {dimension}
        WHERE o.company = %(company)s AND o.state = 'won'
        GROUP BY {dimension}, n.name
        ORDER BY 5 DESC, 1""".format(
        id_=id_, dimension=dimension, name_join=name_join, joins=joins)


def tracking_sql(d):
    return """SELECT e.date, SUM(e.created), SUM(e.won), SUM(e.lost),
            SUM(SUM(e.created) - SUM(e.closed)) OVER (ORDER BY e.date)
        FROM (
            SELECT {start} AS date, 1 AS created, 0 AS won, 0 AS lost,
                0 AS closed
            FROM sale_opportunity WHERE company = %(company)s
            UNION ALL
            SELECT {end},  0,
                CASE WHEN state = 'won' THEN 1 ELSE 0 END,
                CASE WHEN state = 'lost' THEN 1 ELSE 0 END, 1
            FROM sale_opportunity WHERE company = %(company)s
                AND state IN ('won', 'lost', 'cancelled')
                AND end_date IS NOT NULL) e
        GROUP BY e.date
        ORDER BY e.date""".format(
        start=d.month('start_date'), end=d.month('end_date'))


def lead_source_sql(d):
    return """SELECT MIN(o.id), s.name, COUNT(*),
            SUM(CASE WHEN c.date IS NOT NULL
                OR o.state IN ('opportunity', 'converted', 'won')
                THEN 1 ELSE 0 END),
            AVG({days}),
            SUM(CASE WHEN o.state = 'won' THEN COALESCE(o.amount, 0)
                ELSE 0 END)
        FROM sale_opportunity o
        LEFT JOIN (SELECT resource, MIN(create_date) AS date
            FROM ir_model_log
            WHERE event = 'transition'
                AND target IN ('state:opportunity', 'state:converted')
                AND resource LIKE 'sale.opportunity,%%'
            GROUP BY resource) c
            ON c.resource = 'sale.opportunity,' || CAST(o.id AS VARCHAR)
        LEFT JOIN crm_lead_source s ON s.id = o.lead_source
        WHERE o.company = %(company)s
        GROUP BY o.lead_source, s.name
        ORDER BY 3 DESC, 1""".format(
        days=d.days('o.start_date', 'CAST(c.date AS DATE)'))


def cycle_sql(d, dimension, name_join, joins='', id_='MIN(o.id)'):
    days = d.days('o.start_date', 'o.end_date')
    return """SELECT {id_}, n.name, COUNT(DISTINCT o.id),
            COUNT(DISTINCT CASE WHEN o.state = 'won' THEN o.id END),
            AVG({days}),
            AVG(CASE WHEN o.state = 'won' THEN {days} END)
        FROM sale_opportunity o {joins}
        LEFT JOIN {name_join} ON n.id = {dimension}
        WHERE o.company = %(company)s AND o.state IN ('won', 'lost')
            AND o.end_date IS NOT NULL
        GROUP BY {dimension}, n.name
        ORDER BY 3 DESC, 1""".format(id_=id_, days=days, joins=joins,
        dimension=dimension, name_join=name_join)


def stage_time_sql(d):
    return """SELECT s.id, s.name, m.name, s.sequence, s.expected_days,
            COUNT(h.id), AVG({days})
        FROM crm_stage_history h
        JOIN sale_opportunity o ON o.id = h.opportunity
        JOIN crm_stage s ON s.id = h.stage
        JOIN crm_sales_method m ON m.id = s.sales_method
        WHERE h."end" IS NOT NULL AND o.company = %(company)s
        GROUP BY s.id, s.name, m.name, s.sequence, s.expected_days
        ORDER BY s.sales_method, s.sequence, s.id""".format(
        days=d.days('h.start', 'h."end"'))


def turnover_sql(d):
    return """SELECT MIN(r.id), r.state, p.name, r.month, COUNT(*),
            SUM(r.amount), SUM(r.amount * r.probability)
        FROM (SELECT o.id, o.state, o.employee, {month} AS month,
                COALESCE(o.amount, 0) AS amount,
                o.conversion_probability AS probability
            FROM sale_opportunity o
            WHERE o.company = %(company)s AND o.state IN {open}) r
        LEFT JOIN company_employee e ON e.id = r.employee
        LEFT JOIN party_party p ON p.id = e.party
        GROUP BY r.state, r.employee, p.name, r.month
        ORDER BY r.month NULLS LAST, r.state, 1""".format(
        month=d.month('o.end_date'), open=OPEN)


def activity_sql(d):
    return """SELECT MIN(r.id), r.date, p.name, t.name, COUNT(*)
        FROM (SELECT a.id, a.employee, a.type,
                {month} AS date
            FROM crm_activity a
            WHERE a.state = 'done' AND a.company = %(company)s) r
        LEFT JOIN company_employee e ON e.id = r.employee
        LEFT JOIN party_party p ON p.id = e.party
        LEFT JOIN crm_activity_type t ON t.id = r.type
        GROUP BY r.date, r.employee, p.name, r.type, t.name
        ORDER BY r.date, r.employee, r.type, 1""".format(
        month=d.month('COALESCE(a.completed_at, a.start)'))


# The amounts of the lines of each sale, at their price and at the list
# price of their product (of the variant, else of the template).
SALE_AMOUNTS = """SELECT l.sale,
        SUM(COALESCE(l.quantity, 0) * COALESCE(l.unit_price, 0)) AS amount,
        SUM(CASE WHEN COALESCE(vp.list_price, tp.list_price) > 0
            THEN COALESCE(l.quantity, 0) * COALESCE(l.unit_price, 0)
            END) AS priced_amount,
        SUM(CASE WHEN COALESCE(vp.list_price, tp.list_price) > 0
            THEN COALESCE(l.quantity, 0) * u.factor / du.factor
                * COALESCE(vp.list_price, tp.list_price) END) AS list_amount
    FROM sale_line l
    JOIN sale_sale s ON s.id = l.sale
    LEFT JOIN product_product pr ON pr.id = l.product
    LEFT JOIN product_template pt ON pt.id = pr.template
    LEFT JOIN product_uom u ON u.id = l.unit
    LEFT JOIN product_uom du ON du.id = pt.default_uom
    LEFT JOIN product_list_price vp
        ON vp.product = pr.id AND vp.company = s.company
    LEFT JOIN product_list_price tp ON tp.template = pt.id
        AND tp.product IS NULL AND tp.company = s.company
    WHERE l.type = 'line'
    GROUP BY l.sale"""


def quotation_sql(d):
    return """SELECT MIN(s.id), {month}, p.name, t.name, COUNT(*),
            SUM(CASE WHEN s.revision > 1 THEN 1 ELSE 0 END),
            SUM(CASE WHEN s.state IN {sold} THEN 1 ELSE 0 END),
            SUM(CASE WHEN s.state = 'cancelled' THEN 1 ELSE 0 END),
            1 - SUM(a.priced_amount) / SUM(a.list_amount),
            SUM(COALESCE(a.amount, 0)),
            SUM(CASE WHEN s.state IN {sold} THEN COALESCE(a.amount, 0)
                ELSE 0 END)
        FROM sale_sale s
        JOIN sale_opportunity o
            ON s.origin = 'sale.opportunity,' || CAST(o.id AS VARCHAR)
        LEFT JOIN ({amounts}) a ON a.sale = s.id
        LEFT JOIN company_employee e ON e.id = o.employee
        LEFT JOIN party_party p ON p.id = e.party
        LEFT JOIN crm_team t ON t.id = o.team
        WHERE s.state IN ('quotation', 'cancelled', 'confirmed',
                'processing', 'done')
            AND s.quotation_date IS NOT NULL AND o.company = %(company)s
        GROUP BY {month}, o.employee, p.name, o.team, t.name
        ORDER BY 2, 1""".format(month=d.month('s.quotation_date'),
        sold=SOLD, amounts=SALE_AMOUNTS)


def order_status_sql(d):
    return """SELECT MIN(s.id), s.state, s.invoice_state, s.shipment_state,
            COUNT(*), SUM(COALESCE(a.amount, 0))
        FROM sale_sale s
        JOIN sale_opportunity o
            ON s.origin = 'sale.opportunity,' || CAST(o.id AS VARCHAR)
        LEFT JOIN (SELECT l.sale,
                SUM(COALESCE(l.quantity, 0) * COALESCE(l.unit_price, 0))
                    AS amount
            FROM sale_line l WHERE l.type = 'line' GROUP BY l.sale) a
            ON a.sale = s.id
        WHERE s.state IN {sold} AND o.company = %(company)s
        GROUP BY s.state, s.invoice_state, s.shipment_state
        ORDER BY 2, 3, 4, 1""".format(sold=SOLD)


def accuracy_sql(d):
    return """SELECT f.id, p.name, p.start_date, ep.name, t.name, f.quota,
            COALESCE(f.commit_adjusted, f.commit_submitted),
            COALESCE(f.frozen_weighted_pipeline, 0),
            COALESCE(f.frozen_won, 0),
            COALESCE(f.frozen_won, 0) / NULLIF(
                COALESCE(f.commit_adjusted, f.commit_submitted), 0),
            COALESCE(f.frozen_won, 0) / NULLIF(
                COALESCE(f.frozen_weighted_pipeline, 0), 0)
        FROM crm_forecast f
        JOIN crm_sales_period p ON p.id = f.period
        LEFT JOIN company_employee e ON e.id = f.employee
        LEFT JOIN party_party ep ON ep.id = e.party
        LEFT JOIN crm_team t ON t.id = f.team
        WHERE p.state = 'closed' AND p.company = %(company)s
        ORDER BY p.start_date DESC, f.team NULLS FIRST, f.id"""


def forecast_sql(d):
    # The figures of the open periods from the opportunities of the
    # forecast's employee, or of the members of its team and sub-teams;
    # those of the closed periods as frozen.
    return """WITH RECURSIVE subtree(root, team) AS (
            SELECT id, id FROM crm_team
            UNION ALL
            SELECT s.root, t.id FROM crm_team t
            JOIN subtree s ON t.parent = s.team),
        sellers(forecast, employee) AS (
            SELECT f.id, f.employee FROM crm_forecast f
            WHERE f.employee IS NOT NULL
            UNION
            SELECT f.id, m.employee FROM crm_forecast f
            JOIN subtree s ON s.root = f.team
            JOIN crm_team_member m ON m.team = s.team),
        by_employee AS (
            SELECT p.id AS period, o.employee,
                SUM(CASE WHEN o.state IN {open}
                    THEN COALESCE(o.amount, 0) ELSE 0 END) AS pipeline,
                SUM(CASE WHEN o.state IN {open}
                    THEN COALESCE(o.amount, 0)
                        * COALESCE(o.conversion_probability, 0)
                    ELSE 0 END) AS weighted,
                SUM(CASE WHEN o.state = 'won'
                    THEN COALESCE(o.amount, 0) ELSE 0 END) AS won
            FROM crm_sales_period p
            JOIN sale_opportunity o ON o.company = p.company
                AND o.end_date >= p.start_date AND o.end_date <= p.end_date
            WHERE p.state != 'closed' AND p.company = %(company)s
            GROUP BY p.id, o.employee),
        figures AS (
            SELECT x.forecast, SUM(b.pipeline) AS pipeline,
                SUM(b.weighted) AS weighted, SUM(b.won) AS won
            FROM sellers x
            JOIN crm_forecast f ON f.id = x.forecast
            JOIN by_employee b ON b.period = f.period
                AND b.employee = x.employee
            GROUP BY x.forecast),
        lines AS (
            SELECT l.forecast, SUM(COALESCE(o.amount, 0)) AS amount
            FROM crm_forecast_line l
            JOIN sale_opportunity o ON o.id = l.opportunity
            GROUP BY l.forecast)
        SELECT f.id, p.name, p.state, ep.name, t.name, f.quota,
            COALESCE(f.commit_adjusted, f.commit_submitted), l.amount,
            CASE WHEN p.state = 'closed' THEN f.frozen_pipeline
                ELSE COALESCE(g.pipeline, 0) END,
            CASE WHEN p.state = 'closed' THEN f.frozen_weighted_pipeline
                ELSE COALESCE(g.weighted, 0) END,
            CASE WHEN p.state = 'closed' THEN f.frozen_best_case
                ELSE COALESCE(g.won, 0) + COALESCE(g.pipeline, 0) END,
            CASE WHEN p.state = 'closed' THEN f.frozen_won
                ELSE COALESCE(g.won, 0) END
        FROM crm_forecast f
        JOIN crm_sales_period p ON p.id = f.period
        LEFT JOIN figures g ON g.forecast = f.id
        LEFT JOIN lines l ON l.forecast = f.id
        LEFT JOIN company_employee e ON e.id = f.employee
        LEFT JOIN party_party ep ON ep.id = e.party
        LEFT JOIN crm_team t ON t.id = f.team
        WHERE p.company = %(company)s
        ORDER BY p.start_date DESC, f.id""".format(open=OPEN)


FILTERS = {'from_date': None, 'to_date': None, 'team': None,
    'territory': None, 'employee': None, 'product': None,
    'product_category': None, 'industry': None, 'lead_source': None}
PRODUCT_NAME = ("(SELECT pp.id, pt.name FROM product_product pp "
    "JOIN product_template pt ON pt.id = pp.template) n")
EMPLOYEE_NAME = ("(SELECT e.id, p.name FROM company_employee e "
    "JOIN party_party p ON p.id = e.party) n")

# The reports: label, model, the SQL of their figures, their context.
REPORTS = [
    ('won by sales team', 'crm.analysis.won.team',
        lambda d: won_sql(d, 'o.team', 'crm_team n'), FILTERS),
    ('won by territory', 'crm.analysis.won.territory',
        lambda d: won_sql(d, 'o.territory', 'crm_territory n'), FILTERS),
    ('won by industry', 'crm.analysis.won.industry',
        lambda d: won_sql(d, 'pa.industry', 'crm_industry n',
            'LEFT JOIN party_party pa ON pa.id = o.party'), FILTERS),
    ('won by customer', 'crm.analysis.won.party',
        lambda d: won_sql(d, 'o.party', 'party_party n'), FILTERS),
    ('won by product', 'crm.analysis.won.product',
        lambda d: won_line_sql(d, 'l.product', PRODUCT_NAME), FILTERS),
    ('won by product category', 'crm.analysis.won.product_category',
        lambda d: won_line_sql(d, 'tc.category', 'product_category n',
            'JOIN product_product pp ON pp.id = l.product '
            'JOIN "product_template-product_category" tc '
            'ON tc.template = pp.template', id_='tc.category'), FILTERS),
    ('opportunity tracking (months)', 'crm.analysis.tracking',
        tracking_sql, dict(FILTERS, period='month')),
    ('lead sources', 'crm.analysis.lead_source', lead_source_sql, FILTERS),
    ('deal cycle by sales team', 'crm.analysis.cycle.team',
        lambda d: cycle_sql(d, 'o.team', 'crm_team n'), FILTERS),
    ('deal cycle by product', 'crm.analysis.cycle.product',
        lambda d: cycle_sql(d, 'l.product', PRODUCT_NAME,
            'JOIN sale_opportunity_line l ON l.opportunity = o.id',
            'MIN(l.id)'), FILTERS),
    ('time in stages', 'crm.analysis.stage_time', stage_time_sql, FILTERS),
    ('expected turnover', 'crm.analysis.turnover', turnover_sql, FILTERS),
    ('employee activity (months)', 'crm.analysis.activity', activity_sql,
        {'from_date': None, 'to_date': None, 'team': None,
            'territory': None, 'employee': None, 'industry': None,
            'period': 'month'}),
    ('quotation analysis', 'crm.analysis.quotation', quotation_sql,
        FILTERS),
    ('order status', 'crm.analysis.order_status', order_status_sql,
        FILTERS),
    ('forecast accuracy', 'crm.forecast.accuracy', accuracy_sql,
        {'period_type': None, 'from_period': None, 'to_period': None,
            'from_date': None, 'to_date': None, 'team': None,
            'employee': None}),
    ('forecasts', 'crm.forecast', forecast_sql, {}),
    ]


# What the analyses read of the opportunities beyond what bench/reports.py
# copies: their lines, their stays in stages and their activities.
RELATED = [
    ('sale.opportunity.line', {'opportunity': 'sale.opportunity'}),
    ('crm.stage.history', {'opportunity': 'sale.opportunity'}),
    ('crm.activity', {'opportunity': 'sale.opportunity'}),
    ]


def copy_related(database):
    """Give the copies of the demo's opportunities that bench/reports.py
    made the lines, stays in stages and activities of their original, once;
    return the number of copies completed"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool(database)
    pool.init()
    with Transaction().start(database, 0) as transaction:
        cursor = transaction.connection.cursor()
        # The demo's own opportunities are numbered without a copy suffix;
        # copy k of one has its id + k * step.
        cursor.execute("SELECT MAX(id) FROM sale_opportunity "
            "WHERE number NOT LIKE '%/%'")
        step = cursor.fetchone()[0] + 1
        cursor.execute("SELECT MAX(id) FROM sale_opportunity")
        copies = cursor.fetchone()[0] // step
        cursor.execute("SELECT COUNT(*) FROM sale_opportunity_line "
            "WHERE opportunity >= %s" % step)
        if cursor.fetchone()[0]:
            return 0
        for name, _ in RELATED:
            table = pool.get(name)._table
            cursor.execute('SELECT * FROM "%s" WHERE 1 = 0' % table)
            columns = [d[0] for d in cursor.description if d[0] != 'id']
            for k in range(1, copies + 1):
                values = ['opportunity + %d' % (k * step)
                    if c == 'opportunity' else '"%s"' % c for c in columns]
                cursor.execute(
                    'INSERT INTO "%s" (%s) SELECT %s FROM "%s" '
                    'WHERE opportunity < %d' % (
                        table, ', '.join('"%s"' % c for c in columns),
                        ', '.join(values), table, step))
        transaction.commit()
        cursor.execute('ANALYZE')
        transaction.commit()
        return copies


def add_forecasts(database):
    """Create the sales periods and forecasts when there are none; return
    the number of forecasts"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool(database)
    pool.init()
    with Transaction().start(database, 0) as transaction:
        Forecast = pool.get('crm.forecast')
        if Forecast.search([], count=True):
            return Forecast.search([], count=True)
        User = pool.get('res.user')
        admin, = User.search([('login', '=', 'admin')])
        company = admin.company
    # The periods' table locked from the start, as the server's dispatcher
    # locks what their opening and closing ask for.
    with Transaction().start(database, admin.id, context={
                'company': company.id, 'companies': [company.id],
                'language': 'en'},
            _lock_tables=['crm_sales_period']) as transaction:
        pool = Pool()
        Date = pool.get('ir.date')
        Employee = pool.get('company.employee')
        FiscalYear = pool.get('account.fiscalyear')
        Forecast = pool.get('crm.forecast')
        Period = pool.get('crm.sales_period')
        Team = pool.get('crm.team')
        today = Date.today()
        for fiscalyear in FiscalYear.search(
                [('company', '=', company.id)]):
            Period.create_periods(fiscalyear)
        first = today.replace(day=1)
        for _ in range(3):
            first = (first - datetime.timedelta(days=1)).replace(day=1)
        periods = Period.search([
                ('company', '=', company.id),
                ('end_date', '>=', first),
                ('start_date', '<=', today),
                ])
        Period.open(periods)
        employees = Employee.search([('company', '=', company.id)])
        teams = Team.search([('company', '=', company.id)])
        vlist = []
        for period in periods:
            vlist += [{'period': period.id, 'employee': e.id,
                    'quota': Decimal(100000)} for e in employees]
            vlist += [{'period': period.id, 'team': t.id,
                    'quota': Decimal(400000)} for t in teams]
        forecasts = Forecast.create(vlist)
        closed = [p for p in periods if p.end_date < today]
        past = [f for f in forecasts if f.period in closed]
        figures = Forecast.compute_figures(past)
        Forecast.write(*[x for f in past for x in (
                    [f], {'commit_submitted': figures[f.id]['won']})])
        Period.close(closed)
        transaction.commit()
        return len(forecasts)


def parse_arguments():
    parser = argument_parser(
        __doc__.splitlines()[0],
        database_help="the database (default: bench_reports)")
    parser.add_argument('--opportunities', type=int, default=100000)
    parser.add_argument(
        '--base-scale', type=int, default=1000,
        help="the demo scale that is copied (default: %(default)s)")
    parser.add_argument('--repeat', type=int, default=7)
    parser.add_argument(
        '--only', help="only the reports whose label has one of these "
        "comma-separated words")
    options = parse_options(parser)
    options.database = options.database or 'bench_reports'
    return options


def main():
    options = parse_arguments()
    from trytond import config
    config.update_etc(options.configfile)
    # The backend is chosen at import, from the configuration.
    from trytond import backend

    generate(options)
    complete_flow(options.database)
    started = time.monotonic()
    completed = copy_related(options.database)
    print("lines, stays and activities of %d copies" % completed,
        file=sys.stderr)
    count = multiply(options.database, options.opportunities,
        lambda pool: COPIED + RELATED)
    print("%d opportunities ready in %.0f s" % (
            count, time.monotonic() - started), file=sys.stderr)
    forecasts = add_forecasts(options.database)
    print("%d forecasts" % forecasts, file=sys.stderr)

    dialect = Dialect(backend.name)
    connect = connector(options.database)
    results = []
    only = set(options.only.split(',')) if options.only else None
    with admin_client(options) as client:
        params = {'company': client.context['company']}
        for label, model, sql, filters in REPORTS:
            if only and not any(o in label for o in only):
                continue
            context = dict(client.context, **filters)
            names = list_fields(client, model, context)
            run_sql = sql_runner(connect, backend.name, sql(dialect), params)
            times = interleaved(options.repeat,
                floor=lambda: floor(client),
                page=lambda: page(client, model, names, context),
                export=lambda: export(client, model, names, context),
                sql=run_sql)
            run_sql.close()
            rows = times['page'][1]
            if not times['export'][1] == times['sql'][1] == rows:
                print("%s: %d rows read, %d exported, %d by SQL" % (
                        label, rows, times['export'][1], times['sql'][1]),
                    file=sys.stderr)
            for read in ['page', 'export']:
                results.append((label, read, rows, times[read][0],
                        times['sql'][0], times['floor'][0]))
            print("%s done" % label, file=sys.stderr)

    print("database: %s, opportunities: %d, load average: %s" % (
            backend.name, count,
            ' '.join('%.1f' % l for l in os.getloadavg())))
    print("| report | read | rows | over RPC | two empty calls "
        "| hand-written SQL | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label, read, rows, orm, sql, empty in results:
        print("| %s | %s | %d | %.1f ms | %.1f ms | %.1f ms | %.2f |" % (
                label, read, rows, 1000 * orm, 1000 * empty,
                1000 * sql, orm / sql))
    return 0


def sql_runner(connect, backend_name, sql, params):
    "A function executing sql and returning the number of its rows"
    if backend_name == 'sqlite':
        for name in params:
            sql = sql.replace('%%(%s)s' % name, ':%s' % name)
        sql = sql.replace('%%', '%')
    connection = connect()

    def run():
        cursor = connection.cursor()
        cursor.execute(sql, params)
        return len(cursor.fetchall())
    run.close = connection.close
    return run


if __name__ == '__main__':
    sys.exit(main())
