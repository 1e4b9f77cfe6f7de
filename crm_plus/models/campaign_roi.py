# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What campaigns brought in: the campaign follows a lead to its
opportunity, sales and invoices, and the campaign results report weighs
what was paid against what the campaign cost.

The host's marketing_campaign puts the campaign on opportunities and sales;
crm_plus carries it from an opportunity to its sales, which the host means
to do but does not, and on to the customer invoices that the sales
create."""
from sql import Cast, Column, Literal, Null
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case, Coalesce, NullIf
from sql.functions import Round
from sql.operators import Concat

from trytond import backend
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .analysis import analysis_where, company_currency, period_where
from .mixins import KeptRowsMixin, OrganisationFilterMixin, ReportContextMixin
from .receivable import INVOICED_STATES, ORDERED_STATES

# The statuses of a target that answered the campaign.
RESPONSE_STATUSES = ('responded', 'lead')


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    marketing_campaign = fields.Many2One(
        'marketing.campaign', "Campaign", readonly=True,
        ondelete='RESTRICT',
        help="The marketing campaign of the sale invoiced.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # The campaign results read the invoices of each campaign.
        cls._sql_indexes.add(
            Index(t, (t.marketing_campaign, Index.Range()),
                where=t.marketing_campaign != Null))


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    def _get_sale_opportunity(self):
        sale = super()._get_sale_opportunity()
        # The host's marketing_campaign means to copy them but tests the
        # class of the target with isinstance, which never holds: the sales
        # of an opportunity would have no campaign.
        for name in ['marketing_campaign', 'marketing_medium',
                'marketing_source']:
            setattr(sale, name, getattr(self, name))
        return sale


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    def _get_invoice(self):
        invoice = super()._get_invoice()
        # The host groups on the invoice the lines of one sale only.
        invoice.marketing_campaign = self.marketing_campaign
        return invoice


def _exact(expression):
    """The amount expression ready to be divided: SQLite stores whole
    decimals as integers, which it divides as integers"""
    if backend.name == 'sqlite':
        return Cast(expression, 'REAL')
    return expression


def _company_amount(amount, currency, date):
    """The SQL expression of amount in currency at date in the currency of
    the company of the context, at the rates of date as the funnel does"""
    Funnel = Pool().get('crm.funnel')
    company_currency_id = company_currency()
    amount = Coalesce(amount, 0)
    if company_currency_id is None:
        return amount
    return Case(
        (currency == company_currency_id, amount),
        else_=amount * Funnel._rate(company_currency_id, date)
        / Funnel._rate(currency, date))


def _key_columns(query, keyed, named=True):
    "The campaign and, when keyed, the key of the rows of query"
    columns = [query.campaign] + ([query.key] if keyed else [])
    if named:
        columns = [c.as_(c.name) for c in columns]
    return columns


def _company_sums(rows, names, keyed=False):
    """The select of the campaign, of the key when keyed, and of the sums
    of the amount columns names of rows in the currency of the company of
    the context, at the rates of their date: rows has campaign, currency
    and date columns"""
    if backend.name != 'postgresql':
        return rows.select(*_key_columns(rows, keyed),
            *(Sum(_company_amount(Column(rows, n), rows.currency, rows.date)
                    ).as_(n) for n in names),
            group_by=_key_columns(rows, keyed, False))
    # PostgreSQL estimates a sub-query per row as if it ran for every row,
    # even when it never does, and then compiles the query, which takes
    # longer than computing it: the rates are looked up per campaign,
    # currency and date, as the funnel does, and the company's own
    # currency, without a date, makes one group per campaign.
    # (A column: the same expression with parameters in the columns and in
    # the grouping is not recognised as the same.)
    dated = rows.select(*_key_columns(rows, keyed),
        rows.currency.as_('currency'),
        Case((rows.currency == company_currency(), Null),
            else_=rows.date).as_('date'),
        *(Column(rows, n).as_(n) for n in names))
    groups = dated.select(*_key_columns(dated, keyed),
        dated.currency.as_('currency'),
        dated.date.as_('date'),
        *(Sum(Coalesce(Column(dated, n), 0)).as_(n) for n in names),
        group_by=_key_columns(dated, keyed, False)
        + [dated.currency, dated.date])
    return groups.select(*_key_columns(groups, keyed),
        *(Sum(_company_amount(Column(groups, n), groups.currency,
                    groups.date)).as_(n) for n in names),
        group_by=_key_columns(groups, keyed, False))


def _keyed(campaign, key=None):
    """The columns and the grouping of a figure per campaign, and per key
    of the campaign's rows when one is given"""
    columns, group_by = [campaign.as_('campaign')], [campaign]
    if key is not None:
        columns.append(key.as_('key'))
        group_by.append(key)
    return columns, group_by


class CampaignReportContext(
        OrganisationFilterMixin, ReportContextMixin, ModelView):
    "Campaign Results Context"
    __name__ = 'crm.campaign.report.context'
    __string__ = "Campaign Results Context"

    campaign_type = fields.Many2One(
        'crm.campaign.type', "Campaign Type",
        help="Only the campaigns of this type.")
    lead_source = fields.Many2One(
        'crm.lead_source', "Lead Source",
        help="Only the leads from this lead source.")


class TargetFiguresMixin:
    "The targets of the campaign results, per campaign or campaign type"
    __slots__ = ()

    targets = fields.Integer(
        "Targets", help="The partners and contacts the campaign addresses.")
    responses = fields.Integer(
        "Responses",
        help="The targets that responded or became a lead.")
    response_rate = fields.Float(
        "Response Rate", digits=(1, 4),
        help="The responses among the targets.")


class CampaignResultsMixin(KeptRowsMixin, ModelSQL, ModelView):
    """The figures of the campaign results, per campaign or by a dimension
    of the campaigns and their leads"""
    __slots__ = ()

    company = fields.Many2One('company.company', "Company")
    currency = fields.Many2One('currency.currency', "Currency")
    leads = fields.Integer(
        "Leads",
        help="The leads and opportunities of the campaign started in the "
        "period.")
    opportunities = fields.Integer(
        "Opportunities",
        help="The leads that became opportunities, whatever became of them "
        "since.")
    won = fields.Integer("Won", help="The opportunities won.")
    ordered_amount = Monetary(
        "Ordered", currency='currency', digits='currency',
        help="The untaxed amount of the confirmed sales of the campaign's "
        "opportunities.")
    invoiced_amount = Monetary(
        "Invoiced", currency='currency', digits='currency',
        help="The untaxed amount of the posted customer invoices of "
        "those sales.")
    paid_amount = Monetary(
        "Paid", currency='currency', digits='currency',
        help="The part of the invoiced amount that the customers have "
        "paid: each invoice's untaxed amount in the proportion of its "
        "total paid.")
    paid_margin = Monetary(
        "Paid Margin", currency='currency', digits='currency',
        help="The paid amount less the cost of what was sold, at the "
        "ratio of cost to amount of the opportunity's lines.")
    cost = Monetary(
        "Cost", currency='currency', digits='currency',
        help="The confirmed expenses of the campaign in the period.")
    cost_per_lead = Monetary(
        "Cost per Lead", currency='currency', digits='currency',
        help="The cost divided by the leads.")
    cost_per_won = Monetary(
        "Cost per Won Deal", currency='currency', digits='currency',
        help="The cost divided by the opportunities won.")
    roi = fields.Float(
        "ROI", digits=(1, 4),
        help="The return on investment: the paid margin less the cost, "
        "divided by the cost; empty without cost.")

    # The field of the record a row is of: the client names its windows
    # with the row's name.
    _row_name = None

    def get_rec_name(self, name):
        record = getattr(self, self._row_name)
        return record.rec_name if record else ''

    @classmethod
    def search_rec_name(cls, name, clause):
        return [(cls._row_name + '.rec_name', *clause[1:])]

    @classmethod
    def _opportunity_where(cls, opportunity):
        """The condition on the table of opportunities of the campaigns
        counted: readable, of the context's filters and period"""
        return ((opportunity.marketing_campaign != Null)
            & period_where(opportunity.start_date)
            & analysis_where(opportunity))

    @classmethod
    def _targets(cls):
        Target = Pool().get('crm.campaign.target')
        target = Target.__table__()
        return target.select(
            target.campaign.as_('campaign'),
            Count(target.id).as_('targets'),
            Sum(Case((target.status.in_(RESPONSE_STATUSES), 1),
                    else_=0)).as_('responses'),
            group_by=[target.campaign])

    @classmethod
    def _opportunities(cls, key=None):
        """The leads, opportunities and won deals per campaign, and per
        key(opportunity table) when given"""
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        LeadSourceAnalysis = pool.get('crm.analysis.lead_source')
        opportunity = Opportunity.__table__()
        # Converted as the lead sources analysis counts them.
        conversion = LeadSourceAnalysis._conversions()
        converted = Case(
            ((conversion.date != Null)
                | opportunity.state.in_(['opportunity', 'converted', 'won']),
                Literal(1)),
            else_=Literal(0))
        columns, group_by = _keyed(
            opportunity.marketing_campaign, key and key(opportunity))
        return (opportunity
            .join(conversion, 'LEFT',
                condition=conversion.resource == Concat(
                    'sale.opportunity,', Cast(opportunity.id, 'VARCHAR')))
            .select(*columns,
                Count(opportunity.id).as_('leads'),
                Sum(converted).as_('opportunities'),
                Sum(Case((opportunity.state == 'won', 1),
                        else_=0)).as_('won'),
                where=cls._opportunity_where(opportunity),
                group_by=group_by))

    @classmethod
    def _sales(cls):
        """The ordered sales of the opportunities counted, with the campaign
        the sale carries"""
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Sale = pool.get('sale.sale')
        sale = Sale.__table__()
        opportunity = Opportunity.__table__()
        return sale, (sale
            .join(opportunity, condition=sale.origin == Concat(
                    'sale.opportunity,', Cast(opportunity.id, 'VARCHAR')))), (
            cls._opportunity_where(opportunity)
            & (sale.marketing_campaign != Null)
            & sale.state.in_(ORDERED_STATES)), opportunity

    @classmethod
    def _ordered(cls, key=None):
        sale, from_, where, opportunity = cls._sales()
        columns, _ = _keyed(
            sale.marketing_campaign, key and key(opportunity))
        return _company_sums(from_.select(*columns,
                sale.currency.as_('currency'),
                sale.sale_date.as_('date'),
                sale.untaxed_amount_cache.as_('ordered'),
                where=where), ['ordered'], keyed=key is not None)

    @classmethod
    def _invoices(cls, key=None):
        """The invoiced, paid and margin amounts of the posted customer
        invoices of the campaign of the sales counted, each invoice once,
        per campaign and key(opportunity table) of the sale's opportunity
        """
        pool = Pool()
        SaleLine = pool.get('sale.line')
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        OpportunityLine = pool.get('sale.opportunity.line')
        MoveLine = pool.get('account.move.line')
        PaymentLine = pool.get('account.invoice-account.move.line')
        sale, from_, where, opportunity = cls._sales()
        # Grouped, the sales are found first from the opportunities, as for
        # the ordered amount: SQLite otherwise looks for the opportunity of
        # each sale line among all those of the company. The invoices of a
        # sale are those of one opportunity: a key of the opportunity is
        # one of its invoices too.
        columns, group_by = _keyed(
            sale.marketing_campaign, key and key(opportunity))
        sold = from_.select(*columns,
            sale.id.as_('sale'),
            opportunity.id.as_('opportunity'),
            where=where,
            group_by=group_by + [sale.id, opportunity.id])
        sale_line = SaleLine.__table__()
        invoice_line = InvoiceLine.__table__()
        pairs = (sold
            .join(sale_line, condition=sale_line.sale == sold.sale)
            .join(invoice_line, condition=invoice_line.origin == Concat(
                    'sale.line,', Cast(sale_line.id, 'VARCHAR')))
            .select(*_key_columns(sold, key is not None),
                invoice_line.invoice.as_('invoice'),
                # An invoice of several opportunities takes the costs of the
                # first.
                Min(sold.opportunity).as_('opportunity'),
                group_by=_key_columns(sold, key is not None, False)
                + [invoice_line.invoice]))

        # The ratio of cost to amount of the lines of each opportunity.
        line = OpportunityLine.__table__()
        cost_ratios = line.select(
            line.opportunity.as_('opportunity'),
            (_exact(Sum(Coalesce(line.cost, 0)))
                / NullIf(_exact(Sum(Coalesce(line.amount, 0))), 0)
                ).as_('ratio'),
            group_by=[line.opportunity])

        # The paid part of each invoice as the receivables report computes
        # it: its settled lines to pay less its unreconciled partial
        # payments, in the invoice currency.
        invoice = Invoice.__table__()

        def line_amount(move_line):
            return Case(
                (move_line.second_currency == invoice.currency,
                    move_line.amount_second_currency),
                else_=move_line.debit - move_line.credit)
        to_pay = MoveLine.__table__()
        settled = to_pay.select(Sum(line_amount(to_pay)),
            where=(to_pay.move == invoice.move)
            & (to_pay.account == invoice.account)
            & (to_pay.reconciliation != Null))
        payment = PaymentLine.__table__()
        payment_line = MoveLine.__table__()
        partial = (payment
            .join(payment_line, condition=payment_line.id == payment.line)
            .select(Sum(line_amount(payment_line)),
                where=(payment.invoice == invoice.id)
                & (payment_line.reconciliation == Null)))
        paid = Coalesce(settled, 0) - Coalesce(partial, 0)
        per_invoice = (invoice
            .join(pairs, condition=(pairs.invoice == invoice.id)
                & (pairs.campaign == invoice.marketing_campaign))
            .join(cost_ratios, 'LEFT',
                condition=cost_ratios.opportunity == pairs.opportunity)
            .select(*_key_columns(pairs, key is not None),
                invoice.currency.as_('currency'),
                invoice.invoice_date.as_('date'),
                invoice.untaxed_amount_cache.as_('untaxed'),
                # The untaxed part of what is paid: paid in the proportion
                # of the total.
                (_exact(invoice.untaxed_amount_cache) * _exact(paid)
                    / NullIf(_exact(invoice.total_amount_cache), 0)
                    ).as_('paid'),
                Coalesce(cost_ratios.ratio, 0).as_('cost_ratio'),
                where=(invoice.type == 'out')
                & invoice.state.in_(INVOICED_STATES),
                # One row per campaign and invoice already. Grouped, the
                # rows are not merged into the sums by PostgreSQL, which
                # would run the sub-queries of the paid part once for
                # each sum that uses it.
                group_by=(_key_columns(pairs, key is not None, False)
                    + [invoice.id, cost_ratios.ratio]
                    if backend.name == 'postgresql' else None)))
        return _company_sums(per_invoice.select(
                *_key_columns(per_invoice, key is not None),
                per_invoice.currency.as_('currency'),
                per_invoice.date.as_('date'),
                per_invoice.untaxed.as_('invoiced'),
                per_invoice.paid.as_('paid'),
                (per_invoice.paid * (Literal(1) - per_invoice.cost_ratio)
                    ).as_('margin')),
            ['invoiced', 'paid', 'margin'], keyed=key is not None)

    @classmethod
    def _per_campaign(cls):
        """The campaigns of the company each joined to its targets and
        figures: the from of the query, the table of the campaigns, the
        targets and the figures by the names of _results"""
        Campaign = Pool().get('marketing.campaign')
        campaign = Campaign.__table__()
        targets = cls._targets()
        opportunities = cls._opportunities()
        ordered = cls._ordered()
        invoices = cls._invoices()
        costs = cls._costs()
        from_ = (campaign
            .join(targets, 'LEFT', condition=targets.campaign == campaign.id)
            .join(opportunities, 'LEFT',
                condition=opportunities.campaign == campaign.id)
            .join(ordered, 'LEFT', condition=ordered.campaign == campaign.id)
            .join(invoices, 'LEFT',
                condition=invoices.campaign == campaign.id)
            .join(costs, 'LEFT', condition=costs.campaign == campaign.id))
        return from_, campaign, targets, cls._figures(
            opportunities, ordered, invoices, costs)

    @classmethod
    def _campaign_where(cls, campaign):
        "The condition on the table of campaigns of the campaigns counted"
        context = Transaction().context
        where = campaign.company == context.get('company', -1)
        if context.get('campaign_type'):
            where &= campaign.type == context['campaign_type']
        return where

    @staticmethod
    def _figures(opportunities, ordered, invoices, costs):
        """The figures of the rows of the queries of _opportunities,
        _ordered, _invoices and _costs, by the names of _results"""
        return {
            'leads': opportunities.leads,
            'opportunities': opportunities.opportunities,
            'won': opportunities.won,
            'ordered': ordered.ordered,
            'invoiced': invoices.invoiced,
            'paid': invoices.paid,
            'margin': invoices.margin,
            'cost': costs.cost,
            }

    @classmethod
    def _results(cls, leads, opportunities, won, ordered, invoiced, paid,
            margin, cost, targets=None, responses=None):
        """The columns of the results computed from the SQL expressions of
        their figures, amounts in the currency of the company; the targets
        only where the rows have them"""
        Currency = Pool().get('currency.currency')
        currency_id = company_currency()
        digits = Currency(currency_id).digits if currency_id else 2
        float_ = cls.roi.sql_cast

        def amount(expression):
            return cls.cost.sql_cast(Round(Coalesce(expression, 0), digits))

        def per(total, count):
            return cls.cost.sql_cast(Round(
                    _exact(total) / NullIf(count, 0), digits))

        cost = Coalesce(cost, 0)
        margin = Coalesce(margin, 0)
        leads = Coalesce(leads, 0)
        won = Coalesce(won, 0)
        columns = [Literal(currency_id).as_('currency')]
        if targets is not None:
            columns += [
                Coalesce(targets, 0).as_('targets'),
                Coalesce(responses, 0).as_('responses'),
                (float_(responses) / NullIf(float_(targets), 0)
                    ).as_('response_rate'),
                ]
        return columns + [
            leads.as_('leads'),
            Coalesce(opportunities, 0).as_('opportunities'),
            won.as_('won'),
            amount(ordered).as_('ordered_amount'),
            amount(invoiced).as_('invoiced_amount'),
            amount(paid).as_('paid_amount'),
            amount(margin).as_('paid_margin'),
            amount(cost).as_('cost'),
            per(cost, leads).as_('cost_per_lead'),
            per(cost, won).as_('cost_per_won'),
            (float_(Round(margin, digits) - Round(cost, digits))
                / NullIf(float_(Round(cost, digits)), 0)).as_('roi'),
            ]

    @classmethod
    def _costs(cls, key=None):
        """The confirmed expenses of the period per campaign, and per
        key(expense table) when given"""
        Expense = Pool().get('crm.expense')
        expense = Expense.__table__()
        context = Transaction().context
        columns, group_by = _keyed(expense.campaign, key and key(expense))
        return expense.select(*columns,
            Sum(_company_amount(
                    expense.amount, expense.currency, expense.date)
                ).as_('cost'),
            where=(expense.campaign != Null)
            & (expense.state == 'confirmed')
            & (expense.company == context.get('company', -1))
            & period_where(expense.date),
            group_by=group_by)


class CampaignReport(TargetFiguresMixin, CampaignResultsMixin):
    "Campaign Results"
    __name__ = 'crm.campaign.report'
    __string__ = "Campaign Results"

    _row_name = 'campaign'

    campaign = fields.Many2One('marketing.campaign', "Campaign")
    campaign_type = fields.Many2One('crm.campaign.type', "Campaign Type")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('campaign', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        from_, campaign, targets, figures = cls._per_campaign()
        return from_.select(
            campaign.id.as_('id'),
            campaign.id.as_('campaign'),
            campaign.type.as_('campaign_type'),
            campaign.company.as_('company'),
            *cls._results(
                targets=targets.targets, responses=targets.responses,
                **figures),
            where=cls._campaign_where(campaign))
