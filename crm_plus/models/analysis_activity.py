# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The activities done by the employees, per period (see analysis.py)."""
from sql.aggregate import Count, Min
from sql.conditionals import Coalesce

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

from .analysis import period_start, period_where
from .mixins import (
    KeptRowsMixin, OrganisationFilterMixin, ReportContextMixin, subtree_ids)


class ActivityContext(
        OrganisationFilterMixin, ReportContextMixin, ModelView):
    "Employee Activity Context"
    __name__ = 'crm.analysis.activity.context'
    __string__ = "Employee Activity Context"

    period = fields.Selection([
            ('year', "Year"),
            ('month', "Month"),
            ('day', "Day"),
            ], "Period", required=True)
    industry = fields.Many2One(
        'crm.industry', "Industry",
        help="Only the activities with parties of this industry.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.team.help = (
            "Only the activities of the members of this sales team "
            "and of its sub-teams.")
        cls.territory.help = (
            "Only the activities with parties of this territory "
            "and of its sub-territories.")
        cls.employee.help = "Only the activities of this employee."

    @classmethod
    def default_period(cls):
        return Transaction().context.get('period', 'month')


def readable_records(model_name, table):
    """The condition on table, the SQL table of model_name, that keeps the
    records the record rules let the user read, or None when they restrict
    nothing: readable_opportunities for another model"""
    pool = Pool()
    Rule = pool.get('ir.rule')
    domain = Rule.domain_get(model_name, mode='read')
    if not domain:
        return None
    return table.id.in_(Rule.query_get(model_name, mode='read'))


class ActivityAnalysis(KeptRowsMixin, ModelSQL, ModelView):
    "Employee Activity"
    __name__ = 'crm.analysis.activity'
    __string__ = "Employee Activity"

    company = fields.Many2One('company.company', "Company")
    date = fields.Date("Date", help="The first day of the period.")
    employee = fields.Many2One('company.employee', "Responsible")
    type = fields.Many2One('crm.activity.type', "Type")
    number = fields.Integer(
        "Done", help="The activities completed in the period.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('date', 'ASC'), ('employee', 'ASC'), ('type', 'ASC'),
            ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Activity = pool.get('crm.activity')
        Member = pool.get('crm.team.member')
        Party = pool.get('party.party')
        context = Transaction().context
        period = context.get('period', 'month')
        if period not in {'year', 'month', 'day'}:
            period = 'month'
        activity = Activity.__table__()
        # Done on the day it was completed; activities marked done before
        # the completion was recorded on the day they started.
        done = cls.date.sql_cast(
            Coalesce(activity.completed_at, activity.start))
        where = ((activity.state == 'done')
            & (activity.company == context.get('company', -1))
            & period_where(done))
        if context.get('team'):
            member = Member.__table__()
            # The activities of the members of the team and its sub-teams
            where &= activity.employee.in_(member.select(
                    member.employee,
                    where=member.team.in_(
                        subtree_ids('crm.team', context['team']))))
        if context.get('territory'):
            party = Party.__table__()
            where &= activity.party.in_(party.select(
                    party.id,
                    where=party.territory.in_(subtree_ids(
                            'crm.territory', context['territory']))))
        if context.get('industry'):
            party = Party.__table__()
            where &= activity.party.in_(party.select(
                    party.id, where=party.industry == context['industry']))
        if context.get('employee'):
            where &= activity.employee == context['employee']
        readable = readable_records(Activity.__name__, activity)
        if readable is not None:
            where &= readable
        rows = activity.select(
            activity.id.as_('id'),
            activity.company.as_('company'),
            cls.date.sql_cast(period_start(period, done)).as_('date'),
            activity.employee.as_('employee'),
            activity.type.as_('type'),
            where=where)
        # Grouped by the column of the period, as the expected turnover.
        return rows.select(
            Min(rows.id).as_('id'),
            rows.company.as_('company'),
            rows.date.as_('date'),
            rows.employee.as_('employee'),
            rows.type.as_('type'),
            Count(rows.id).as_('number'),
            group_by=[rows.company, rows.date, rows.employee, rows.type])
