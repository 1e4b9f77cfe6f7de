# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Forecast accuracy: what was won against the commit and the weighted
pipeline stored when the periods closed"""
from sql import Cast
from sql.conditionals import Coalesce, NullIf

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .sales_period import PERIOD_TYPES


class AccuracyContext(ModelView):
    "Forecast Accuracy Context"
    __name__ = 'crm.forecast.accuracy.context'
    __string__ = "Forecast Accuracy Context"

    company = fields.Many2One('company.company', "Company", required=True)
    period_type = fields.Selection([(None, "")] + PERIOD_TYPES, "Period Type",
        help="Leave empty to show the months and the quarters.")
    from_period = fields.Many2One(
        'crm.sales_period', "From Period",
        domain=[('company', '=', Eval('company', -1))],
        help="Only the periods starting from the start of this one.")
    to_period = fields.Many2One(
        'crm.sales_period', "To Period",
        domain=[('company', '=', Eval('company', -1))],
        help="Only the periods ending by the end of this one.")
    from_date = fields.Date("From Date",
        help="Only the periods starting on or after this date.")
    to_date = fields.Date("To Date",
        help="Only the periods ending on or before this date.")
    team = fields.Many2One(
        'crm.team', "Sales Team",
        domain=[('company', '=', Eval('company', -1))],
        help="Only the forecasts of this team, of its sub-teams "
        "and of their members.")
    employee = fields.Many2One(
        'company.employee', "Salesperson",
        domain=[('company', '=', Eval('company', -1))],
        help="Only the forecasts of this salesperson.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')


class Accuracy(ModelSQL, ModelView):
    "Forecast Accuracy"
    __name__ = 'crm.forecast.accuracy'
    __string__ = "Forecast Accuracy"

    forecast = fields.Many2One('crm.forecast', "Forecast")
    period = fields.Many2One('crm.sales_period', "Sales Period")
    start_date = fields.Date("Start Date")
    company = fields.Many2One('company.company', "Company")
    employee = fields.Many2One('company.employee', "Salesperson")
    team = fields.Many2One('crm.team', "Sales Team")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"), 'get_currency')
    quota = Monetary("Quota", currency='currency', digits='currency')
    commit = Monetary("Commit", currency='currency', digits='currency',
        help="The adjusted commit, else the submitted one.")
    weighted_pipeline = Monetary(
        "Weighted Pipeline", currency='currency', digits='currency',
        help="The weighted pipeline when the period closed.")
    won = Monetary("Won", currency='currency', digits='currency',
        help="The amount won when the period closed.")
    commit_accuracy = fields.Float(
        "Won / Commit", digits=(16, 4),
        help="The amount won divided by the commit.")
    weighted_accuracy = fields.Float(
        "Won / Weighted", digits=(16, 4),
        help="The amount won divided by the weighted pipeline.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('start_date', 'DESC'), ('team', 'ASC NULLS FIRST'),
            ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Forecast = pool.get('crm.forecast')
        Period = pool.get('crm.sales_period')
        Rule = pool.get('ir.rule')
        context = Transaction().context
        forecast, period = Forecast.__table__(), Period.__table__()

        where = ((period.state == 'closed')
            & (period.company == context.get('company', -1)))
        if context.get('period_type'):
            where &= period.type == context['period_type']
        if context.get('from_period'):
            where &= period.start_date >= Period(
                context['from_period']).start_date
        if context.get('to_period'):
            where &= period.end_date <= Period(context['to_period']).end_date
        if context.get('from_date'):
            where &= period.start_date >= context['from_date']
        if context.get('to_date'):
            where &= period.end_date <= context['to_date']
        if context.get('team'):
            team_id = context['team']
            employees = Forecast._team_employees([team_id])[team_id]
            teams = cls._subtree(team_id)
            where &= (forecast.team.in_(teams)
                | forecast.employee.in_(list(employees) or [-1]))
        if context.get('employee'):
            where &= forecast.employee == context['employee']
        # The forecasts the user may read, as the forecasts' list shows.
        if Rule.domain_get(Forecast.__name__, mode='read'):
            where &= forecast.id.in_(
                Rule.query_get(Forecast.__name__, mode='read'))

        numeric = cls.commit.sql_type().base
        float_ = cls.commit_accuracy.sql_type().base
        commit = Coalesce(forecast.commit_adjusted, forecast.commit_submitted)
        weighted = Coalesce(forecast.frozen_weighted_pipeline, 0)
        won = Coalesce(forecast.frozen_won, 0)
        return forecast.join(period,
            condition=forecast.period == period.id
            ).select(
            forecast.id.as_('id'),
            forecast.id.as_('forecast'),
            period.id.as_('period'),
            period.start_date.as_('start_date'),
            period.company.as_('company'),
            forecast.employee.as_('employee'),
            forecast.team.as_('team'),
            Cast(forecast.quota, numeric).as_('quota'),
            Cast(commit, numeric).as_('commit'),
            Cast(weighted, numeric).as_('weighted_pipeline'),
            Cast(won, numeric).as_('won'),
            (Cast(won, float_) / NullIf(Cast(commit, float_), 0)
                ).as_('commit_accuracy'),
            (Cast(won, float_) / NullIf(Cast(weighted, float_), 0)
                ).as_('weighted_accuracy'),
            where=where)

    @classmethod
    def _subtree(cls, team_id):
        pool = Pool()
        Team = pool.get('crm.team')
        with without_check_access(), Transaction().set_context(
                active_test=False):
            return [t.id for t in Team.search([
                        ('parent', 'child_of', [team_id]),
                        ])]

    def get_currency(self, name):
        return self.company.currency.id if self.company else None
