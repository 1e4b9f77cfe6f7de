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


def _company_sums(rows, names):
    """The select of the campaign and of the sums of the amount columns
    names of rows in the currency of the company of the context, at the
    rates of their date: rows has campaign, currency and date columns"""
    if backend.name != 'postgresql':
        return rows.select(
            rows.campaign.as_('campaign'),
            *(Sum(_company_amount(Column(rows, n), rows.currency, rows.date)
                    ).as_(n) for n in names),
            group_by=[rows.campaign])
    # PostgreSQL estimates a sub-query per row as if it ran for every row,
    # even when it never does, and then compiles the query, which takes
    # longer than computing it: the rates are looked up per campaign,
    # currency and date, as the funnel does, and the company's own
    # currency, without a date, makes one group per campaign.
    # (A column: the same expression with parameters in the columns and in
    # the grouping is not recognised as the same.)
    dated = rows.select(
        rows.campaign.as_('campaign'),
        rows.currency.as_('currency'),
        Case((rows.currency == company_currency(), Null),
            else_=rows.date).as_('date'),
        *(Column(rows, n).as_(n) for n in names))
    groups = dated.select(
        dated.campaign.as_('campaign'),
        dated.currency.as_('currency'),
        dated.date.as_('date'),
        *(Sum(Coalesce(Column(dated, n), 0)).as_(n) for n in names),
        group_by=[dated.campaign, dated.currency, dated.date])
    return groups.select(
        groups.campaign.as_('campaign'),
        *(Sum(_company_amount(Column(groups, n), groups.currency,
                    groups.date)).as_(n) for n in names),
        group_by=[groups.campaign])


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


class CampaignReport(KeptRowsMixin, ModelSQL, ModelView):
    "Campaign Results"
    __name__ = 'crm.campaign.report'
    __string__ = "Campaign Results"

    campaign = fields.Many2One('marketing.campaign', "Campaign")
    campaign_type = fields.Many2One('crm.campaign.type', "Campaign Type")
    company = fields.Many2One('company.company', "Company")
    currency = fields.Many2One('currency.currency', "Currency")
    targets = fields.Integer(
        "Targets", help="The partners and contacts the campaign addresses.")
    responses = fields.Integer(
        "Responses",
        help="The targets that responded or became a lead.")
    response_rate = fields.Float(
        "Response Rate", digits=(1, 4),
        help="The responses among the targets.")
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

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('campaign', 'ASC'), ('id', 'ASC')]

    def get_rec_name(self, name):
        # A row is its campaign: the client names its windows with it.
        return self.campaign.rec_name if self.campaign else ''

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('campaign.rec_name', *clause[1:])]

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
    def _opportunities(cls):
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
        return (opportunity
            .join(conversion, 'LEFT',
                condition=conversion.resource == Concat(
                    'sale.opportunity,', Cast(opportunity.id, 'VARCHAR')))
            .select(
                opportunity.marketing_campaign.as_('campaign'),
                Count(opportunity.id).as_('leads'),
                Sum(converted).as_('opportunities'),
                Sum(Case((opportunity.state == 'won', 1),
                        else_=0)).as_('won'),
                where=cls._opportunity_where(opportunity),
                group_by=[opportunity.marketing_campaign]))

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
    def _ordered(cls):
        sale, from_, where, _ = cls._sales()
        return _company_sums(from_.select(
                sale.marketing_campaign.as_('campaign'),
                sale.currency.as_('currency'),
                sale.sale_date.as_('date'),
                sale.untaxed_amount_cache.as_('ordered'),
                where=where), ['ordered'])

    @classmethod
    def _invoices(cls):
        """The invoiced, paid and margin amounts of the posted customer
        invoices of the campaign of the sales counted, each invoice once"""
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
        # each sale line among all those of the company.
        sold = from_.select(
            sale.id.as_('sale'),
            sale.marketing_campaign.as_('campaign'),
            opportunity.id.as_('opportunity'),
            where=where,
            group_by=[sale.id, sale.marketing_campaign, opportunity.id])
        sale_line = SaleLine.__table__()
        invoice_line = InvoiceLine.__table__()
        pairs = (sold
            .join(sale_line, condition=sale_line.sale == sold.sale)
            .join(invoice_line, condition=invoice_line.origin == Concat(
                    'sale.line,', Cast(sale_line.id, 'VARCHAR')))
            .select(
                sold.campaign.as_('campaign'),
                invoice_line.invoice.as_('invoice'),
                # An invoice of several opportunities takes the costs of the
                # first.
                Min(sold.opportunity).as_('opportunity'),
                group_by=[sold.campaign, invoice_line.invoice]))

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
            .select(
                pairs.campaign.as_('campaign'),
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
                group_by=([pairs.campaign, invoice.id, cost_ratios.ratio]
                    if backend.name == 'postgresql' else None)))
        return _company_sums(per_invoice.select(
                per_invoice.campaign.as_('campaign'),
                per_invoice.currency.as_('currency'),
                per_invoice.date.as_('date'),
                per_invoice.untaxed.as_('invoiced'),
                per_invoice.paid.as_('paid'),
                (per_invoice.paid * (Literal(1) - per_invoice.cost_ratio)
                    ).as_('margin')),
            ['invoiced', 'paid', 'margin'])

    @classmethod
    def _costs(cls):
        Expense = Pool().get('crm.expense')
        expense = Expense.__table__()
        context = Transaction().context
        return expense.select(
            expense.campaign.as_('campaign'),
            Sum(_company_amount(
                    expense.amount, expense.currency, expense.date)
                ).as_('cost'),
            where=(expense.campaign != Null)
            & (expense.state == 'confirmed')
            & (expense.company == context.get('company', -1))
            & period_where(expense.date),
            group_by=[expense.campaign])

    @classmethod
    def table_query(cls):
        pool = Pool()
        Campaign = pool.get('marketing.campaign')
        Currency = pool.get('currency.currency')
        context = Transaction().context
        campaign = Campaign.__table__()
        currency_id = company_currency()
        digits = Currency(currency_id).digits if currency_id else 2
        targets = cls._targets()
        opportunities = cls._opportunities()
        ordered = cls._ordered()
        invoices = cls._invoices()
        costs = cls._costs()

        float_ = cls.roi.sql_cast

        def amount(expression):
            return cls.cost.sql_cast(Round(Coalesce(expression, 0), digits))

        def per(total, count):
            return cls.cost.sql_cast(Round(
                    _exact(total) / NullIf(count, 0), digits))

        cost = Coalesce(costs.cost, 0)
        margin = Coalesce(invoices.margin, 0)
        leads = Coalesce(opportunities.leads, 0)
        won = Coalesce(opportunities.won, 0)
        where = campaign.company == context.get('company', -1)
        if context.get('campaign_type'):
            where &= campaign.type == context['campaign_type']
        return (campaign
            .join(targets, 'LEFT', condition=targets.campaign == campaign.id)
            .join(opportunities, 'LEFT',
                condition=opportunities.campaign == campaign.id)
            .join(ordered, 'LEFT', condition=ordered.campaign == campaign.id)
            .join(invoices, 'LEFT',
                condition=invoices.campaign == campaign.id)
            .join(costs, 'LEFT', condition=costs.campaign == campaign.id)
            .select(
                campaign.id.as_('id'),
                campaign.id.as_('campaign'),
                campaign.type.as_('campaign_type'),
                campaign.company.as_('company'),
                Literal(currency_id).as_('currency'),
                Coalesce(targets.targets, 0).as_('targets'),
                Coalesce(targets.responses, 0).as_('responses'),
                (float_(targets.responses)
                    / NullIf(float_(targets.targets), 0)
                    ).as_('response_rate'),
                leads.as_('leads'),
                Coalesce(opportunities.opportunities, 0).as_(
                    'opportunities'),
                won.as_('won'),
                amount(ordered.ordered).as_('ordered_amount'),
                amount(invoices.invoiced).as_('invoiced_amount'),
                amount(invoices.paid).as_('paid_amount'),
                amount(margin).as_('paid_margin'),
                amount(cost).as_('cost'),
                per(cost, leads).as_('cost_per_lead'),
                per(cost, won).as_('cost_per_won'),
                (float_(Round(margin, digits) - Round(cost, digits))
                    / NullIf(float_(Round(cost, digits)), 0)).as_('roi'),
                where=where))
