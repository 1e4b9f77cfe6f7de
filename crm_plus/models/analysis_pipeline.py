# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Sales analyses of the pipeline: the deal cycle, the time in stages and
the expected turnover of the open opportunities (see analysis.py)."""
from sql import Literal, Null
from sql.aggregate import Avg, Count, Min, Sum
from sql.conditionals import Case

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval

from .analysis import (
    _product_lines_where, analysis_where, company_amount, company_currency,
    period_start, period_where)
from .mixins import KeptRowsMixin
from .stage import OPEN_STATES, days_between


class CycleMixin(KeptRowsMixin, ModelSQL, ModelView):
    """The days from start to close of the deals won or lost in the period,
    by a dimension"""
    __slots__ = ()

    company = fields.Many2One('company.company', "Company")
    number = fields.Integer("Closed", help="The deals won or lost.")
    won = fields.Integer("Won")
    average_days = fields.Float(
        "Average Days", digits=(16, 1),
        help="The average number of days from the start to the close "
        "of the deals.")
    average_won_days = fields.Float(
        "Average Days to Win", digits=(16, 1),
        help="The average number of days from the start to the close "
        "of the deals won.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('number', 'DESC'), ('id', 'ASC')]

    @classmethod
    def _from(cls, opportunity):
        "The FROM item, the SQL expression of the dimension and of the id"
        raise NotImplementedError

    @classmethod
    def table_query(cls):
        Opportunity = Pool().get('sale.opportunity')
        opportunity = Opportunity.__table__()
        from_item, dimension, id_ = cls._from(opportunity)
        days = days_between(opportunity.start_date, opportunity.end_date)
        won = opportunity.state == 'won'
        float_ = cls.average_days.sql_cast
        # A deal counts once per row even when joined to several lines.
        return from_item.select(
            id_.as_('id'),
            opportunity.company.as_('company'),
            dimension.as_(cls._dimension_name),
            Count(opportunity.id, distinct=True).as_('number'),
            Count(Case((won, opportunity.id), else_=Null),
                distinct=True).as_('won'),
            float_(Avg(days)).as_('average_days'),
            float_(Avg(Case((won, days), else_=Null))).as_(
                'average_won_days'),
            where=opportunity.state.in_(['won', 'lost'])
            & (opportunity.end_date != Null)
            & period_where(opportunity.end_date)
            & analysis_where(opportunity),
            group_by=[opportunity.company, dimension])


class CycleByTeam(CycleMixin):
    "Deal Cycle by Sales Team"
    __name__ = 'crm.analysis.cycle.team'
    __string__ = "Deal Cycle by Sales Team"
    _dimension_name = 'team'

    team = fields.Many2One('crm.team', "Sales Team")

    @classmethod
    def _from(cls, opportunity):
        return opportunity, opportunity.team, Min(opportunity.id)


class CycleByProduct(CycleMixin):
    "Deal Cycle by Product"
    __name__ = 'crm.analysis.cycle.product'
    __string__ = "Deal Cycle by Product"
    _dimension_name = 'product'

    product = fields.Many2One(
        'product.product', "Product",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})

    @classmethod
    def _from(cls, opportunity):
        Line = Pool().get('sale.opportunity.line')
        line = Line.__table__()
        # The average of a product is that of the deals with a line of it,
        # each counted once whatever its number of lines of it.
        from_item = opportunity.join(line,
            condition=(line.opportunity == opportunity.id)
            & _product_lines_where(line))
        return from_item, line.product, Min(line.id)


class StageTime(KeptRowsMixin, ModelSQL, ModelView):
    "Time in Stages"
    __name__ = 'crm.analysis.stage_time'
    __string__ = "Time in Stages"

    company = fields.Many2One('company.company', "Company")
    stage = fields.Many2One('crm.stage', "Stage")
    sales_method = fields.Many2One('crm.sales_method', "Sales Method")
    sequence = fields.Integer("Sequence")
    number = fields.Integer(
        "Passages", help="The times opportunities left the stage.")
    average_days = fields.Float(
        "Average Days", digits=(16, 1),
        help="The average number of days opportunities spent in the stage "
        "before they left it.")
    expected_days = fields.Integer(
        "Expected Days", help="The days the stage is expected to take.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('sales_method', 'ASC'), ('sequence', 'ASC NULLS FIRST'),
            ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        History = pool.get('crm.stage.history')
        Stage = pool.get('crm.stage')
        opportunity = Opportunity.__table__()
        history = History.__table__()
        stage = Stage.__table__()
        # Only the stays that ended: one in progress has no duration yet;
        # in the period by the day they ended.
        end = Opportunity.start_date.sql_cast(history.end)
        return (history
            .join(opportunity, condition=history.opportunity == opportunity.id)
            .join(stage, condition=history.stage == stage.id)
            .select(
                stage.id.as_('id'),
                opportunity.company.as_('company'),
                stage.id.as_('stage'),
                stage.sales_method.as_('sales_method'),
                stage.sequence.as_('sequence'),
                stage.expected_days.as_('expected_days'),
                Count(history.id).as_('number'),
                cls.average_days.sql_cast(
                    Avg(days_between(history.start, history.end))).as_(
                    'average_days'),
                where=(history.end != Null)
                & period_where(end)
                & analysis_where(opportunity),
                group_by=[opportunity.company, stage.id,
                    stage.sales_method, stage.sequence,
                    stage.expected_days]))


class ExpectedTurnover(KeptRowsMixin, ModelSQL, ModelView):
    "Expected Turnover"
    __name__ = 'crm.analysis.turnover'
    __string__ = "Expected Turnover"

    company = fields.Many2One('company.company', "Company")
    state = fields.Selection('get_states', "State")
    employee = fields.Many2One('company.employee', "Responsible")
    close_month = fields.Date(
        "Expected Close", help="The month of the expected end date.")
    currency = fields.Many2One('currency.currency', "Currency")
    number = fields.Integer("Open", help="The open opportunities.")
    amount = Monetary(
        "Amount", currency='currency', digits='currency',
        help="Their amount, in the currency of the company.")
    weighted_amount = Monetary(
        "Weighted Amount", currency='currency', digits='currency',
        help="Their amount times their conversion probability.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('close_month', 'ASC NULLS LAST'), ('state', 'ASC'),
            ('id', 'ASC')]

    @classmethod
    def get_states(cls):
        Opportunity = Pool().get('sale.opportunity')
        return Opportunity.fields_get(['state'])['state']['selection']

    @classmethod
    def table_query(cls):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        opportunity = Opportunity.__table__()
        amount = company_amount(opportunity, opportunity.amount)
        # The period selects by the expected end date: the turnover
        # expected in it.
        rows = opportunity.select(
            opportunity.id.as_('id'),
            opportunity.company.as_('company'),
            opportunity.state.as_('state'),
            opportunity.employee.as_('employee'),
            cls.close_month.sql_cast(period_start(
                    'month', opportunity.end_date)).as_('close_month'),
            amount.as_('amount'),
            (amount * opportunity.conversion_probability).as_('weighted'),
            where=opportunity.state.in_(OPEN_STATES)
            & period_where(opportunity.end_date)
            & analysis_where(opportunity))
        # Grouped by the month's column: PostgreSQL takes the truncation of
        # the select and that of a GROUP BY, with their own parameters, for
        # two expressions.
        return rows.select(
            Min(rows.id).as_('id'),
            rows.company.as_('company'),
            rows.state.as_('state'),
            rows.employee.as_('employee'),
            rows.close_month.as_('close_month'),
            Literal(company_currency()).as_('currency'),
            Count(rows.id).as_('number'),
            cls.amount.sql_cast(Sum(rows.amount)).as_('amount'),
            cls.amount.sql_cast(Sum(rows.weighted)).as_('weighted_amount'),
            group_by=[rows.company, rows.state, rows.employee,
                rows.close_month])
