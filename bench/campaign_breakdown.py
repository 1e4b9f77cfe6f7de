#!/usr/bin/env python3
# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Time the campaign results by type, by lead source and over periods read
over RPC, against hand-written SQL.

The database and its campaigns are those of bench/campaign_roi.py, made the
same way when they are missing. Each report (CRM > Marketing > Campaign
Results by Type, by Lead Source, over Periods by month) is read as
bench/reports.py reads the reports: as the demo's administrator with the
context of the report's form, `search` then `read` of the list's columns
and `search` then `export_data` of all the rows, each timed in turn with
the hand-written SQL of the same figures and two RPC calls that do
nothing; the median of --repeat rounds.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from campaign_roi import attribute  # noqa: E402
from common import admin_client, generate, multiply  # noqa: E402
from receivable_report import complete_flow, connector  # noqa: E402
from reports import (  # noqa: E402
    COPIED, export, floor, interleaved, list_fields, page, sql_runner)

# The figures per campaign and dimension (dim): {okey} is the dimension of
# an opportunity (alias o), {ekey} that of an expense (alias e). {real}
# makes the divisions exact on SQLite, which stores whole decimals as
# integers.
FIGURES_SQL = """
WITH opp AS (
    SELECT o.marketing_campaign AS campaign, {okey} AS dim,
        COUNT(*) AS leads,
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
    GROUP BY o.marketing_campaign, {okey}),
sold AS (
    SELECT s.id, s.marketing_campaign AS campaign, {okey} AS dim,
        s.untaxed_amount_cache, o.id AS opportunity
    FROM sale_sale s
    JOIN sale_opportunity o
        ON s.origin = 'sale.opportunity,' || CAST(o.id AS VARCHAR)
    WHERE o.company = %(company)s AND o.marketing_campaign IS NOT NULL
        AND s.marketing_campaign IS NOT NULL
        AND s.state IN ('confirmed', 'processing', 'done')),
ordered AS (
    SELECT campaign, dim, SUM(untaxed_amount_cache) AS ordered
    FROM sold GROUP BY campaign, dim),
pairs AS (
    SELECT sold.campaign, sold.dim, il.invoice,
        MIN(sold.opportunity) AS opportunity
    FROM sold
    JOIN sale_line sl ON sl.sale = sold.id
    JOIN account_invoice_line il
        ON il.origin = 'sale.line,' || CAST(sl.id AS VARCHAR)
    GROUP BY sold.campaign, sold.dim, il.invoice),
ratio AS (
    SELECT opportunity,
        CAST(SUM(COALESCE(cost, 0)) AS {real})
            / NULLIF(CAST(SUM(COALESCE(amount, 0)) AS {real}), 0) AS ratio
    FROM sale_opportunity_line GROUP BY opportunity),
inv AS (
    SELECT p.campaign, p.dim, i.untaxed_amount_cache AS untaxed,
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
    SELECT campaign, dim, SUM(untaxed) AS invoiced, SUM(paid) AS paid,
        SUM(paid * (1 - ratio)) AS margin
    FROM inv GROUP BY campaign, dim),
target AS (
    SELECT campaign, COUNT(*) AS targets,
        SUM(CASE WHEN status IN ('responded', 'lead') THEN 1 ELSE 0 END)
            AS responses
    FROM crm_campaign_target GROUP BY campaign),
cost AS (
    SELECT e.campaign, {ekey} AS dim, SUM(e.amount) AS cost
    FROM crm_expense e
    WHERE e.state = 'confirmed' AND e.campaign IS NOT NULL
        AND e.company = %(company)s
    GROUP BY e.campaign, {ekey}),
total AS (
    SELECT campaign, SUM(leads) AS leads FROM opp GROUP BY campaign),
figures AS ({rows})
SELECT f.dim, {extra} f.leads, f.opportunities, f.won,
    ROUND(CAST(f.ordered AS NUMERIC), 2),
    ROUND(CAST(f.invoiced AS NUMERIC), 2),
    ROUND(CAST(f.paid AS NUMERIC), 2), ROUND(CAST(f.margin AS NUMERIC), 2),
    ROUND(CAST(f.cost AS NUMERIC), 2),
    CAST(f.cost AS {real}) / NULLIF(f.leads, 0),
    CAST(f.cost AS {real}) / NULLIF(f.won, 0),
    (f.margin - CAST(f.cost AS {real})) / NULLIF(CAST(f.cost AS {real}), 0)
FROM (SELECT dim, {extra_sums}
        SUM(COALESCE(leads, 0)) AS leads,
        SUM(COALESCE(opportunities, 0)) AS opportunities,
        SUM(COALESCE(won, 0)) AS won,
        SUM(COALESCE(ordered, 0)) AS ordered,
        SUM(COALESCE(invoiced, 0)) AS invoiced,
        SUM(COALESCE(paid, 0)) AS paid,
        SUM(COALESCE(margin, 0)) AS margin,
        SUM(COALESCE(cost, 0)) AS cost
    FROM figures GROUP BY {group}) f
ORDER BY f.dim
"""

# The rows of each report, from the figures per campaign and dim.
FIGURES = """opp.leads, opp.opportunities, opp.won, ordered.ordered,
    invoiced.invoiced, invoiced.paid, invoiced.margin"""
BY_TYPE = """
    SELECT m.type AS dim, m.id AS campaign, target.targets,
        target.responses, """ + FIGURES + """, cost.cost
    FROM marketing_campaign m
    LEFT JOIN target ON target.campaign = m.id
    LEFT JOIN opp ON opp.campaign = m.id
    LEFT JOIN ordered ON ordered.campaign = m.id
    LEFT JOIN invoiced ON invoiced.campaign = m.id
    LEFT JOIN cost ON cost.campaign = m.id
    WHERE m.company = %(company)s"""
# Each campaign's cost shared among the lead sources of its leads; the
# cost of the campaigns without leads on the row without lead source.
BY_LEAD_SOURCE = """
    SELECT opp.dim, """ + FIGURES + """,
        CAST(cost.cost AS {real}) * opp.leads / total.leads AS cost
    FROM opp
    JOIN marketing_campaign m ON m.id = opp.campaign
    LEFT JOIN ordered
        ON ordered.campaign = opp.campaign AND ordered.dim = opp.dim
    LEFT JOIN invoiced
        ON invoiced.campaign = opp.campaign AND invoiced.dim = opp.dim
    LEFT JOIN cost ON cost.campaign = opp.campaign
    LEFT JOIN total ON total.campaign = opp.campaign
    WHERE m.company = %(company)s
    UNION ALL
    SELECT 0, 0, 0, 0, 0, 0, 0, 0, cost.cost
    FROM cost
    JOIN marketing_campaign m ON m.id = cost.campaign
    LEFT JOIN total ON total.campaign = cost.campaign
    WHERE m.company = %(company)s AND total.campaign IS NULL"""
OVER_PERIODS = """
    SELECT k.dim, k.campaign, """ + FIGURES + """, cost.cost
    FROM (SELECT campaign, dim FROM opp
        UNION SELECT campaign, dim FROM cost) k
    JOIN marketing_campaign m ON m.id = k.campaign
    LEFT JOIN opp ON opp.campaign = k.campaign AND opp.dim = k.dim
    LEFT JOIN ordered
        ON ordered.campaign = k.campaign AND ordered.dim = k.dim
    LEFT JOIN invoiced
        ON invoiced.campaign = k.campaign AND invoiced.dim = k.dim
    LEFT JOIN cost ON cost.campaign = k.campaign AND cost.dim = k.dim
    WHERE m.company = %(company)s"""

MONTH = {
    'sqlite': "STRFTIME('%%Y-%%m-01', {})",
    'postgresql': "DATE_TRUNC('month', {})",
    }


def report_sql(report, backend_name):
    "The hand-written SQL of the rows of report"
    real = 'REAL' if backend_name == 'sqlite' else 'FLOAT'
    month = MONTH[backend_name]
    okey, ekey, rows, extra, extra_sums, group = {
        # A campaign is one row of the type: the company is one key.
        'type': ('o.company', 'e.company', BY_TYPE,
            'f.campaigns, f.targets, f.responses,',
            'COUNT(campaign) AS campaigns, '
            'SUM(COALESCE(targets, 0)) AS targets, '
            'SUM(COALESCE(responses, 0)) AS responses,', 'dim'),
        'lead_source': ('COALESCE(o.lead_source, 0)', 'e.company',
            BY_LEAD_SOURCE, '', '', 'dim'),
        'period': (month.format('o.start_date'), month.format('e.date'),
            OVER_PERIODS, '', '', 'dim'),
        }[report]
    sql = FIGURES_SQL.format(okey=okey, ekey=ekey,
        rows=rows.format(real=real), extra=extra, extra_sums=extra_sums,
        group=group, real=real)
    if backend_name == 'sqlite':
        sql = sql.replace('%%', '%')
    return sql


MODELS = {
    'type': 'crm.campaign.report.type',
    'lead_source': 'crm.campaign.report.lead_source',
    'period': 'crm.campaign.report.period',
    }


def main():
    from campaign_roi import parse_arguments
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
    campaigns = attribute(options.database, options.campaigns,
        options.targets, options.unattributed)

    connect = connector(options.database)
    lines = []
    with admin_client(options) as client:
        context = dict(client.context, **{
                'from_date': None, 'to_date': None, 'team': None,
                'territory': None, 'employee': None, 'lead_source': None,
                'campaign_type': None, 'period': 'month'})
        params = {'company': client.context['company']}
        for report, model in MODELS.items():
            names = list_fields(client, model, context)
            run_sql = sql_runner(connect, backend.name,
                report_sql(report, backend.name), params)
            times = interleaved(options.repeat,
                floor=lambda: floor(client),
                page=lambda: page(client, model, names, context),
                export=lambda: export(client, model, names, context),
                sql=run_sql)
            run_sql.close()
            rows = times['sql'][1]
            assert times['page'][1] == times['export'][1] == rows, (
                report, times)
            for read in ['page', 'export']:
                orm = times[read][0]
                lines.append("| %s | %s | %d | %.1f ms | %.1f ms "
                    "| %.1f ms | %.2f |" % (
                        report.replace('_', ' '), read, rows, 1000 * orm,
                        1000 * times['floor'][0], 1000 * times['sql'][0],
                        orm / times['sql'][0]))

    print("database: %s, opportunities: %d, campaigns: %d, "
        "load average: %s" % (backend.name, count, campaigns,
            ' '.join('%.1f' % l for l in os.getloadavg())))
    print("| report | read | rows | over RPC | two empty calls "
        "| hand-written SQL | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print('\n'.join(lines))
    return 0


if __name__ == '__main__':
    sys.exit(main())
