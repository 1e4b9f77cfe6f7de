# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Forecasts in Excel: their figures against the quota, with a chart, and
the opportunities committed in them"""
from xlsxwriter.utility import xl_rowcol_to_cell

from trytond.pool import Pool
from trytond.transaction import Transaction

from .xlsx_tools import (
    XlsxReport, currency_kind, field_strings, message, new_workbook,
    report_action)

FIGURES = [
    'quota', 'pipeline', 'weighted_pipeline', 'best_case',
    'commit_submitted', 'commit_adjusted', 'commit', 'won']
# The figures in the chart, as a manager compares them.
CHARTED = ['quota', 'commit', 'weighted_pipeline', 'won']


def forecast_ids(ids):
    """The forecasts to export: those selected, else all those of the
    user's company that the user may read"""
    Forecast = Pool().get('crm.forecast')
    if ids:
        return list(map(int, ids))
    return [f.id for f in Forecast.search([
                ('company', '=', Transaction().context.get('company', -1)),
                ])]


class ForecastXlsx(XlsxReport):
    """The forecasts selected (or all those the user reads) as an Excel
    file"""
    __name__ = 'crm.forecast.xlsx'

    @classmethod
    def execute(cls, ids, data):
        action_report = report_action(cls.__name__, data)
        ids = forecast_ids(ids)
        cls.check_access(action_report, 'crm.forecast', ids)
        content = cls.forecast_workbook(action_report.name, ids)
        return ('xlsx', content, False, action_report.name)

    @classmethod
    def forecast_workbook(cls, title, ids):
        pool = Pool()
        Forecast = pool.get('crm.forecast')
        forecasts = Forecast.browse(ids)

        headers = field_strings('crm.forecast', ['period'])
        headers.append(message('forecast_for'))
        headers += field_strings('crm.forecast', FIGURES)
        headers.append(message('forecast_attainment'))
        kinds = ['text', 'text'] + ['decimal'] * len(FIGURES) + ['percent']
        rows = []
        for forecast in forecasts:
            money = currency_kind(forecast.currency)
            who = forecast.employee or forecast.team
            row = [forecast.period.rec_name, who.rec_name]
            row += [(getattr(forecast, n), money) for n in FIGURES]
            # What was won of the quota, as the ratio Excel shows in %.
            row.append(float(forecast.won / forecast.quota)
                if forecast.quota and forecast.won is not None else None)
            rows.append(row)

        book = new_workbook()
        sheet = book.add_table(
            message('forecast_sheet'), title, list(zip(headers, kinds)),
            rows)
        if rows:
            last = 1 + len(rows)
            currencies = {f.currency for f in forecasts}
            book.add_chart(
                sheet, 'column', message('forecast_chart'),
                categories=(sheet, 2, last, 1),
                series=[(headers[2 + FIGURES.index(n)],
                        (sheet, 2, last, 2 + FIGURES.index(n)))
                    for n in CHARTED],
                position=xl_rowcol_to_cell(3 + last, 1),
                y_title=(currencies.pop().code
                    if len(currencies) == 1 else None))

        # The opportunities committed, one row each, under their forecast.
        line_headers = [message('forecast_sheet')] + field_strings(
            'crm.forecast.line', [
                'opportunity', 'end_date', 'opportunity_state',
                'probability', 'amount'])
        line_kinds = ['text', 'text', 'date', 'text', 'percent', 'decimal']
        states = dict(pool.get('sale.opportunity').fields_get(
                ['state'])['state']['selection'])
        line_rows = []
        for forecast in forecasts:
            money = currency_kind(forecast.currency)
            for line in forecast.lines:
                line_rows.append([
                        forecast.rec_name, line.opportunity.rec_name,
                        line.end_date,
                        states.get(line.opportunity_state),
                        line.probability, (line.amount, money)])
        book.add_table(
            message('forecast_lines_sheet'), title,
            list(zip(line_headers, line_kinds)), line_rows)
        return book.close()
