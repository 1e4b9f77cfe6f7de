# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The lost opportunities and the win/loss by competitor as one Excel
workbook of two sheets"""
from xlsxwriter.utility import xl_rowcol_to_cell

from trytond.pool import Pool

from .xlsx_tools import (
    XlsxReport, currency_kind, field_strings, filter_title, message,
    new_workbook)

WINLOSS_FILTERS = [
    'company', 'from_date', 'to_date', 'team', 'territory', 'employee']


def _report_rows(model, names):
    """The rows of the report model in the context, read with the names of
    the many-to-one fields among names, in the report's queries"""
    Report = Pool().get(model)
    Currency = Pool().get('currency.currency')
    many2ones = [n for n in names
        if Report._fields[n]._type == 'many2one' and n != 'currency']
    rows = Report.read([r.id for r in Report.search([])],
        ['currency'] + [n + '.rec_name' for n in many2ones]
        + [n for n in names if n not in many2ones and n != 'currency'])
    currencies = {c.id: c for c in Currency.browse(
            {r['currency'] for r in rows if r['currency']})}
    for row in rows:
        for name in many2ones:
            related = row.get(name + '.')
            row[name] = related['rec_name'] if related else None
        row['currency'] = currencies.get(row['currency'])
    return rows


def _summary(rows, key, names):
    """The sums of names of rows per key, in the order of the first row of
    each key"""
    sums = {}
    for row in rows:
        values = sums.setdefault(row[key], dict.fromkeys(names, 0))
        for name in names:
            values[name] += row[name] or 0
    return [[k] + [v[n] for n in names] for k, v in sums.items()]


class WinLossXlsx(XlsxReport):
    """The lost opportunities by reason and the win/loss by competitor as
    an Excel file, with their charts"""
    __name__ = 'crm.winloss.xlsx'

    @classmethod
    def workbook(cls, title):
        book = new_workbook()
        cls._lost_sheet(book, title)
        cls._competitor_sheet(book, title)
        return book.close()

    @classmethod
    def _lost_sheet(cls, book, title):
        names = ['reason', 'competitor', 'currency', 'number', 'amount']
        rows = _report_rows('crm.lost.report', names)
        no_reason = message('no_reason')
        for row in rows:
            row['reason'] = row['reason'] or no_reason
        kinds = ['text', 'text', 'text', 'integer', 'decimal']
        columns = list(zip(field_strings('crm.lost.report', names), kinds))
        sheet = book.add_table(
            message('lost_sheet'),
            filter_title(title, 'crm.lost.report.context', WINLOSS_FILTERS),
            columns, [[
                    r['reason'], r['competitor'],
                    r['currency'].code if r['currency'] else None,
                    r['number'],
                    (r['amount'], currency_kind(r['currency'])
                        if r['currency'] else 'decimal'),
                    ] for r in rows])
        # The pie of the number lost per reason, whatever the competitor
        # and the currency, from a table of its own beside the rows.
        reasons = _summary(rows, 'reason', ['number'])
        first_col = len(columns) + 1
        book.add_table(None, None, columns[0:1] + columns[3:4], reasons,
            first_col=first_col, sheet=sheet)
        if reasons:
            last = 1 + len(reasons)
            book.add_chart(
                sheet, 'pie', message('lost_chart'),
                categories=(sheet, 2, last, first_col),
                series=[(columns[3][0], (sheet, 2, last, first_col + 1))],
                position=xl_rowcol_to_cell(2 + last, first_col))

    @classmethod
    def _competitor_sheet(cls, book, title):
        names = [
            'competitor', 'currency', 'number', 'amount', 'won',
            'won_amount', 'lost', 'lost_amount', 'lost_others', 'win_rate']
        rows = _report_rows('crm.competitor.report', names)
        kinds = [
            'text', 'text', 'integer', 'decimal', 'integer', 'decimal',
            'integer', 'decimal', 'integer', 'percent']
        columns = list(zip(
                field_strings('crm.competitor.report', names), kinds))
        lines = []
        for row in rows:
            money = (currency_kind(row['currency'])
                if row['currency'] else 'decimal')
            line = []
            for name, kind in zip(names, kinds):
                value = row[name]
                if name == 'currency':
                    value = value.code if value else None
                elif kind == 'decimal':
                    value = (value, money)
                line.append(value)
            lines.append(line)
        sheet = book.add_table(
            message('competitor_sheet'),
            filter_title(
                title, 'crm.competitor.report.context', WINLOSS_FILTERS),
            columns, lines)
        # The bars of the opportunities won and lost per competitor, all
        # currencies together, from a table of their own beside the rows.
        competitors = _summary(rows, 'competitor', ['won', 'lost'])
        first_col = len(columns) + 1
        summary_columns = [columns[0], columns[4], columns[6]]
        book.add_table(None, None, summary_columns, competitors,
            first_col=first_col, sheet=sheet)
        if competitors:
            last = 1 + len(competitors)
            book.add_chart(
                sheet, 'bar', message('competitor_chart'),
                categories=(sheet, 2, last, first_col),
                series=[
                    (summary_columns[1][0],
                        (sheet, 2, last, first_col + 1)),
                    (summary_columns[2][0],
                        (sheet, 2, last, first_col + 2)),
                    ],
                position=xl_rowcol_to_cell(2 + last, first_col))
