#!/usr/bin/env python3
# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Time the receivables report read over RPC, against hand-written SQL.

The database is the demo at --base-scale (bench/generate.py) whose
confirmed sales are then processed, invoiced, posted and paid (a third in
full, a third in part) with the ORM; the opportunities are then copied in
SQL with their sales, sale lines, stock moves, invoices, invoice lines,
account moves, move lines, reconciliations and partial payments (origins
shifted to the copies; shipments are not copied, the report does not read
them) until there are --opportunities of them. The database is kept.

A trytond server is started and the report is read as sao does, with the
company in the context: `search` of a page of --limit rows in the report's
order then `read` of every column (Many2One names included), and the
export of all the rows of the employee with most rows (`search` and `read`
of every column, and the report's Excel export in one call), and the Excel
export of the whole report. In the same run, the same rows are read by the
hand-written SQL a developer would write for the report (one query per
page, grouped sub-queries on the same tables) through psycopg or sqlite3.
Each is repeated --repeat times and the median kept.
"""
import base64
import datetime
import io
import os
import statistics
import sys
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (  # noqa: E402
    admin_client, argument_parser, generate, multiply, parse_options)

# The models whose rows are copied with each opportunity, parents first,
# with their Many2One columns to copied models.
COPIED = [
    ('sale.opportunity', {}),
    ('sale.sale', {}),
    ('sale.line', {'sale': 'sale.sale'}),
    ('stock.move', {}),
    ('account.move', {}),
    ('account.move.reconciliation', {}),
    ('account.move.line', {
            'move': 'account.move',
            'reconciliation': 'account.move.reconciliation'}),
    ('account.invoice', {'move': 'account.move'}),
    ('account.invoice.line', {'invoice': 'account.invoice'}),
    ('account.invoice-account.move.line', {
            'invoice': 'account.invoice', 'line': 'account.move.line'}),
    ]
COLUMNS = [
    'opportunity', 'party', 'employee', 'state', 'quoted_amount',
    'ordered_amount', 'shipped_amount', 'invoiced_amount', 'paid_amount',
    'outstanding_amount', 'overdue_amount', 'won_date',
    'first_invoice_date', 'last_payment_date', 'days_to_invoice',
    'days_to_payment']


def parse_arguments():
    parser = argument_parser(
        __doc__.splitlines()[0],
        database_help="the database (default: bench_receivable_<count>)")
    parser.add_argument('--opportunities', type=int, default=100000)
    parser.add_argument(
        '--base-scale', type=int, default=1000,
        help="the demo scale that is copied (default: %(default)s)")
    parser.add_argument('--limit', type=int, default=80)
    parser.add_argument(
        '--whole-repeat', type=int, default=1,
        help="the Excel exports of the whole report (default: %(default)s; "
        "0 skips it)")
    parser.add_argument('--repeat', type=int, default=7)
    parser.add_argument(
        '--export-repeat', type=int, default=None,
        help="the reads of the export (default: --repeat; 0 skips it)")
    options = parse_options(parser)
    options.database = options.database or 'bench_receivable_%d' % (
        options.opportunities)
    return options


def complete_flow(database):
    """Process the confirmed sales of the demo, post their invoices and pay
    them: in full for a third, in part for another third. Done once: a
    database with posted invoices is left as it is."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction, TransactionError

    pool = Pool(database)
    pool.init()
    extras = {}
    while True:
        with Transaction().start(database, 0, **extras) as transaction:
            try:
                _complete_flow(pool)
            except TransactionError as exception:
                # As the host's dispatcher: start again with the locks the
                # transaction asked for (the invoice sequences).
                transaction.rollback()
                exception.fix(extras)
                continue
            transaction.commit()
        break


def _complete_flow(pool):
    from trytond.transaction import Transaction
    Sale = pool.get('sale.sale')
    Invoice = pool.get('account.invoice')
    Account = pool.get('account.account')
    Company = pool.get('company.company')
    Journal = pool.get('account.journal')
    MoveLine = pool.get('account.move.line')
    PaymentMethod = pool.get('account.invoice.payment.method')
    company, = Company.search([], limit=1)
    with Transaction().set_context(
            company=company.id, _skip_warnings=True):
        if Invoice.search([('state', '=', 'posted')], limit=1):
            return
        Sale.process(Sale.search([('state', '=', 'confirmed')]))
        invoices = Invoice.search([
                ('type', '=', 'out'), ('state', '=', 'draft')],
            order=[('id', 'ASC')])
        today = datetime.date.today()
        for i, invoice in enumerate(invoices):
            invoice.invoice_date = today - datetime.timedelta(days=i % 60)
        Invoice.save(invoices)
        Invoice.post(invoices)
        journal, = Journal.search([('type', '=', 'cash')], limit=1)
        account, = Account.search([
                ('type.receivable', '=', False),
                ('type.payable', '=', False),
                ('type.assets', '=', True),
                ('closed', '=', False),
                ('company', '=', company.id),
                ], limit=1)
        method = PaymentMethod(
            name="Bench", company=company, journal=journal,
            credit_account=account, debit_account=account)
        method.save()
        for i, invoice in enumerate(Invoice.browse(invoices)):
            amount = invoice.amount_to_pay
            if i % 3 == 2 or not amount:
                continue
            date = min(
                invoice.invoice_date + datetime.timedelta(days=5 + i % 40),
                today)
            if i % 3 == 0:
                lines = invoice.pay_invoice(amount, method, date)
                MoveLine.reconcile(list(invoice.lines_to_pay) + lines)
            else:
                invoice.pay_invoice(
                    (amount / 3).quantize(amount), method, date)


def report_sql(backend_name, ids=None, employee=None, limit=None):
    """The hand-written query of the report's rows: the grouped sums of
    each kind of document joined to the opportunities, in the company
    currency (all demo documents are in it)"""
    opportunity = "'sale.opportunity,' || CAST(o.id AS VARCHAR)"
    if backend_name == 'sqlite':
        days = ("CAST(ROUND((julianday(%s) - julianday(%s))) "
            "AS INTEGER)")
    else:
        days = "(%s - %s)"
    where = ["o.company = %(company)s", """EXISTS (SELECT 1 FROM sale_sale s
        WHERE s.origin = %s AND s.state IN ('quotation', 'confirmed',
        'processing', 'done'))""" % opportunity]
    if ids is not None:
        where.append("o.id IN (%s)" % ','.join(map(str, ids)))
    if employee is not None:
        where.append("o.employee = %d" % employee)
    sales = """(SELECT s.id AS sale, s.state, s.currency,
            COALESCE(s.untaxed_amount_cache, (SELECT SUM(
                CAST(l.quantity AS NUMERIC) * l.unit_price)
                FROM sale_line l WHERE l.sale = s.id AND l.type = 'line'))
            AS amount
        FROM sale_sale s WHERE s.origin = %s)""" % opportunity
    ordered = "('confirmed', 'processing', 'done')"
    invoices = """(SELECT i.* FROM account_invoice i
        WHERE i.type = 'out' AND i.state IN ('posted', 'paid')
        AND i.id IN (SELECT il.invoice FROM account_invoice_line il
            JOIN sale_line sl ON il.origin = 'sale.line,' || CAST(
                sl.id AS VARCHAR)
            JOIN sale_sale s ON s.id = sl.sale
            WHERE s.origin = %s AND s.state IN %s))""" % (
        opportunity, ordered)
    amount = ("CASE WHEN ml.second_currency = i.currency "
        "THEN ml.amount_second_currency ELSE ml.debit - ml.credit END")
    to_pay = """(SELECT %%s FROM %s i JOIN account_move_line ml
        ON ml.move = i.move AND ml.account = i.account)""" % invoices
    payments = """(SELECT %%s FROM %s i
        JOIN "account_invoice-account_move_line" p ON p.invoice = i.id
        JOIN account_move_line ml ON ml.id = p.line
        JOIN account_move m ON m.id = ml.move)""" % invoices
    unreconciled = "CASE WHEN ml.reconciliation IS NULL THEN %s ELSE 0 END" % (
        amount)
    reconciled = ("CASE WHEN ml.reconciliation IS NOT NULL THEN %s ELSE 0 END"
        % amount)
    due = ("CASE WHEN ml.reconciliation IS NULL AND ml.maturity_date < "
        "%%(today)s THEN %s ELSE 0 END" % amount)
    sql = """SELECT o.id, o.party, o.employee, o.state,
        CASE WHEN o.state = 'won' THEN o.end_date END AS won_date,
        (SELECT SUM(amount) FROM {sales} x WHERE x.state = 'quotation')
            AS quoted,
        (SELECT SUM(amount) FROM {sales} x WHERE x.state IN {ordered})
            AS ordered,
        (SELECT SUM(CASE WHEN tl.type = 'customer' THEN 1 ELSE -1 END
                * CAST(sm.quantity AS NUMERIC) * sl.unit_price)
            FROM sale_sale s JOIN sale_line sl ON sl.sale = s.id
            JOIN stock_move sm ON sm.origin = 'sale.line,' || CAST(
                sl.id AS VARCHAR)
            JOIN stock_location tl ON tl.id = sm.to_location
            WHERE s.origin = {opportunity} AND s.state IN {ordered}
            AND sm.state = 'done') AS shipped,
        (SELECT SUM(untaxed_amount_cache) FROM {invoices} x) AS invoiced,
        {settled} AS settled, {unpaid} AS unpaid, {due} AS due,
        {partial} AS partial,
        (SELECT MIN(invoice_date) FROM {invoices} x) AS first_invoice,
        {last_payment} AS last_payment
        FROM sale_opportunity o
        WHERE {where}
        ORDER BY won_date DESC NULLS LAST, o.id DESC""".format(
        sales=sales, ordered=ordered, opportunity=opportunity,
        invoices=invoices,
        settled=to_pay % ("SUM(%s)" % reconciled),
        unpaid=to_pay % ("SUM(%s)" % unreconciled),
        due=to_pay % ("SUM(%s)" % due),
        partial=payments % ("SUM(%s)" % unreconciled),
        last_payment=payments % "MAX(m.date)",
        where=' AND '.join(where))
    if backend_name == 'sqlite':
        sql = sql.replace(' NULLS LAST', '').replace('%(company)s', ':company'
            ).replace('%(today)s', ':today')
    if limit:
        sql += ' LIMIT %d' % limit
    # The days and the combined amounts, as the report computes them.
    outer = """SELECT r.id, r.party, r.employee, r.state, r.won_date,
        r.quoted, r.ordered, r.shipped, r.invoiced,
        COALESCE(r.settled, 0) - COALESCE(r.partial, 0) AS paid,
        COALESCE(r.unpaid, 0) + COALESCE(r.partial, 0) AS outstanding,
        CASE WHEN COALESCE(r.due, 0) + COALESCE(r.partial, 0) <= 0 THEN 0
            WHEN COALESCE(r.due, 0) <= COALESCE(r.unpaid, 0)
            THEN COALESCE(r.due, 0) + COALESCE(r.partial, 0)
            ELSE COALESCE(r.unpaid, 0) + COALESCE(r.partial, 0) END
            AS overdue,
        r.first_invoice, r.last_payment,
        {to_invoice} AS days_to_invoice, {to_payment} AS days_to_payment
        FROM ({sql}) r""".format(
        sql=sql, to_invoice=days % ('r.first_invoice', 'r.won_date'),
        to_payment=days % ('r.last_payment', 'r.first_invoice'))
    return outer


def time_report(client, names, domain, limit, repeat):
    context = dict(client.context)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        ids = client.call(
            'model.crm.receivable.report.search', domain, 0, limit, None,
            context)
        client.call('model.crm.receivable.report.read', ids, names, context)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), ids


def time_xlsx(client, employee, repeat):
    """Time the Excel export of the report (one call, as the web client's
    print button) of the rows of employee (None: all the rows); return the
    median and the number of rows of the workbook"""
    context = dict(client.context, employee=employee)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        _, content, _, _ = client.call(
            'report.crm.receivable.report.xlsx.execute', [], {}, context)
        timings.append(time.perf_counter() - started)
    workbook = zipfile.ZipFile(io.BytesIO(base64.b64decode(
                content['base64'])))
    sheet = workbook.read('xl/worksheets/sheet1.xml').decode()
    # The header is the first row.
    return statistics.median(timings), sheet.count('<row ') - 1


def time_sql(connect, backend_name, company, employee, limit, repeat):
    timings = []
    params = {'company': company, 'today': datetime.date.today()}
    if backend_name == 'sqlite':
        params['today'] = params['today'].isoformat()
    sql = report_sql(backend_name, employee=employee, limit=limit)
    connection = connect()
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            cursor = connection.cursor()
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            timings.append(time.perf_counter() - started)
    finally:
        connection.close()
    return statistics.median(timings), len(rows)


def connector(database):
    "A function returning a plain DB-API connection to the database"
    from trytond import backend
    if backend.name == 'sqlite':
        import sqlite3

        from trytond.config import config
        path = os.path.join(
            config.get('database', 'path'), database + '.sqlite')
        return lambda: sqlite3.connect(path)
    else:
        Database = backend.Database(database)
        return lambda: Database.get_connection(readonly=True)


def busiest_employee(connect):
    """The employee with most rows in the report, and the number of rows:
    the opportunities with a sale quoted or further"""
    connection = connect()
    try:
        cursor = connection.cursor()
        cursor.execute("""SELECT o.employee, COUNT(*) FROM sale_opportunity o
            WHERE EXISTS (SELECT 1 FROM sale_sale s
                WHERE s.origin = 'sale.opportunity,' || CAST(o.id AS VARCHAR)
                AND s.state IN ('quotation', 'confirmed', 'processing',
                    'done'))
            GROUP BY o.employee""")
        counts = dict(cursor.fetchall())
    finally:
        connection.close()
    employee = max((e for e in counts if e), key=counts.get)
    return employee, sum(counts.values())


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

    with admin_client(options) as client:
        view = client.call(
            'model.crm.receivable.report.fields_view_get', None, 'tree',
            client.context)
        names = ['_timestamp', '_write', '_delete']
        for name in COLUMNS:
            names.append(name)
            if view['fields'].get(name, {}).get('type') == 'many2one':
                names.append(name + '.rec_name')
        company = client.context['company']
        connect = connector(options.database)
        employee, report_rows = busiest_employee(connect)
        time_report(client, names, [], options.limit, 1)
        page, page_ids = time_report(
            client, names, [], options.limit, options.repeat)
        export_repeat = (options.repeat if options.export_repeat is None
            else options.export_repeat)
        # (label, rows, report's time, number of rows, SQL's time)
        results = []
        page_sql, page_rows = time_sql(
            connect, backend.name, company, None, options.limit,
            options.repeat)
        results.append(
            ("page of the list", page_rows, page, len(page_ids), page_sql))
        if export_repeat:
            export_sql, export_rows = time_sql(
                connect, backend.name, company, employee, None,
                export_repeat)
            export, export_ids = time_report(
                client, names, [('employee', '=', employee)], None,
                export_repeat)
            results.append(("export of one employee", export_rows, export,
                    len(export_ids), export_sql))
            xlsx, xlsx_rows = time_xlsx(client, employee, export_repeat)
            results.append(("Excel export of one employee", export_rows,
                    xlsx, xlsx_rows, export_sql))
        if options.whole_repeat:
            whole_sql, whole_rows = time_sql(
                connect, backend.name, company, None, None,
                options.whole_repeat)
            whole, whole_xlsx_rows = time_xlsx(
                client, None, options.whole_repeat)
            results.append(("Excel export of the whole report", whole_rows,
                    whole, whole_xlsx_rows, whole_sql))
    for label, rows_, _, report_rows_, _ in results:
        assert report_rows_ == rows_, (label, report_rows_, rows_)

    print("database: %s, opportunities: %d, report rows: %d" % (
            backend.name, count, report_rows))
    print("| read | rows | report over RPC | hand-written SQL | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for label, rows_, orm, _, sql in results:
        print("| %s | %d | %.0f ms | %.0f ms | %.2f |" % (
                label, rows_, 1000 * orm, 1000 * sql, orm / sql))
    return 0


if __name__ == '__main__':
    sys.exit(main())
