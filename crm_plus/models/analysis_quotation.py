# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Sales analyses of the quotations and the orders that came from
opportunities (see analysis.py).

A quotation is a sale whose origin is an opportunity and that was quoted:
it has a quotation date and is no longer a draft. Its revision is its
number among the quotations of its opportunity (quotation.py); it is
accepted once confirmed, refused once cancelled. The rows take the
opportunity's employee, team and the filters of the analyses, and count
only the sales of the opportunities that the user may read.
"""
from sql import Literal, Null
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case, Coalesce, NullIf

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool

from .analysis import (
    analysis_where, company_currency, period_start, period_where)
from .mixins import KeptRowsMixin
from .quotation import SOLD_STATES
from .receivable import _reference_to

# The states of a sale that was quoted: a draft, even one quoted before
# and sent back to draft, is being written and is no quotation.
QUOTATION_STATES = ['quotation', 'cancelled'] + SOLD_STATES


def sale_company_amount(sale, amount, date):
    """The SQL expression of amount, in the currency of sale, in the
    currency of the company of the context, at the rates of date

    The company's own currency needs no rate, as in company_amount."""
    Funnel = Pool().get('crm.funnel')
    currency = company_currency()
    amount = Coalesce(amount, 0)
    if currency is None:
        return amount
    return Case(
        (sale.currency == currency, amount),
        else_=amount * Funnel._rate(currency, date)
        / Funnel._rate(sale.currency, date))


def sale_amounts(list_prices=True):
    """The SQL sub-query of the amounts of the lines of each sale: their
    untaxed amount, and with list_prices, for the lines of a product with a
    list price, their amount and their value at the list price

    The list price is that of the variant, else of its template, in the
    company of the sale, for the product's default unit: the quantity of
    the line is converted to it."""
    pool = Pool()
    Line = pool.get('sale.line')
    Sale = pool.get('sale.sale')
    Product = pool.get('product.product')
    Template = pool.get('product.template')
    Uom = pool.get('product.uom')
    ListPrice = pool.get('product.list_price')
    line = Line.__table__()

    quantity = Coalesce(line.quantity, 0)
    amount = quantity * Coalesce(line.unit_price, 0)
    if not list_prices:
        # Without the joins of the list prices, which the amount alone
        # does not need.
        return line.select(
            line.sale.as_('sale'),
            Sum(amount).as_('amount'),
            where=line.type == 'line',
            group_by=[line.sale])
    sale = Sale.__table__()
    product = Product.__table__()
    template = Template.__table__()
    line_unit = Uom.__table__()
    default_unit = Uom.__table__()
    product_price = ListPrice.__table__()
    template_price = ListPrice.__table__()
    list_price = Coalesce(product_price.list_price, template_price.list_price)
    list_amount = (quantity * line_unit.factor
        / NullIf(default_unit.factor, 0) * list_price)
    # A line is compared with its list price only when it has one: the
    # others neither raise nor lower the discount.
    priced = list_amount > 0
    return (line
        .join(sale, condition=line.sale == sale.id)
        .join(product, 'LEFT', condition=line.product == product.id)
        .join(template, 'LEFT', condition=product.template == template.id)
        .join(line_unit, 'LEFT', condition=line.unit == line_unit.id)
        .join(default_unit, 'LEFT',
            condition=template.default_uom == default_unit.id)
        .join(product_price, 'LEFT',
            condition=(product_price.product == product.id)
            & (product_price.company == sale.company))
        .join(template_price, 'LEFT',
            condition=(template_price.template == template.id)
            & (template_price.product == Null)
            & (template_price.company == sale.company))
        .select(
            line.sale.as_('sale'),
            Sum(amount).as_('amount'),
            Sum(Case((priced, amount), else_=Null)).as_('priced_amount'),
            Sum(Case((priced, list_amount), else_=Null)).as_('list_amount'),
            where=line.type == 'line',
            group_by=[line.sale]))


def _sale_opportunity(sale, opportunity):
    "The condition that joins the sales to the opportunities of their origin"
    return sale.origin == _reference_to('sale.opportunity', opportunity.id)


class QuotationAnalysis(KeptRowsMixin, ModelSQL, ModelView):
    "Quotation Analysis"
    __name__ = 'crm.analysis.quotation'
    __string__ = "Quotation Analysis"

    company = fields.Many2One('company.company', "Company")
    month = fields.Date(
        "Month", help="The month of the quotation date.")
    employee = fields.Many2One(
        'company.employee', "Employee",
        help="The employee of the opportunity.")
    team = fields.Many2One(
        'crm.team', "Sales Team", help="The sales team of the opportunity.")
    currency = fields.Many2One('currency.currency', "Currency")
    quotations = fields.Integer(
        "Quotations", help="The quotations made in the month.")
    revisions = fields.Integer(
        "Revisions",
        help="The quotations that revised an earlier quotation "
        "of their opportunity.")
    accepted = fields.Integer(
        "Accepted", help="The quotations confirmed as orders.")
    refused = fields.Integer(
        "Refused", help="The quotations cancelled.")
    acceptance_rate = fields.Float(
        "Acceptance Rate", digits=(1, 4),
        help="The quotations accepted among those accepted or refused.")
    average_discount = fields.Float(
        "Average Discount", digits=(1, 4),
        help="The discount of the quoted lines from the list price "
        "of their products: one less their amount divided by their value "
        "at the list price.")
    quoted_amount = Monetary(
        "Quoted Amount", currency='currency', digits='currency',
        help="The untaxed amount of the quotations, in the currency "
        "of the company.")
    accepted_amount = Monetary(
        "Accepted Amount", currency='currency', digits='currency',
        help="The untaxed amount of the quotations accepted, in the "
        "currency of the company.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('month', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Sale = pool.get('sale.sale')
        opportunity = Opportunity.__table__()
        sale = Sale.__table__()
        amounts = sale_amounts()

        date = sale.quotation_date

        def amount(column):
            return sale_company_amount(sale, column, date)
        one, zero = Literal(1), Literal(0)
        accepted = sale.state.in_(SOLD_STATES)
        rows = (sale
            .join(opportunity, condition=_sale_opportunity(sale, opportunity))
            .join(amounts, 'LEFT', condition=amounts.sale == sale.id)
            .select(
                sale.id.as_('id'),
                opportunity.company.as_('company'),
                cls.month.sql_cast(period_start('month', date)).as_('month'),
                opportunity.employee.as_('employee'),
                opportunity.team.as_('team'),
                Case((sale.revision > 1, one), else_=zero).as_('revision'),
                Case((accepted, one), else_=zero).as_('accepted'),
                Case((sale.state == 'cancelled', one), else_=zero).as_(
                    'refused'),
                amount(amounts.amount).as_('amount'),
                Case((accepted, amount(amounts.amount)), else_=zero).as_(
                    'accepted_amount'),
                amount(amounts.priced_amount).as_('priced_amount'),
                amounts.list_amount.as_('list_amount'),
                where=sale.state.in_(QUOTATION_STATES)
                & (date != Null)
                & period_where(date)
                & analysis_where(opportunity)))
        # Grouped by the month's column, as the expected turnover is: the
        # truncation would be two expressions for PostgreSQL.
        float_ = cls.acceptance_rate.sql_cast
        accepted_sum, refused_sum = Sum(rows.accepted), Sum(rows.refused)
        list_amount = Sum(rows.list_amount)
        return rows.select(
            Min(rows.id).as_('id'),
            rows.company.as_('company'),
            rows.month.as_('month'),
            rows.employee.as_('employee'),
            rows.team.as_('team'),
            Literal(company_currency()).as_('currency'),
            Count(rows.id).as_('quotations'),
            Sum(rows.revision).as_('revisions'),
            accepted_sum.as_('accepted'),
            refused_sum.as_('refused'),
            (float_(accepted_sum)
                / NullIf(float_(accepted_sum + refused_sum), 0)).as_(
                'acceptance_rate'),
            float_(Case((list_amount > 0,
                        one - Sum(rows.priced_amount) / list_amount),
                    else_=Null)).as_('average_discount'),
            cls.quoted_amount.sql_cast(Sum(rows.amount)).as_(
                'quoted_amount'),
            cls.accepted_amount.sql_cast(Sum(rows.accepted_amount)).as_(
                'accepted_amount'),
            group_by=[rows.company, rows.month, rows.employee, rows.team])


class OrderStatus(KeptRowsMixin, ModelSQL, ModelView):
    "Order Status"
    __name__ = 'crm.analysis.order_status'
    __string__ = "Order Status"

    company = fields.Many2One('company.company', "Company")
    state = fields.Selection('get_states', "State")
    invoice_state = fields.Selection('get_invoice_states', "Invoice State")
    shipment_state = fields.Selection(
        'get_shipment_states', "Shipment State")
    currency = fields.Many2One('currency.currency', "Currency")
    number = fields.Integer("Orders")
    amount = Monetary(
        "Amount", currency='currency', digits='currency',
        help="The untaxed amount of the orders, in the currency "
        "of the company.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('state', 'ASC'), ('invoice_state', 'ASC'),
            ('shipment_state', 'ASC'), ('id', 'ASC')]

    @classmethod
    def _sale_selection(cls, name):
        Sale = Pool().get('sale.sale')
        return Sale.fields_get([name])[name]['selection']

    @classmethod
    def get_states(cls):
        return [(v, s) for v, s in cls._sale_selection('state')
            if v in SOLD_STATES]

    @classmethod
    def get_invoice_states(cls):
        return cls._sale_selection('invoice_state')

    @classmethod
    def get_shipment_states(cls):
        return cls._sale_selection('shipment_state')

    @classmethod
    def table_query(cls):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Sale = pool.get('sale.sale')
        opportunity = Opportunity.__table__()
        sale = Sale.__table__()
        amounts = sale_amounts(list_prices=False)
        # In the period by the sale date: the day the order was confirmed.
        return (sale
            .join(opportunity, condition=_sale_opportunity(sale, opportunity))
            .join(amounts, 'LEFT', condition=amounts.sale == sale.id)
            .select(
                Min(sale.id).as_('id'),
                opportunity.company.as_('company'),
                sale.state.as_('state'),
                sale.invoice_state.as_('invoice_state'),
                sale.shipment_state.as_('shipment_state'),
                Literal(company_currency()).as_('currency'),
                Count(sale.id).as_('number'),
                cls.amount.sql_cast(Sum(sale_company_amount(
                            sale, amounts.amount, sale.sale_date))).as_(
                    'amount'),
                where=sale.state.in_(SOLD_STATES)
                & period_where(sale.sale_date)
                & analysis_where(opportunity),
                group_by=[opportunity.company, sale.state,
                    sale.invoice_state, sale.shipment_state]))
