# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The pipeline, the open opportunities of the funnel's filter, in Excel"
from decimal import Decimal

from sql import Literal
from sql.conditionals import Coalesce

from xlsxwriter.utility import xl_rowcol_to_cell

from trytond.pool import Pool
from trytond.transaction import Transaction

from ..models.mixins import organisation_where
from ..models.stage import OPEN_STATES
from ..models.visibility import readable_opportunities
from .funnel_xlsx import FUNNEL_FILTERS, funnel_rows
from .xlsx_tools import (
    XlsxReport, currency_kind, field_strings, filter_title, message,
    new_workbook)


def pipeline_ids():
    """The ids of the open opportunities that the funnel of the context
    counts, by stage then expected close date: the funnel's conditions in
    one query"""
    pool = Pool()
    Opportunity = pool.get('sale.opportunity')
    Stage = pool.get('crm.stage')
    context = Transaction().context
    opportunity = Opportunity.__table__()
    stage = Stage.__table__()
    where = (opportunity.state.in_(OPEN_STATES)
        & (opportunity.company == context.get('company', -1)))
    if context.get('sales_method'):
        where &= stage.sales_method == context['sales_method']
    where &= organisation_where(opportunity)
    readable = readable_opportunities(opportunity)
    if readable is not None:
        where &= readable
    cursor = Transaction().connection.cursor()
    cursor.execute(*opportunity
        .join(stage, 'LEFT', condition=opportunity.stage == stage.id)
        .select(opportunity.id,
            where=where,
            order_by=[
                Coalesce(stage.sequence, Literal(-1)).asc,
                stage.id.asc,
                opportunity.end_date.asc.nulls_last,
                opportunity.id.asc]))
    return [i for i, in cursor]


class PipelineXlsx(XlsxReport):
    """The open opportunities of the funnel's filter as an Excel file, with
    the amount per stage in a chart"""
    __name__ = 'crm.pipeline.xlsx'

    @classmethod
    def workbook(cls, title):
        pool = Pool()
        Currency = pool.get('currency.currency')
        Opportunity = pool.get('sale.opportunity')
        ids = pipeline_ids()
        records = Opportunity.read(ids, [
                'rec_name', 'party.rec_name', 'employee.rec_name',
                'stage.name', 'end_date', 'currency', 'amount',
                'conversion_probability'])
        currencies = {c.id: c for c in Currency.browse(
                {r['currency'] for r in records})}

        names = [
            'rec_name', 'party', 'employee', 'stage', 'end_date',
            'currency', 'amount', 'conversion_probability']
        headers = field_strings('sale.opportunity', names[1:])
        headers.insert(0, field_strings('sale.opportunity', ['number'])[0])
        headers.append(message('weighted_amount'))
        kinds = [
            'text', 'text', 'text', 'text', 'date', 'text', 'decimal',
            'percent', 'decimal']
        lines = []
        for record in records:
            currency = currencies[record['currency']]
            money = currency_kind(currency)
            amount = record['amount']
            probability = record['conversion_probability']
            weighted = None
            if amount is not None and probability is not None:
                weighted = currency.round(
                    amount * Decimal(str(probability)))
            line = [record['rec_name']]
            for name, field in [
                    ('party', 'rec_name'), ('employee', 'rec_name'),
                    ('stage', 'name')]:
                related = record.get(name + '.')
                line.append(related[field] if related else None)
            line += [
                record['end_date'], currency.code,
                (amount, money), probability, (weighted, money)]
            lines.append(line)

        book = new_workbook()
        sheet = book.add_table(
            message('pipeline_sheet'),
            filter_title(title, 'crm.funnel.context', FUNNEL_FILTERS),
            list(zip(headers, kinds)), lines)

        # The amount per stage in the currency of the company, as the
        # funnel computes it, beside the opportunities.
        stages, company_currency = funnel_rows()
        stages = [s for s in stages if s['number']]
        first_col = len(headers) + 1
        stage_columns = list(zip(
                field_strings('crm.funnel', ['stage', 'number', 'amount']),
                ['text', 'integer', currency_kind(company_currency)
                    if company_currency else 'decimal']))
        book.add_table(None, None, stage_columns,
            [[s['stage'], s['number'], s['amount']] for s in stages],
            first_col=first_col, sheet=sheet)
        if stages:
            last = 1 + len(stages)
            book.add_chart(
                sheet, 'column', message('pipeline_chart'),
                categories=(sheet, 2, last, first_col),
                series=[
                    (stage_columns[2][0], (sheet, 2, last, first_col + 2)),
                    ],
                position=xl_rowcol_to_cell(2 + last, first_col),
                y_title=company_currency.code if company_currency else None)
        return book.close()
