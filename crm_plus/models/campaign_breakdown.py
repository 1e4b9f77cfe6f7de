# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The campaign results by campaign type, by lead source and over periods:
the figures of the campaign results (campaign_roi.py) added up by another
dimension than the campaign."""
from sql import Column, Expression, Literal, Null, Union
from sql.aggregate import Count, Sum
from sql.conditionals import Coalesce, NullIf
from sql.functions import Extract

from trytond import backend
from trytond.model import fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .campaign_roi import (
    CampaignReportContext, CampaignResultsMixin, TargetFiguresMixin, _exact)

# The figures that add up, by the names of CampaignResultsMixin._results,
# in the order of the columns of the rows united.
FIGURES = ('leads', 'opportunities', 'won', 'ordered', 'invoiced', 'paid',
    'margin', 'cost')


def _sums(figures):
    "The sums of the figures of the rows grouped"
    return {name: Sum(Coalesce(figure, 0))
        for name, figure in figures.items()}


class _Written(Expression):
    """An SQL expression written around other expressions, with no
    parameter of its own

    The rows are grouped by their key: PostgreSQL takes a selected
    expression for the grouped one only when they are written the same, and
    two parameters are never the same, even of the same value."""
    __slots__ = ('_text', '_expressions')

    def __init__(self, text, *expressions):
        super().__init__()
        self._text = text
        self._expressions = expressions

    def __str__(self):
        return self._text.format(*map(str, self._expressions))

    @property
    def params(self):
        return sum((e.params for e in self._expressions), ())


def _or_zero(column):
    "The column, 0 for none: the rows are joined on their keys"
    return _Written('COALESCE({}, 0)', column)


# The first day of the year or month of a date.
_PERIOD_STARTS = {
    'sqlite': {
        'year': "STRFTIME('%Y-01-01', {})",
        'month': "STRFTIME('%Y-%m-01', {})",
        },
    'postgresql': {
        'year': "DATE_TRUNC('year', {})",
        'month': "DATE_TRUNC('month', {})",
        },
    }


def _period_start(period, date):
    return _Written(_PERIOD_STARTS[backend.name][period], date)


def _row_id(key):
    """The id of the row of a key that is a record id or none: ids start at
    1, as the web client takes no id for a record not saved"""
    return Coalesce(key, 0) + 1


class CampaignTypeReport(TargetFiguresMixin, CampaignResultsMixin):
    "Campaign Results by Type"
    __name__ = 'crm.campaign.report.type'
    __string__ = "Campaign Results by Type"

    _row_name = 'campaign_type'

    campaign_type = fields.Many2One('crm.campaign.type', "Campaign Type")
    campaigns = fields.Integer("Campaigns", help="The campaigns of the type.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('campaign_type', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        from_, campaign, targets, figures = cls._per_campaign()
        # The figures of each campaign added up: the same as the sum of the
        # rows of the campaign results.
        return from_.select(
            _row_id(campaign.type).as_('id'),
            campaign.type.as_('campaign_type'),
            campaign.company.as_('company'),
            Count(campaign.id).as_('campaigns'),
            *cls._results(
                targets=Sum(Coalesce(targets.targets, 0)),
                responses=Sum(Coalesce(targets.responses, 0)),
                **_sums(figures)),
            where=cls._campaign_where(campaign),
            group_by=[campaign.type, campaign.company])


class CampaignLeadSourceReport(CampaignResultsMixin):
    "Campaign Results by Lead Source"
    __name__ = 'crm.campaign.report.lead_source'
    __string__ = "Campaign Results by Lead Source"

    _row_name = 'lead_source'

    lead_source = fields.Many2One('crm.lead_source', "Lead Source")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('lead_source', 'ASC NULLS LAST'), ('id', 'ASC')]
        cls.cost.help = (
            "The confirmed expenses of the campaigns in the period, each "
            "campaign's shared among its lead sources in proportion to the "
            "leads they brought; the row without lead source also has the "
            "expenses of the campaigns that brought no lead.")

    @classmethod
    def table_query(cls):
        Campaign = Pool().get('marketing.campaign')
        context = Transaction().context

        def key(opportunity):
            return _or_zero(opportunity.lead_source)
        opportunities = cls._opportunities(key)
        ordered = cls._ordered(key)
        invoices = cls._invoices(key)
        costs = cls._costs()
        # The cost of a campaign is shared among all the lead sources of its
        # leads, whatever the lead source asked for.
        with Transaction().set_context(lead_source=None):
            totals = cls._opportunities()

        def same(query):
            return ((query.campaign == opportunities.campaign)
                & (query.key == opportunities.key))
        campaign = Campaign.__table__()
        figures = cls._figures(opportunities, ordered, invoices, costs)
        figures['cost'] = (_exact(costs.cost) * opportunities.leads
            / NullIf(totals.leads, 0))
        by_source = (opportunities
            .join(campaign, condition=campaign.id == opportunities.campaign)
            .join(ordered, 'LEFT', condition=same(ordered))
            .join(invoices, 'LEFT', condition=same(invoices))
            .join(costs, 'LEFT',
                condition=costs.campaign == opportunities.campaign)
            .join(totals, 'LEFT',
                condition=totals.campaign == opportunities.campaign)
            .select(
                opportunities.key.as_('key'),
                *(figures[n].as_(n) for n in FIGURES),
                where=cls._campaign_where(campaign)))
        rows = by_source
        if not context.get('lead_source'):
            # What the campaigns without any lead cost is not the cost of a
            # lead source: it stays in sight, with the leads of none.
            campaign = Campaign.__table__()
            zero = Literal(0)
            no_lead = (costs
                .join(campaign, condition=campaign.id == costs.campaign)
                .join(totals, 'LEFT',
                    condition=totals.campaign == costs.campaign)
                .select(
                    zero.as_('key'),
                    *(zero.as_(n) for n in FIGURES if n != 'cost'),
                    costs.cost.as_('cost'),
                    where=cls._campaign_where(campaign)
                    & (totals.campaign == Null)))
            rows = Union(by_source, no_lead, all_=True)
        lead_source = NullIf(rows.key, 0)
        return rows.select(
            _row_id(lead_source).as_('id'),
            lead_source.as_('lead_source'),
            Literal(context.get('company', -1)).as_('company'),
            *cls._results(**_sums({n: Column(rows, n) for n in FIGURES})),
            group_by=[rows.key])


class CampaignPeriodReportContext(CampaignReportContext):
    "Campaign Results over Periods Context"
    __name__ = 'crm.campaign.report.period.context'
    __string__ = "Campaign Results over Periods Context"

    campaign = fields.Many2One(
        'marketing.campaign', "Campaign",
        domain=[('company', '=', Eval('company', -1))],
        help="Only this campaign.")
    period = fields.Selection([
            ('year', "Year"),
            ('month', "Month"),
            ], "Period", required=True)

    @classmethod
    def default_campaign(cls):
        return Transaction().context.get('campaign')

    @classmethod
    def default_period(cls):
        return Transaction().context.get('period', 'month')


class CampaignPeriodReport(CampaignResultsMixin):
    "Campaign Results over Periods"
    __name__ = 'crm.campaign.report.period'
    __string__ = "Campaign Results over Periods"

    date = fields.Date(
        "Date",
        help="The first day of the period. The leads started in the period "
        "and what they became since, however late, count in it: the "
        "return of the money spent in a period comes later.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'ASC'), ('id', 'ASC')]
        cls.cost.help = (
            "The confirmed expenses of the campaigns dated in the period.")

    def get_rec_name(self, name):
        return self.date.isoformat() if self.date else ''

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('date', *clause[1:])]

    @classmethod
    def _campaign_where(cls, campaign):
        where = super()._campaign_where(campaign)
        if Transaction().context.get('campaign'):
            where &= campaign.id == Transaction().context['campaign']
        return where

    @classmethod
    def table_query(cls):
        Campaign = Pool().get('marketing.campaign')
        context = Transaction().context
        period = context.get('period')
        if period not in {'year', 'month'}:
            period = 'month'

        def opportunity_key(opportunity):
            return _period_start(period, opportunity.start_date)
        opportunities = cls._opportunities(opportunity_key)
        ordered = cls._ordered(opportunity_key)
        invoices = cls._invoices(opportunity_key)
        costs = cls._costs(
            lambda expense: _period_start(period, expense.date))
        # The periods of each campaign: those when leads started or money
        # was spent.
        keys = Union(
            opportunities.select(opportunities.campaign, opportunities.key),
            costs.select(costs.campaign, costs.key))

        def same(query):
            return (query.campaign == keys.campaign) & (query.key == keys.key)
        campaign = Campaign.__table__()
        figures = cls._figures(opportunities, ordered, invoices, costs)
        per_campaign = (keys
            .join(campaign, condition=campaign.id == keys.campaign)
            .join(opportunities, 'LEFT', condition=same(opportunities))
            .join(ordered, 'LEFT', condition=same(ordered))
            .join(invoices, 'LEFT', condition=same(invoices))
            .join(costs, 'LEFT', condition=same(costs))
            .select(keys.key.as_('key'),
                *(figures[n].as_(n) for n in FIGURES),
                where=cls._campaign_where(campaign)))
        # The campaigns of a period added up.
        periods = per_campaign.select(
            per_campaign.key.as_('key'),
            *(Sum(Coalesce(Column(per_campaign, n), 0)).as_(n)
                for n in FIGURES),
            group_by=[per_campaign.key])
        date = cls.date.sql_cast(periods.key)
        # The id is the date: the same row whoever reads it and whatever
        # the filters.
        id_ = cls.leads.sql_cast(Extract('YEAR', date) * 10000
            + Extract('MONTH', date) * 100 + Extract('DAY', date))
        return periods.select(
            id_.as_('id'),
            Literal(context.get('company', -1)).as_('company'),
            date.as_('date'),
            *cls._results(**{n: Column(periods, n) for n in FIGURES}))
