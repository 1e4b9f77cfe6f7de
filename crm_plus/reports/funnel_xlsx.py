# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The funnel report as an Excel workbook"
from trytond.pool import Pool
from trytond.transaction import Transaction

from .xlsx_tools import (
    XlsxReport, currency_kind, field_strings, filter_title, message,
    new_workbook)

FUNNEL_FILTERS = [
    'company', 'sales_method', 'team', 'territory', 'employee']


def funnel_rows():
    """The rows of the funnel of the context, each a dictionary of the
    funnel's fields with the names of the method and the stage, and the
    currency of the company, in the report's own queries"""
    pool = Pool()
    Company = pool.get('company.company')
    Funnel = pool.get('crm.funnel')
    company_id = Transaction().context.get('company')
    currency = Company(company_id).currency if company_id else None
    rows = Funnel.read([f.id for f in Funnel.search([])], [
            'sales_method.rec_name', 'stage.name', 'number', 'amount',
            'share', 'ideal_share', 'ideal_number', 'gap'])
    # The stage by its name: its record name adds its probability.
    for row in rows:
        for name, field in [('sales_method', 'rec_name'), ('stage', 'name')]:
            related = row.get(name + '.')
            row[name] = related[field] if related else None
    return rows, currency


class FunnelXlsx(XlsxReport):
    "The funnel as an Excel file, with a chart of the actual and ideal"
    __name__ = 'crm.funnel.xlsx'

    @classmethod
    def workbook(cls, title):
        rows, currency = funnel_rows()
        names = [
            'sales_method', 'stage', 'number', 'ideal_number', 'gap',
            'amount', 'share', 'ideal_share']
        money = currency_kind(currency) if currency else 'decimal'
        kinds = [
            'text', 'text', 'integer', 'decimal', 'decimal', money,
            'percent', 'percent']
        columns = list(zip(field_strings('crm.funnel', names), kinds))
        book = new_workbook()
        sheet = book.add_table(
            message('funnel_sheet'),
            filter_title(title, 'crm.funnel.context', FUNNEL_FILTERS),
            columns, [[r[n] for n in names] for r in rows])
        if rows:
            last = 1 + len(rows)
            book.add_chart(
                sheet, 'column', message('funnel_chart'),
                categories=(sheet, 2, last, 1),
                series=[
                    (columns[2][0], (sheet, 2, last, 2)),
                    (columns[3][0], (sheet, 2, last, 3)),
                    ],
                position='J3', y_title=columns[2][0])
        return book.close()
