#!/usr/bin/env python3
# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Time the campaign results report read over RPC, against hand-written
SQL.

The database is the one of bench/reports.py (the demo at --base-scale with
its sales processed, invoiced and paid, copied in SQL to --opportunities).
When it has no campaign of crm_plus yet, --campaigns campaigns are created
with the ORM, each with --targets targets and two confirmed expenses, and
the opportunities are spread over them in SQL (one in --unattributed has
none), their sales and invoices taking the campaign of their opportunity
as the ORM gives it to them.

The report (CRM > Marketing > Campaign Results) is read as
bench/reports.py reads the reports: as the demo's administrator with the
context of the report's form, `search` then `read` of the list's columns
(Many2One names included) and `search` then `export_data` of all the rows,
each timed in turn with the hand-written SQL of the same figures and two
RPC calls that do nothing; the median of --repeat rounds.
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
    COPIED, export, floor, interleaved, list_fields, page, sql_runner)

# The same figures as the report for the administrator (a CRM manager: the
# record rules restrict nothing), without filters. {real} makes the
# divisions exact on SQLite, which stores whole decimals as integers; on
# PostgreSQL it is NUMERIC, as the report computes (ROUND of a float with
# digits does not exist there).
REPORT_SQL = """
WITH opp AS (
    SELECT o.marketing_campaign AS campaign, COUNT(*) AS leads,
        SUM(CASE WHEN c.resource IS NOT NULL
            OR o.state IN ('opportunity', 'converted', 'won')
            THEN 1 ELSE 0 END) AS opportunities,
        SUM(CASE WHEN o.state = 'won' THEN 1 ELSE 0 END) AS won
    FROM sale_opportunity o
    LEFT JOIN (SELECT resource FROM ir_model_log
        WHERE event = 'transition'
            AND target IN ('state:opportunity', 'state:converted')
            AND resource LIKE 'sale.opportunity,%%'
        GROUP BY resource) c
        ON c.resource = 'sale.opportunity,' || CAST(o.id AS VARCHAR)
    WHERE o.company = %(company)s AND o.marketing_campaign IS NOT NULL
    GROUP BY o.marketing_campaign),
sold AS (
    SELECT s.id, s.marketing_campaign AS campaign, s.untaxed_amount_cache,
        o.id AS opportunity
    FROM sale_sale s
    JOIN sale_opportunity o
        ON s.origin = 'sale.opportunity,' || CAST(o.id AS VARCHAR)
    WHERE o.company = %(company)s AND o.marketing_campaign IS NOT NULL
        AND s.marketing_campaign IS NOT NULL
        AND s.state IN ('confirmed', 'processing', 'done')),
ordered AS (
    SELECT campaign, SUM(untaxed_amount_cache) AS ordered
    FROM sold GROUP BY campaign),
pairs AS (
    SELECT sold.campaign, il.invoice, MIN(sold.opportunity) AS opportunity
    FROM sold
    JOIN sale_line sl ON sl.sale = sold.id
    JOIN account_invoice_line il
        ON il.origin = 'sale.line,' || CAST(sl.id AS VARCHAR)
    GROUP BY sold.campaign, il.invoice),
ratio AS (
    SELECT opportunity,
        CAST(SUM(COALESCE(cost, 0)) AS {real})
            / NULLIF(CAST(SUM(COALESCE(amount, 0)) AS {real}), 0) AS ratio
    FROM sale_opportunity_line GROUP BY opportunity),
inv AS (
    SELECT p.campaign, i.untaxed_amount_cache AS untaxed,
        CAST(i.untaxed_amount_cache AS {real})
            * CAST(COALESCE((SELECT SUM(l.debit - l.credit)
                FROM account_move_line l
                WHERE l.move = i.move AND l.account = i.account
                    AND l.reconciliation IS NOT NULL), 0)
            - COALESCE((SELECT SUM(l.debit - l.credit)
                FROM "account_invoice-account_move_line" pl
                JOIN account_move_line l ON l.id = pl.line
                WHERE pl.invoice = i.id AND l.reconciliation IS NULL), 0)
                AS {real})
            / NULLIF(CAST(i.total_amount_cache AS {real}), 0) AS paid,
        COALESCE(r.ratio, 0) AS ratio
    FROM account_invoice i
    JOIN pairs p ON p.invoice = i.id AND p.campaign = i.marketing_campaign
    LEFT JOIN ratio r ON r.opportunity = p.opportunity
    WHERE i.type = 'out' AND i.state IN ('posted', 'paid')),
invoiced AS (
    SELECT campaign, SUM(untaxed) AS invoiced, SUM(paid) AS paid,
        SUM(paid * (1 - ratio)) AS margin
    FROM inv GROUP BY campaign),
target AS (
    SELECT campaign, COUNT(*) AS targets,
        SUM(CASE WHEN status IN ('responded', 'lead') THEN 1 ELSE 0 END)
            AS responses
    FROM crm_campaign_target GROUP BY campaign),
cost AS (
    SELECT campaign, SUM(amount) AS cost FROM crm_expense
    WHERE state = 'confirmed' AND campaign IS NOT NULL
        AND company = %(company)s
    GROUP BY campaign)
SELECT m.id, m.name, t.name, COALESCE(target.targets, 0),
    COALESCE(target.responses, 0), COALESCE(opp.leads, 0),
    COALESCE(opp.opportunities, 0), COALESCE(opp.won, 0),
    ROUND(COALESCE(ordered.ordered, 0), 2),
    ROUND(COALESCE(invoiced.invoiced, 0), 2),
    ROUND(COALESCE(invoiced.paid, 0), 2),
    ROUND(COALESCE(invoiced.margin, 0), 2), COALESCE(cost.cost, 0),
    CAST(COALESCE(cost.cost, 0) AS {real}) / NULLIF(opp.leads, 0),
    CAST(COALESCE(cost.cost, 0) AS {real}) / NULLIF(opp.won, 0),
    (COALESCE(invoiced.margin, 0) - CAST(cost.cost AS {real}))
        / NULLIF(CAST(cost.cost AS {real}), 0)
FROM marketing_campaign m
LEFT JOIN crm_campaign_type t ON t.id = m.type
LEFT JOIN target ON target.campaign = m.id
LEFT JOIN opp ON opp.campaign = m.id
LEFT JOIN ordered ON ordered.campaign = m.id
LEFT JOIN invoiced ON invoiced.campaign = m.id
LEFT JOIN cost ON cost.campaign = m.id
WHERE m.company = %(company)s
ORDER BY m.name, m.id
"""


def attribute(database, campaigns, targets, unattributed):
    """Create the campaigns with their targets and expenses when there are
    none, and spread the opportunities, their sales and invoices over them;
    return the number of campaigns"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool(database)
    with Transaction().start(database, 0, readonly=True):
        pool.init()
        User = pool.get('res.user')
        Campaign = pool.get('marketing.campaign')
        admin, = User.search([('login', '=', 'admin')])
        admin_id = admin.id
        company_id = admin.company.id
        currency_id = admin.company.currency.id
        # The demo runs campaigns of its own: the benchmark's are known by
        # their names (which the host writes in lower case).
        existing = Campaign.search(
            [('name', 'ilike', 'bench campaign %')], count=True)
        if existing:
            return existing
    with Transaction().start(database, admin_id, context={
                'company': company_id, 'companies': [company_id],
                'language': 'en'}) as transaction:
        Campaign = pool.get('marketing.campaign')
        CampaignType = pool.get('crm.campaign.type')
        Expense = pool.get('crm.expense')
        ExpenseType = pool.get('crm.expense.type')
        Party = pool.get('party.party')
        Target = pool.get('crm.campaign.target')
        types = CampaignType.create([{'name': n} for n in [
                    "Trade Fair", "Webinar", "E-mail", "Advertising"]])
        records = Campaign.create([{
                    'name': "Bench campaign %03d" % i,
                    'type': types[i % len(types)].id,
                    'company': company_id,
                    'currency': currency_id,
                    } for i in range(campaigns)])
        Campaign.activate(records)
        parties = Party.search([], limit=targets, order=[('id', 'ASC')])
        statuses = ['selected', 'sent', 'opened', 'responded', 'lead']
        Target.create([{
                    'campaign': c.id, 'party': p.id,
                    'status': statuses[(i + j) % len(statuses)],
                    } for i, c in enumerate(records)
                for j, p in enumerate(parties)])
        expense_type, = ExpenseType.search([], limit=1)
        today = datetime.date.today()
        expenses = Expense.create([{
                    'type': expense_type.id, 'campaign': c.id,
                    'amount': Decimal(1000 + 37 * i + 500 * k),
                    'date': today, 'company': company_id,
                    'currency': currency_id,
                    } for i, c in enumerate(records) for k in range(2)])
        Expense.confirm(expenses)
        ids = [c.id for c in records]
        cursor = transaction.connection.cursor()
        # The campaign of each opportunity by its id, none for one in
        # unattributed: as a UTM campaign is read on a visit. The
        # opportunities of the demo's campaigns are spread too.
        cases = ' '.join('WHEN %d THEN %d' % (k, i)
            for k, i in enumerate(ids))
        cursor.execute(
            "UPDATE sale_opportunity SET marketing_campaign = "
            "CASE WHEN MOD(id, %d) = 0 THEN NULL "
            "ELSE CASE MOD(id, %d) %s END END "
            "WHERE company = %d" % (
                unattributed, len(ids), cases, company_id))
        # The ids parsed from the origins: the records are then found by
        # their primary keys, where an origin built from each id would be
        # compared with every row.
        cursor.execute(
            "UPDATE sale_sale SET marketing_campaign = ("
            "SELECT o.marketing_campaign FROM sale_opportunity o "
            "WHERE o.id = CAST(SUBSTR(sale_sale.origin, 18) AS INTEGER)) "
            "WHERE origin LIKE 'sale.opportunity,%'")
        cursor.execute(
            "UPDATE account_invoice SET marketing_campaign = ("
            "SELECT MIN(s.marketing_campaign) FROM account_invoice_line il "
            "JOIN sale_line sl ON sl.id = CASE "
            "WHEN il.origin LIKE 'sale.line,%' "
            "THEN CAST(SUBSTR(il.origin, 11) AS INTEGER) END "
            "JOIN sale_sale s ON s.id = sl.sale "
            "WHERE il.invoice = account_invoice.id) "
            "WHERE type = 'out'")
        transaction.commit()
        return len(ids)


def parse_arguments():
    parser = argument_parser(
        __doc__.splitlines()[0],
        database_help="the database (default: bench_reports)")
    parser.add_argument('--opportunities', type=int, default=100000)
    parser.add_argument(
        '--base-scale', type=int, default=1000,
        help="the demo scale that is copied (default: %(default)s)")
    parser.add_argument('--campaigns', type=int, default=40)
    parser.add_argument('--targets', type=int, default=200,
        help="the targets of each campaign (default: %(default)s)")
    parser.add_argument('--unattributed', type=int, default=7,
        help="one opportunity in this many has no campaign "
        "(default: %(default)s)")
    parser.add_argument('--repeat', type=int, default=7)
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
    count = multiply(
        options.database, options.opportunities, lambda pool: COPIED)
    print("%d opportunities ready in %.0f s" % (
            count, time.monotonic() - started), file=sys.stderr)
    started = time.monotonic()
    campaigns = attribute(options.database, options.campaigns,
        options.targets, options.unattributed)
    print("%d campaigns in %.0f s" % (
            campaigns, time.monotonic() - started), file=sys.stderr)

    connect = connector(options.database)
    model = 'crm.campaign.report'
    with admin_client(options) as client:
        context = dict(client.context, **{
                'from_date': None, 'to_date': None, 'team': None,
                'territory': None, 'employee': None, 'lead_source': None,
                'campaign_type': None})
        params = {'company': client.context['company']}
        sql = REPORT_SQL.format(
            real='REAL' if backend.name == 'sqlite' else 'NUMERIC')
        if backend.name == 'sqlite':
            sql = sql.replace('%%', '%')
        names = list_fields(client, model, context)
        run_sql = sql_runner(connect, backend.name, sql, params)
        times = interleaved(options.repeat,
            floor=lambda: floor(client),
            page=lambda: page(client, model, names, context),
            export=lambda: export(client, model, names, context),
            sql=run_sql)
        run_sql.close()
    rows = times['sql'][1]
    assert times['page'][1] == times['export'][1] == rows, times

    print("database: %s, opportunities: %d, campaigns: %d, "
        "load average: %s" % (backend.name, count, campaigns,
            ' '.join('%.1f' % l for l in os.getloadavg())))
    print("| report | read | rows | over RPC | two empty calls "
        "| hand-written SQL | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for read in ['page', 'export']:
        orm = times[read][0]
        print("| campaign results | %s | %d | %.1f ms | %.1f ms "
            "| %.1f ms | %.2f |" % (
                read, rows, 1000 * orm, 1000 * times['floor'][0],
                1000 * times['sql'][0], orm / times['sql'][0]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
