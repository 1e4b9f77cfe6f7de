# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Sales analyses for managers: won business by dimension, the
opportunities tracked over periods, the conversion of the leads of each
source; analysis_pipeline.py and analysis_activity.py have the others.

Every analysis is a table_query on the opportunities that the record rules
let the user read (readable_opportunities), filtered by the context: the
company, the period, a sales team or a territory with their subtrees, an
employee, a product or a product category (with its sub-categories), the
industry of the party and the lead source.
"""
from sql import Cast, Literal, Null, Union, Window
from sql.aggregate import Avg, Count, Min, Sum
from sql.conditionals import Case, Coalesce, NullIf
from sql.functions import DateTrunc, Extract, Function, Round
from sql.operators import Concat

from trytond import backend
from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .mixins import (
    KeptRowsMixin, OrganisationFilterMixin, ReportContextMixin,
    organisation_where, subtree_ids)
from .stage import days_between
from .visibility import readable_opportunities

# The states of an opportunity that closed it, on its end date
CLOSED_STATES = ['won', 'lost', 'cancelled']


class AnalysisContextMixin(OrganisationFilterMixin, ReportContextMixin):
    "The filters of the analyses"
    __slots__ = ()

    product = fields.Many2One(
        'product.product', "Product",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="Only the opportunities with a line of this product.")
    product_category = fields.Many2One(
        'product.category', "Product Category",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="Only the opportunities with a line of a product "
        "of this category or of its sub-categories.")
    industry = fields.Many2One(
        'crm.industry', "Industry",
        help="Only the opportunities of parties of this industry.")
    lead_source = fields.Many2One(
        'crm.lead_source', "Lead Source",
        help="Only the opportunities from this lead source.")


class AnalysisContext(AnalysisContextMixin, ModelView):
    "Analysis Context"
    __name__ = 'crm.analysis.context'
    __string__ = "Analysis Context"


class TrackingContext(AnalysisContextMixin, ModelView):
    "Opportunity Tracking Context"
    __name__ = 'crm.analysis.tracking.context'
    __string__ = "Opportunity Tracking Context"

    period = fields.Selection([
            ('year', "Year"),
            ('month', "Month"),
            ('day', "Day"),
            ], "Period", required=True)

    @classmethod
    def default_period(cls):
        return Transaction().context.get('period', 'month')


def company_currency():
    "The id of the currency of the company of the context, or None"
    Company = Pool().get('company.company')
    company = Transaction().context.get('company')
    if company is not None and company >= 0:
        return Company(company).currency.id


def company_amount(opportunity, amount):
    """The SQL expression of amount, in the currency of opportunity, in the
    currency of the company of the context

    As the funnel does: at the rates of the opportunity's start date, and
    the company's own currency without a rate."""
    Funnel = Pool().get('crm.funnel')
    currency = company_currency()
    amount = Coalesce(amount, 0)
    if currency is None:
        return amount
    return Case(
        (opportunity.currency == currency, amount),
        else_=amount * Funnel._rate(currency, opportunity.start_date)
        / Funnel._rate(opportunity.currency, opportunity.start_date))


def _product_lines_where(line):
    "The condition on the table of opportunity lines of the context"
    pool = Pool()
    Product = pool.get('product.product')
    TemplateCategory = pool.get('product.template-product.category')
    context = Transaction().context
    where = Literal(True)
    if context.get('product'):
        where &= line.product == context['product']
    if context.get('product_category'):
        product = Product.__table__()
        template_category = TemplateCategory.__table__()
        where &= line.product.in_(product.join(template_category,
                condition=product.template == template_category.template
                ).select(product.id,
                where=template_category.category.in_(subtree_ids(
                        'product.category', context['product_category']))))
    return where


def analysis_where(opportunity):
    """The SQL condition on the table of sale.opportunity that keeps the
    readable opportunities of the company and the filters of the context,
    whatever their dates"""
    pool = Pool()
    Party = pool.get('party.party')
    Line = pool.get('sale.opportunity.line')
    context = Transaction().context
    where = opportunity.company == context.get('company', -1)
    where &= organisation_where(opportunity)
    if context.get('lead_source'):
        where &= opportunity.lead_source == context['lead_source']
    if context.get('industry'):
        party = Party.__table__()
        where &= opportunity.party.in_(party.select(
                party.id, where=party.industry == context['industry']))
    if context.get('product') or context.get('product_category'):
        line = Line.__table__()
        where &= opportunity.id.in_(line.select(
                line.opportunity, where=_product_lines_where(line)))
    readable = readable_opportunities(opportunity)
    if readable is not None:
        where &= readable
    return where


class _Strftime(Function):
    __slots__ = ()
    _function = 'STRFTIME'


# The first day of a period as SQLite formats it itself: trytond's
# DATE_TRUNC for SQLite is a Python function, called for every row.
_SQLITE_PERIOD_STARTS = {
    'year': '%Y-01-01',
    'month': '%Y-%m-01',
    'day': '%Y-%m-%d',
    }


def period_start(period, date):
    """The SQL expression of the first day of the year, month or day of
    date (a date or a timestamp), to be cast to a date"""
    if backend.name == 'sqlite':
        return _Strftime(_SQLITE_PERIOD_STARTS[period], date)
    return DateTrunc(period, date)


def period_where(date):
    "The SQL condition that keeps the date within the period of the context"
    context = Transaction().context
    where = Literal(True)
    if context.get('from_date'):
        where &= date >= context['from_date']
    if context.get('to_date'):
        where &= date <= context['to_date']
    return where


class WonAnalysisMixin(KeptRowsMixin, ModelSQL, ModelView):
    """The opportunities won in the period, their number and value, by a
    dimension: a column of the opportunities or of their lines"""
    __slots__ = ()

    company = fields.Many2One('company.company', "Company")
    currency = fields.Many2One('currency.currency', "Currency")
    number = fields.Integer(
        "Won", help="The number of opportunities won.")
    amount = Monetary(
        "Won Value", currency='currency', digits='currency',
        help="The value won, in the currency of the company.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('amount', 'DESC'), ('id', 'ASC')]

    @classmethod
    def _won_where(cls, opportunity):
        "The won opportunities that the context selects"
        return ((opportunity.state == 'won')
            & period_where(opportunity.end_date)
            & analysis_where(opportunity))

    @classmethod
    def _dimension(cls, tables):
        "The SQL expression of the dimension, from tables"
        raise NotImplementedError

    @classmethod
    def _from(cls, opportunity):
        "The FROM item and its tables by name"
        return opportunity, {'opportunity': opportunity}

    @classmethod
    def table_query(cls):
        Opportunity = Pool().get('sale.opportunity')
        opportunity = Opportunity.__table__()
        from_item, tables = cls._from(opportunity)
        dimension = cls._dimension(tables)
        return from_item.select(
            Min(opportunity.id).as_('id'),
            opportunity.company.as_('company'),
            Literal(company_currency()).as_('currency'),
            dimension.as_(cls._dimension_name),
            Count(opportunity.id, distinct=True).as_('number'),
            cls.amount.sql_cast(Sum(company_amount(
                        opportunity, opportunity.amount))).as_('amount'),
            where=cls._won_where(opportunity),
            group_by=[opportunity.company, dimension])


class WonByTeam(WonAnalysisMixin):
    "Won by Sales Team"
    __name__ = 'crm.analysis.won.team'
    __string__ = "Won by Sales Team"
    _dimension_name = 'team'

    team = fields.Many2One('crm.team', "Sales Team")

    @classmethod
    def _dimension(cls, tables):
        return tables['opportunity'].team


class WonByTerritory(WonAnalysisMixin):
    "Won by Territory"
    __name__ = 'crm.analysis.won.territory'
    __string__ = "Won by Territory"
    _dimension_name = 'territory'

    territory = fields.Many2One('crm.territory', "Territory")

    @classmethod
    def _dimension(cls, tables):
        return tables['opportunity'].territory


class WonByParty(WonAnalysisMixin):
    "Won by Customer"
    __name__ = 'crm.analysis.won.party'
    __string__ = "Won by Customer"
    _dimension_name = 'party'

    party = fields.Many2One(
        'party.party', "Customer",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})

    @classmethod
    def _dimension(cls, tables):
        return tables['opportunity'].party


class WonByIndustry(WonAnalysisMixin):
    "Won by Industry"
    __name__ = 'crm.analysis.won.industry'
    __string__ = "Won by Industry"
    _dimension_name = 'industry'

    industry = fields.Many2One('crm.industry', "Industry")

    @classmethod
    def _from(cls, opportunity):
        Party = Pool().get('party.party')
        party = Party.__table__()
        return (opportunity.join(party, 'LEFT',
                condition=opportunity.party == party.id),
            {'opportunity': opportunity, 'party': party})

    @classmethod
    def _dimension(cls, tables):
        return tables['party'].industry


class WonLineAnalysisMixin(WonAnalysisMixin):
    """The won opportunities by a dimension of their lines: the value is
    that of the lines, the number that of the opportunities"""
    __slots__ = ()

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.amount.help = (
            "The value of the lines won, in the currency of the company.")

    @classmethod
    def _from(cls, opportunity):
        Line = Pool().get('sale.opportunity.line')
        line = Line.__table__()
        return (opportunity.join(line,
                condition=(line.opportunity == opportunity.id)
                & _product_lines_where(line)),
            {'opportunity': opportunity, 'line': line})

    @classmethod
    def table_query(cls):
        Opportunity = Pool().get('sale.opportunity')
        opportunity = Opportunity.__table__()
        from_item, tables = cls._from(opportunity)
        line = tables['line']
        dimension = cls._dimension(tables)
        return from_item.select(
            cls._row_id(tables).as_('id'),
            opportunity.company.as_('company'),
            Literal(company_currency()).as_('currency'),
            dimension.as_(cls._dimension_name),
            Count(opportunity.id, distinct=True).as_('number'),
            cls.amount.sql_cast(Sum(company_amount(
                        opportunity, line.amount))).as_('amount'),
            where=cls._won_where(opportunity),
            group_by=[opportunity.company, dimension])

    @classmethod
    def _row_id(cls, tables):
        return Min(tables['line'].id)


class WonByProduct(WonLineAnalysisMixin):
    "Won by Product"
    __name__ = 'crm.analysis.won.product'
    __string__ = "Won by Product"
    _dimension_name = 'product'

    product = fields.Many2One(
        'product.product', "Product",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})

    @classmethod
    def _dimension(cls, tables):
        return tables['line'].product


class WonByProductCategory(WonLineAnalysisMixin):
    "Won by Product Category"
    __name__ = 'crm.analysis.won.product_category'
    __string__ = "Won by Product Category"
    _dimension_name = 'product_category'

    product_category = fields.Many2One(
        'product.category', "Product Category",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})

    @classmethod
    def _from(cls, opportunity):
        pool = Pool()
        Product = pool.get('product.product')
        TemplateCategory = pool.get('product.template-product.category')
        from_item, tables = super()._from(opportunity)
        product = Product.__table__()
        template_category = TemplateCategory.__table__()
        # A product in several categories counts in each of them; the lines
        # of products without a category are left out.
        from_item = (from_item
            .join(product, condition=tables['line'].product == product.id)
            .join(template_category,
                condition=product.template == template_category.template))
        return from_item, {**tables, 'template_category': template_category}

    @classmethod
    def _dimension(cls, tables):
        return tables['template_category'].category

    @classmethod
    def _row_id(cls, tables):
        # A line is in as many rows as its product has categories.
        return tables['template_category'].category


class Tracking(KeptRowsMixin, ModelSQL, ModelView):
    "Opportunity Tracking"
    __name__ = 'crm.analysis.tracking'
    __string__ = "Opportunity Tracking"

    company = fields.Many2One('company.company', "Company")
    date = fields.Date(
        "Date", help="The first day of the period.")
    created = fields.Integer(
        "Created", help="The opportunities started in the period.")
    won = fields.Integer(
        "Won", help="The opportunities won in the period.")
    lost = fields.Integer(
        "Lost", help="The opportunities lost in the period.")
    open = fields.Integer(
        "Open at End",
        help="The opportunities started by the end of the period "
        "and not yet won, lost or cancelled then.")
    win_rate = fields.Float(
        "Win Rate", digits=(1, 4),
        help="The opportunities won among those won or lost in the period.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        Opportunity = Pool().get('sale.opportunity')
        context = Transaction().context
        period = context.get('period', 'month')
        if period not in {'year', 'month', 'day'}:
            period = 'month'
        opportunity = Opportunity.__table__()
        where = analysis_where(opportunity)
        zero, one = Literal(0), Literal(1)

        # An event per start and per close of each opportunity, in the
        # period of its date.
        starts = opportunity.select(
            period_start(period, opportunity.start_date).as_('date'),
            one.as_('created'), zero.as_('won'), zero.as_('lost'),
            zero.as_('closed'),
            where=where)
        opportunity_c = Opportunity.__table__()
        closes = opportunity_c.select(
            period_start(period, opportunity_c.end_date).as_('date'),
            zero.as_('created'),
            Case((opportunity_c.state == 'won', one), else_=zero).as_('won'),
            Case((opportunity_c.state == 'lost', one), else_=zero).as_('lost'),
            one.as_('closed'),
            where=analysis_where(opportunity_c)
            & opportunity_c.state.in_(CLOSED_STATES)
            & (opportunity_c.end_date != Null))
        events = Union(starts, closes, all_=True)
        periods = events.select(
            events.date.as_('date'),
            Sum(events.created).as_('created'),
            Sum(events.won).as_('won'),
            Sum(events.lost).as_('lost'),
            Sum(events.closed).as_('closed'),
            group_by=[events.date])
        # Open at the end of a period: all those started until then, less
        # all those closed until then, from the very first period whatever
        # the dates asked.
        in_order = Window([], order_by=[periods.date.asc])
        running = periods.select(
            periods.date.as_('date'),
            periods.created.as_('created'),
            periods.won.as_('won'),
            periods.lost.as_('lost'),
            Sum(periods.created - periods.closed, window=in_order).as_(
                'open'))
        integer = cls.created.sql_cast
        date = cls.date.sql_cast(running.date)
        # The id is the date: the same row whoever reads it and whatever
        # the filters.
        id_ = integer(Extract('YEAR', date) * 10000
            + Extract('MONTH', date) * 100 + Extract('DAY', date))
        decided = running.won + running.lost
        float_ = cls.win_rate.sql_cast
        # Rounded as a NUMERIC: PostgreSQL rounds no float to digits.
        win_rate = Case(
            (decided > 0, float_(Round(Cast(
                            float_(running.won) / float_(decided),
                            'NUMERIC'), 4))),
            else_=Null)
        return running.select(
            id_.as_('id'),
            Literal(context.get('company', -1)).as_('company'),
            date.as_('date'),
            integer(running.created).as_('created'),
            integer(running.won).as_('won'),
            integer(running.lost).as_('lost'),
            integer(running.open).as_('open'),
            win_rate.as_('win_rate'),
            where=cls._period_where(date, period))

    @classmethod
    def _period_where(cls, date, period):
        "The periods that the dates of the context overlap"
        context = Transaction().context
        where = Literal(True)
        from_date = context.get('from_date')
        if from_date:
            from_date = from_date.replace(
                **({'year': {'month': 1, 'day': 1}, 'month': {'day': 1}}
                    .get(period, {})))
            where &= date >= from_date
        if context.get('to_date'):
            where &= date <= context['to_date']
        return where


class LeadSourceAnalysis(KeptRowsMixin, ModelSQL, ModelView):
    "Lead Sources"
    __name__ = 'crm.analysis.lead_source'
    __string__ = "Lead Sources"

    company = fields.Many2One('company.company', "Company")
    lead_source = fields.Many2One('crm.lead_source', "Lead Source")
    currency = fields.Many2One('currency.currency', "Currency")
    leads = fields.Integer(
        "Leads", help="The leads and opportunities started in the period.")
    converted = fields.Integer(
        "Converted",
        help="The leads that became opportunities, whatever became of them "
        "since.")
    conversion_rate = fields.Float(
        "Conversion Rate", digits=(1, 4),
        help="The leads converted among all the leads.")
    days_to_convert = fields.Float(
        "Days to Convert", digits=(16, 1),
        help="The average number of days from the start of a lead "
        "to its conversion.")
    won_amount = Monetary(
        "Won Value", currency='currency', digits='currency',
        help="The value of the leads won, in the currency of the company.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('leads', 'DESC'), ('id', 'ASC')]

    @classmethod
    def _conversions(cls):
        """The first conversion date of the opportunities that left the lead
        state, by resource of ir.model.log

        The host logs every transition of the workflow, and keeps no date
        of conversion on the opportunity."""
        Log = Pool().get('ir.model.log')
        log = Log.__table__()
        return log.select(
            log.resource.as_('resource'),
            Min(log.create_date).as_('date'),
            where=(log.event == 'transition')
            & log.target.in_(['state:opportunity', 'state:converted'])
            & log.resource.like('sale.opportunity,%'),
            group_by=[log.resource])

    @classmethod
    def table_query(cls):
        Opportunity = Pool().get('sale.opportunity')
        opportunity = Opportunity.__table__()
        conversion = cls._conversions()
        float_ = cls.conversion_rate.sql_cast
        # Converted: logged as leaving the lead state for an opportunity,
        # or in a later state without a log (created so by an import).
        converted = Case(
            ((conversion.date != Null)
                | opportunity.state.in_(['opportunity', 'converted', 'won']),
                Literal(1)),
            else_=Literal(0))
        # In whole days: the lead's start is a date.
        days = days_between(
            opportunity.start_date,
            Opportunity.start_date.sql_cast(conversion.date))
        leads = Count(opportunity.id)
        return (opportunity
            .join(conversion, 'LEFT',
                condition=conversion.resource == Concat(
                    'sale.opportunity,', Cast(opportunity.id, 'VARCHAR')))
            .select(
                Min(opportunity.id).as_('id'),
                opportunity.company.as_('company'),
                opportunity.lead_source.as_('lead_source'),
                Literal(company_currency()).as_('currency'),
                leads.as_('leads'),
                Sum(converted).as_('converted'),
                (float_(Sum(converted)) / NullIf(float_(leads), 0)).as_(
                    'conversion_rate'),
                float_(Avg(days)).as_('days_to_convert'),
                cls.won_amount.sql_cast(Sum(Case(
                            (opportunity.state == 'won',
                                company_amount(
                                    opportunity, opportunity.amount)),
                            else_=Literal(0)))).as_('won_amount'),
                where=period_where(opportunity.start_date)
                & analysis_where(opportunity),
                group_by=[opportunity.company, opportunity.lead_source]))
