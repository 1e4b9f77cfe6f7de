# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Receivables: what an opportunity has become in orders, deliveries,
invoices and payments, read by the accountant on the opportunity and the
invoice."""
from collections import defaultdict
from decimal import Decimal

from sql import Cast, Literal, Null
from sql.aggregate import Count, Max, Min, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import Extract, Round, Substring
from sql.operators import Concat, Div, Exists

from trytond import backend
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, PYSONEncoder
from trytond.report import Report
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction
from trytond.wizard import Button, StateAction, StateReport, StateView, Wizard

from ..reports.receivable_xlsx import write_xlsx
from .mixins import (
    OrganisationFilterMixin, ReportContextMixin, organisation_where)
from .visibility import readable_opportunities

# The sales that count as ordered: the customer has committed to them.
ORDERED_STATES = ('confirmed', 'processing', 'done')
# The sales of the receivables report: from quotation to done.
QUOTED_STATES = ('quotation',) + ORDERED_STATES
# The invoices that the customer owes: posted and not yet or already paid.
INVOICED_STATES = ('posted', 'paid')

RECEIVABLE_FIELDS = [
    'ordered_amount', 'shipped_amount', 'invoiced_amount', 'paid_amount',
    'outstanding_amount', 'overdue_amount']
# The columns of the receivables report computed by the query.
REPORT_COLUMNS = [
    'won_date', 'quoted_amount', 'ordered_amount', 'shipped_amount',
    'invoiced_amount', 'paid_amount', 'outstanding_amount', 'overdue_amount',
    'first_invoice_date', 'last_payment_date', 'days_to_invoice',
    'days_to_payment']
# The rows of the report read or browsed at once: a query per slice, and the
# names of their related records browsed together.
READ_SLICE = min(backend.MAX_QUERY_PARAMS // 2, 500)
# The fields that the host composes the names of the report's related
# records from.
NAME_FIELDS = {
    'opportunity': ['number', 'reference'],
    'party': ['name', 'code'],
    }
# The context of the report that chooses its rows: the fields of its
# context form and of the export's.
FILTER_FIELDS = [
    'company', 'from_date', 'to_date', 'team', 'territory', 'employee',
    'marketing_campaign']
# A float, so that SQLite does not divide integers.
SECONDS_PER_DAY = 24 * 60 * 60.


def whole_days(start, end):
    """SQL expression of the whole days from the date start to the date end,
    the same on PostgreSQL and SQLite (whose epoch of a date is local)"""
    return Cast(Round(
            (Extract('EPOCH', end) - Extract('EPOCH', start))
            / SECONDS_PER_DAY), 'INTEGER')


def _reference_to(model, column):
    """The SQL expression of the Reference value pointing at the record of
    the id column, to join on an origin without parsing it"""
    return Concat(model + ',', Cast(column, 'VARCHAR'))


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    ordered_amount = fields.Function(Monetary(
            "Ordered", digits='currency', currency='currency',
            help="The untaxed amount of the confirmed sales of the "
            "opportunity."),
        'get_receivables')
    shipped_amount = fields.Function(Monetary(
            "Shipped", digits='currency', currency='currency',
            help="The value at the sale price of the quantities delivered "
            "to the customer, less those returned."),
        'get_receivables')
    invoiced_amount = fields.Function(Monetary(
            "Invoiced", digits='currency', currency='currency',
            help="The untaxed amount of the posted customer invoices of "
            "the sales of the opportunity."),
        'get_receivables')
    paid_amount = fields.Function(Monetary(
            "Paid", digits='currency', currency='currency',
            help="What the customer has paid of the invoices, taxes "
            "included."),
        'get_receivables')
    outstanding_amount = fields.Function(Monetary(
            "Outstanding", digits='currency', currency='currency',
            help="What the customer still owes on the invoices, taxes "
            "included."),
        'get_receivables')
    overdue_amount = fields.Function(Monetary(
            "Overdue", digits='currency', currency='currency',
            help="The part of the outstanding amount past its due date."),
        'get_receivables')

    @classmethod
    def get_receivables(cls, opportunities, names):
        """All the receivable amounts of the opportunities in one query per
        slice of ids: the columns of the receivables report, so that both
        always agree"""
        cursor = Transaction().connection.cursor()
        ids = [o.id for o in opportunities]
        currencies = cls.currencies_of(ids)
        result = {n: dict.fromkeys(ids, Decimal(0)) for n in names}
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            query = cls.receivable_query(
                lambda o: reduce_ids(o.id, sub_ids), grouped=True)
            cursor.execute(*query.select(
                    query.id, *(getattr(query, n) for n in names)))
            for opportunity_id, *values in cursor:
                for name, value in zip(names, values):
                    # SQLite returns sums of decimals as float or int.
                    result[name][opportunity_id] = currencies[
                        opportunity_id].round(Decimal(str(value or 0)))
        return result

    @classmethod
    def receivable_query(cls, where, grouped=False, columns=None, date=None):
        """Select the opportunities that match where(opportunity table) with
        their id, company, party, employee, currency and state, and their
        receivables (columns of REPORT_COLUMNS, default all): amounts in the
        currency of the opportunity rounded to its digits, dates and days.

        Each raw figure is a sub-query on the documents of its opportunity
        row, reached through the host's indexes on the origins, so that the
        database computes it only for the rows it returns: a page sorted
        by opportunity columns costs the sub-queries of its rows only.
        Without grouped, the figures are written into each column that uses
        them and the database computes only the columns a query asks for:
        for searching, sorting and filtering many rows. With grouped, a
        sub-query grouped by opportunity computes each figure once, which
        the database does not merge into the query around it: for reading
        all the columns of rows restricted by where."""
        pool = Pool()
        Currency = pool.get('currency.currency')
        opportunity = cls.__table__()
        currency = Currency.__table__()
        # LEFT: the database leaves the join out of the queries that round
        # no amount.
        from_ = opportunity.join(currency, 'LEFT',
            condition=currency.id == opportunity.currency)
        if columns is None:
            columns = REPORT_COLUMNS
        figures = cls._receivable_figures(opportunity, date)
        if not grouped:
            expressions = cls._receivable_columns(
                figures, opportunity, currency.digits)
            return from_.select(
                opportunity.id, opportunity.company, opportunity.party,
                opportunity.employee, opportunity.currency, opportunity.state,
                opportunity.marketing_campaign,
                *(expressions[n].as_(n) for n in columns),
                where=where(opportunity))
        rows = from_.select(
            opportunity.id, opportunity.company, opportunity.party,
            opportunity.employee, opportunity.currency, opportunity.state,
            opportunity.marketing_campaign, opportunity.end_date,
            currency.digits,
            *(f.as_(n) for n, f in figures.items()),
            where=where(opportunity),
            group_by=[opportunity.id, currency.id])
        expressions = cls._receivable_columns(
            {n: getattr(rows, n) for n in figures}, rows, rows.digits)
        return rows.select(
            rows.id, rows.company, rows.party, rows.employee, rows.currency,
            rows.state, rows.marketing_campaign,
            *(expressions[n].as_(n) for n in columns))

    @classmethod
    def _receivable_columns(cls, figures, opportunity, digits):
        """The receivable columns from the raw figures of the opportunity
        row (with its state and end_date) and the digits of its currency"""
        zero = Literal(0)

        def amount(name):
            return Coalesce(figures[name], zero)

        # The host's amount to pay: the unreconciled lines to pay less the
        # unreconciled partial payments.
        outstanding = amount('unpaid') + amount('partial')
        # Unreconciled partial payments settle the oldest dues first.
        overdue = amount('due') + amount('partial')
        won = Case((opportunity.state == 'won', opportunity.end_date),
            else_=Null)
        columns = {
            'quoted_amount': amount('quoted'),
            'ordered_amount': amount('ordered'),
            'shipped_amount': amount('shipped'),
            'invoiced_amount': amount('invoiced'),
            # What is settled of the lines to pay and the partial payments
            # still open: the total less the outstanding.
            'paid_amount': amount('settled') - amount('partial'),
            'outstanding_amount': outstanding,
            'overdue_amount': Case(
                (overdue <= zero, zero),
                (overdue <= outstanding, overdue),
                else_=outstanding),
            }
        columns = {n: Round(c, digits) for n, c in columns.items()}
        columns.update({
                'won_date': won,
                'first_invoice_date': figures['first_invoice'],
                'last_payment_date': figures['last_payment'],
                'days_to_invoice': whole_days(won, figures['first_invoice']),
                'days_to_payment': whole_days(
                    figures['first_invoice'], figures['last_payment']),
                })
        return columns

    @classmethod
    def _receivable_figures(cls, opportunity, date=None):
        """The raw figures of the opportunity row as sub-queries on its
        documents: quoted and ordered sales, shipped, invoiced, first
        invoice, the unpaid, settled and due lines to pay, the unreconciled
        partial payments and the last payment.
        Amounts in another currency are converted at the rate of date
        (default today), as Currency.compute does."""
        pool = Pool()
        Date = pool.get('ir.date')
        Rate = pool.get('currency.currency.rate')
        Sale = pool.get('sale.sale')
        SaleLine = pool.get('sale.line')
        Move = pool.get('stock.move')
        Location = pool.get('stock.location')
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        AccountMove = pool.get('account.move')
        MoveLine = pool.get('account.move.line')
        PaymentLine = pool.get('account.invoice-account.move.line')
        if date is None:
            date = Date.today()

        def rate(currency_id):
            rate = Rate.__table__()
            return rate.select(rate.rate,
                where=(rate.currency == currency_id) & (rate.date <= date),
                order_by=[rate.date.desc], limit=1)

        def convert(amount, currency_id):
            "amount from currency_id to the currency of the opportunity"
            # amount written once: the query stays short to build and parse.
            return amount * Case(
                (currency_id == opportunity.currency, Literal(1)),
                else_=Div(rate(opportunity.currency), rate(currency_id)))

        def of_opportunity(sale, *states):
            "The condition on the sales of the opportunity row in states"
            return ((sale.origin == _reference_to(
                        cls.__name__, opportunity.id))
                & sale.state.in_(states))

        def sales_amount(*states):
            # The cached untaxed amount, or the sum of the lines when the
            # cache is not filled (a quotation).
            sale = Sale.__table__()
            line = SaleLine.__table__()
            amount = Coalesce(sale.untaxed_amount_cache, line.select(
                    Sum(Cast(line.quantity, 'NUMERIC') * line.unit_price),
                    where=(line.sale == sale.id) & (line.type == 'line')))
            return sale.select(Sum(convert(amount, sale.currency)),
                where=of_opportunity(sale, *states))

        def shipped():
            # Returns come back from the customer and count against.
            sale = Sale.__table__()
            line = SaleLine.__table__()
            move = Move.__table__()
            to_location = Location.__table__()
            sign = Case((to_location.type == 'customer', 1), else_=-1)
            return (sale
                .join(line, condition=line.sale == sale.id)
                .join(move, condition=(move.origin == _reference_to(
                            'sale.line', line.id)) & (move.state == 'done'))
                .join(to_location,
                    condition=to_location.id == move.to_location)
                .select(
                    Sum(convert(sign * Cast(move.quantity, 'NUMERIC')
                            * line.unit_price, sale.currency)),
                    where=of_opportunity(sale, *ORDERED_STATES)))

        def invoices():
            """The posted customer invoices of the ordered sales of the
            opportunity row, each once, and the condition on them"""
            sale = Sale.__table__()
            sale_line = SaleLine.__table__()
            invoice_line = InvoiceLine.__table__()
            invoice = Invoice.__table__()
            invoiced = (sale
                .join(sale_line, condition=sale_line.sale == sale.id)
                .join(invoice_line, condition=invoice_line.origin
                    == _reference_to('sale.line', sale_line.id))
                .select(invoice_line.invoice,
                    where=of_opportunity(sale, *ORDERED_STATES)))
            return invoice, (invoice.id.in_(invoiced)
                & (invoice.type == 'out')
                & invoice.state.in_(INVOICED_STATES))

        def of_invoices(aggregate):
            invoice, where = invoices()
            return invoice.select(aggregate(invoice), where=where)

        def line_amount(line, invoice):
            # In the invoice currency: the second currency when the line has
            # it, else the company currency which is then the same.
            return convert(Case(
                    (line.second_currency == invoice.currency,
                        line.amount_second_currency),
                    else_=line.debit - line.credit), invoice.currency)

        def to_pay(condition):
            "The sum of the lines to pay of the invoices under condition"
            invoice, where = invoices()
            line = MoveLine.__table__()
            return (invoice
                .join(line, condition=(line.move == invoice.move)
                    & (line.account == invoice.account))
                .select(Sum(line_amount(line, invoice)),
                    where=where & condition(line)))

        def payments(aggregate):
            "aggregate(payment line, its move) over the invoices' payments"
            invoice, where = invoices()
            payment = PaymentLine.__table__()
            line = MoveLine.__table__()
            move = AccountMove.__table__()
            return (invoice
                .join(payment, condition=payment.invoice == invoice.id)
                .join(line, condition=line.id == payment.line)
                .join(move, condition=move.id == line.move)
                .select(aggregate(line, move, invoice), where=where))

        return {
            'quoted': sales_amount('quotation'),
            'ordered': sales_amount(*ORDERED_STATES),
            'shipped': shipped(),
            'invoiced': of_invoices(lambda i: Sum(convert(
                        i.untaxed_amount_cache, i.currency))),
            'first_invoice': of_invoices(lambda i: Min(i.invoice_date)),
            'unpaid': to_pay(lambda l: l.reconciliation == Null),
            'settled': to_pay(lambda l: l.reconciliation != Null),
            'due': to_pay(lambda l: (l.reconciliation == Null)
                & (l.maturity_date < date)),
            'partial': payments(lambda l, m, i: Sum(Case(
                        (l.reconciliation == Null, line_amount(l, i)),
                        else_=Literal(0)))),
            'last_payment': payments(lambda l, m, i: Max(m.date)),
            }


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    opportunity = fields.Function(fields.Many2One(
            'sale.opportunity', "Opportunity",
            help="The opportunity of the sales invoiced."),
        'get_opportunity', searcher='search_opportunity')

    @classmethod
    def _opportunity_query(cls, where=None):
        "The invoice ids with the opportunity of each sale they invoice"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        InvoiceLine = pool.get('account.invoice.line')
        SaleLine = pool.get('sale.line')
        Sale = pool.get('sale.sale')
        invoice_line = InvoiceLine.__table__()
        sale_line = SaleLine.__table__()
        sale = Sale.__table__()
        opportunity = Opportunity.__table__()
        return (invoice_line
            .join(sale_line, condition=invoice_line.origin
                == _reference_to('sale.line', sale_line.id))
            .join(sale, condition=sale.id == sale_line.sale)
            .join(opportunity, condition=sale.origin
                == _reference_to('sale.opportunity', opportunity.id))
            .select(
                invoice_line.invoice.as_('invoice'),
                opportunity.id.as_('opportunity'),
                where=where(invoice_line) if where else None))

    @classmethod
    def get_opportunity(cls, invoices, name):
        cursor = Transaction().connection.cursor()
        result = dict.fromkeys((i.id for i in invoices), None)
        for sub_ids in grouped_slice(list(result), backend.MAX_QUERY_PARAMS):
            query = cls._opportunity_query(
                where=lambda line: reduce_ids(line.invoice, sub_ids))
            # An invoice grouping several opportunities shows the first.
            cursor.execute(*query.select(
                    query.invoice, Min(query.opportunity),
                    group_by=[query.invoice]))
            result.update(cursor)
        return result

    @classmethod
    def search_opportunity(cls, name, clause):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        _, operator, value = clause[:3]
        query = cls._opportunity_query()
        if value is None and operator in {'=', '!='}:
            # Invoices without (or with) an opportunity.
            return [('id', 'not in' if operator == '=' else 'in',
                    query.select(query.invoice))]
        nested = clause[0][len(name) + 1:]
        if not nested:
            nested = 'rec_name' if isinstance(value, str) else 'id'
        opportunities = Opportunity.search(
            [(nested, operator, value) + tuple(clause[3:])], query=True,
            order=[])
        return [('id', 'in', query.select(
                    query.invoice,
                    where=query.opportunity.in_(opportunities)))]


class OpportunityLinkMixin:
    """A searchable crm_opportunity field computed from a query of the ids
    of the records with their opportunity (_opportunity_query), for the
    related actions of the opportunity and of the receivables report"""
    __slots__ = ()

    @classmethod
    def _opportunity_query(cls):
        "Select the columns record and opportunity"
        raise NotImplementedError

    @classmethod
    def get_crm_opportunity(cls, records, name):
        cursor = Transaction().connection.cursor()
        result = dict.fromkeys((r.id for r in records), None)
        query = cls._opportunity_query()
        for sub_ids in grouped_slice(list(result), backend.MAX_QUERY_PARAMS):
            # A record of several opportunities shows the first.
            cursor.execute(*query.select(
                    query.record, Min(query.opportunity),
                    where=reduce_ids(query.record, sub_ids),
                    group_by=[query.record]))
            result.update(cursor)
        return result

    @classmethod
    def search_crm_opportunity(cls, name, clause):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        _, operator, value = clause[:3]
        query = cls._opportunity_query()
        nested = clause[0][len(name) + 1:]
        if not nested:
            if value is None and operator in {'=', '!='}:
                return [('id', 'not in' if operator == '=' else 'in',
                        query.select(query.record))]
            nested = 'rec_name' if isinstance(value, str) else 'id'
        opportunities = Opportunity.search(
            [(nested, operator, value) + tuple(clause[3:])], query=True,
            order=[])
        return [('id', 'in', query.select(
                    query.record,
                    where=query.opportunity.in_(opportunities)))]


class ShipmentOut(OpportunityLinkMixin, metaclass=PoolMeta):
    __name__ = 'stock.shipment.out'

    crm_opportunity = fields.Function(fields.Many2One(
            'sale.opportunity', "Opportunity",
            help="The opportunity of the sales shipped."),
        'get_crm_opportunity', searcher='search_crm_opportunity')

    @classmethod
    def _opportunity_query(cls):
        "The shipments with the opportunity of the sales of their moves"
        pool = Pool()
        Sale = pool.get('sale.sale')
        SaleLine = pool.get('sale.line')
        Move = pool.get('stock.move')
        sale = Sale.__table__()
        sale_line = SaleLine.__table__()
        move = Move.__table__()
        prefix = len('sale.opportunity,') + 1
        shipment = len(cls.__name__ + ',') + 1
        return (sale
            .join(sale_line, condition=sale_line.sale == sale.id)
            .join(move, condition=move.origin == _reference_to(
                    'sale.line', sale_line.id))
            .select(
                Cast(Substring(move.shipment, shipment),
                    cls.id.sql_type().base).as_('record'),
                Cast(Substring(sale.origin, prefix),
                    cls.id.sql_type().base).as_('opportunity'),
                where=sale.origin.like('sale.opportunity,%')
                & move.shipment.like(cls.__name__ + ',%'),
                group_by=[move.shipment, sale.origin]))


class MoveLine(OpportunityLinkMixin, metaclass=PoolMeta):
    __name__ = 'account.move.line'

    crm_opportunity = fields.Function(fields.Many2One(
            'sale.opportunity', "Opportunity",
            help="The opportunity whose invoices the line pays."),
        'get_crm_opportunity', searcher='search_crm_opportunity')

    @classmethod
    def _opportunity_query(cls):
        """The payment lines of the invoices of opportunities with their
        opportunity: the partial payments and the lines reconciled with the
        lines to pay, as the host's payment lines of an invoice"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        PaymentLine = pool.get('account.invoice-account.move.line')
        invoices = Invoice._opportunity_query()
        invoice = Invoice.__table__()
        payment = PaymentLine.__table__()
        to_pay = cls.__table__()
        other = cls.__table__()
        partial = (invoices
            .join(payment, condition=payment.invoice == invoices.invoice)
            .select(
                payment.line.as_('record'),
                invoices.opportunity.as_('opportunity')))
        reconciled = (invoices
            .join(invoice, condition=invoice.id == invoices.invoice)
            .join(to_pay, condition=(to_pay.move == invoice.move)
                & (to_pay.account == invoice.account))
            .join(other,
                condition=other.reconciliation == to_pay.reconciliation)
            .select(
                other.id.as_('record'),
                invoices.opportunity.as_('opportunity'),
                where=(other.move != invoice.move)))
        union = partial | reconciled
        return union.select(union.record, union.opportunity)


class InvoicePaymentLine(metaclass=PoolMeta):
    __name__ = 'account.invoice-account.move.line'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # The receivables read the partial payments of given invoices; the
        # host indexes only the line.
        cls._sql_indexes.add(Index(t, (t.invoice, Index.Range())))


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    sale_order_count = fields.Function(fields.Integer(
            "Orders", help="The number of confirmed sales to the party."),
        'get_account_overview')
    sale_order_amount = fields.Function(Monetary(
            "Ordered", digits='currency', currency='currency',
            help="The untaxed amount of the confirmed sales to the party."),
        'get_account_overview')
    invoiced_amount = fields.Function(Monetary(
            "Invoiced", digits='currency', currency='currency',
            help="The untaxed amount of the posted customer invoices of "
            "the party."),
        'get_account_overview')
    credit_used = fields.Function(Monetary(
            "Credit Used", digits='currency', currency='currency',
            help="The receivable balance and what is confirmed but not "
            "invoiced yet, taken against the credit limit."),
        'get_account_overview')

    @classmethod
    def get_account_overview(cls, parties, names):
        """The orders and invoices of the parties in the company of the
        context, in its currency, with one query per kind and slice"""
        pool = Pool()
        Company = pool.get('company.company')
        Currency = pool.get('currency.currency')
        Sale = pool.get('sale.sale')
        SaleLine = pool.get('sale.line')
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        cursor = Transaction().connection.cursor()
        ids = [p.id for p in parties]
        result = {n: dict.fromkeys(ids, 0 if n == 'sale_order_count'
                else Decimal(0)) for n in names}
        company_id = Transaction().context.get('company')
        if company_id is None or company_id < 0:
            return result
        company = Company(company_id)
        sale = Sale.__table__()
        sale_line = SaleLine.__table__()
        invoice = Invoice.__table__()
        invoice_line = InvoiceLine.__table__()
        # {name: {(party, currency): amount}}
        sums = defaultdict(lambda: defaultdict(Decimal))
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS // 2):
            sub_ids = list(sub_ids)
            cursor.execute(*sale.select(
                    sale.party, sale.currency, Count(sale.id),
                    Sum(sale.untaxed_amount_cache),
                    where=reduce_ids(sale.party, sub_ids)
                    & (sale.company == company.id)
                    & sale.state.in_(ORDERED_STATES),
                    group_by=[sale.party, sale.currency]))
            for party_id, currency_id, count, amount in cursor:
                if 'sale_order_count' in result:
                    result['sale_order_count'][party_id] += count
                sums['sale_order_amount'][party_id, currency_id] += (
                    Decimal(str(amount or 0)))
            cursor.execute(*invoice.select(
                    invoice.party, invoice.currency,
                    Sum(invoice.untaxed_amount_cache),
                    where=reduce_ids(invoice.party, sub_ids)
                    & (invoice.company == company.id)
                    & (invoice.type == 'out')
                    & invoice.state.in_(INVOICED_STATES),
                    group_by=[invoice.party, invoice.currency]))
            for party_id, currency_id, amount in cursor:
                sums['invoiced_amount'][party_id, currency_id] += (
                    Decimal(str(amount or 0)))
            if 'credit_used' in names:
                # Confirmed sales not done yet, less what of them is
                # invoiced already (then in the receivable balance).
                pending = (sale.state.in_(['confirmed', 'processing'])
                    & reduce_ids(sale.party, sub_ids)
                    & (sale.company == company.id))
                cursor.execute(*sale.select(
                        sale.party, sale.currency,
                        Sum(sale.untaxed_amount_cache),
                        where=pending,
                        group_by=[sale.party, sale.currency]))
                for party_id, currency_id, amount in cursor:
                    sums['credit_used'][party_id, currency_id] += (
                        Decimal(str(amount or 0)))
                cursor.execute(*sale
                    .join(sale_line, condition=sale_line.sale == sale.id)
                    .join(invoice_line, condition=invoice_line.origin
                        == _reference_to('sale.line', sale_line.id))
                    .join(invoice,
                        condition=invoice.id == invoice_line.invoice)
                    .select(
                        sale.party, invoice.currency,
                        Sum(Cast(invoice_line.quantity, 'NUMERIC')
                            * invoice_line.unit_price),
                        where=pending & invoice.state.in_(INVOICED_STATES),
                        group_by=[sale.party, invoice.currency]))
                for party_id, currency_id, amount in cursor:
                    sums['credit_used'][party_id, currency_id] -= (
                        Decimal(str(amount or 0)))
        currencies = {c.id: c for c in Currency.browse(list(
                    {c for by_key in sums.values() for _, c in by_key}))}
        for name in names:
            if name == 'sale_order_count':
                continue
            for (party_id, currency_id), amount in sums[name].items():
                if currency_id != company.currency.id:
                    amount = Currency.compute(
                        currencies[currency_id], amount, company.currency,
                        round=False)
                result[name][party_id] += amount
            result[name] = {
                i: company.currency.round(v) for i, v in result[name].items()}
        if 'credit_used' in names:
            for party in cls.browse(ids):
                result['credit_used'][party.id] += party.receivable or 0
        return result


class ReceivableFilterMixin(OrganisationFilterMixin, ReportContextMixin):
    "The filter of the receivables report"
    __slots__ = ()

    marketing_campaign = fields.Many2One(
        'marketing.campaign', "Campaign",
        domain=[('company', '=', Eval('company', -1))],
        help="Only the opportunities of this marketing campaign.")


class ReceivableReportContext(ReceivableFilterMixin, ModelView):
    "Receivable Report Context"
    __name__ = 'crm.receivable.report.context'
    __string__ = "Receivable Report Context"


class ReceivableReport(ModelSQL, ModelView):
    "Receivables by Opportunity"
    __name__ = 'crm.receivable.report'
    __string__ = "Receivables by Opportunity"

    opportunity = fields.Many2One('sale.opportunity', "Opportunity")
    company = fields.Many2One('company.company', "Company")
    party = fields.Many2One(
        'party.party', "Party",
        context={
            'company': Eval('company', -1),
            },
        depends=['company'])
    employee = fields.Many2One('company.employee', "Employee")
    marketing_campaign = fields.Many2One('marketing.campaign', "Campaign")
    currency = fields.Many2One('currency.currency', "Currency")
    state = fields.Selection('get_states', "State")
    won_date = fields.Date(
        "Won", help="When the opportunity was won.")
    quoted_amount = Monetary(
        "Quoted", currency='currency', digits='currency',
        help="The untaxed amount of the sales still in quotation.")
    ordered_amount = Monetary(
        "Ordered", currency='currency', digits='currency',
        help="The untaxed amount of the confirmed sales.")
    shipped_amount = Monetary(
        "Shipped", currency='currency', digits='currency',
        help="The value at the sale price of the quantities delivered, "
        "less those returned.")
    invoiced_amount = Monetary(
        "Invoiced", currency='currency', digits='currency',
        help="The untaxed amount of the posted customer invoices.")
    paid_amount = Monetary(
        "Paid", currency='currency', digits='currency',
        help="What the customer has paid of the invoices, taxes included.")
    outstanding_amount = Monetary(
        "Outstanding", currency='currency', digits='currency',
        help="What the customer still owes on the invoices, taxes "
        "included.")
    overdue_amount = Monetary(
        "Overdue", currency='currency', digits='currency',
        help="The part of the outstanding amount past its due date.")
    first_invoice_date = fields.Date(
        "First Invoice", help="The date of the first posted invoice.")
    last_payment_date = fields.Date(
        "Last Payment", help="The date of the last payment received.")
    days_to_invoice = fields.Integer(
        "Days to Invoice",
        help="The days from the win to the first invoice.")
    days_to_payment = fields.Integer(
        "Days to Payment",
        help="The days from the first invoice to the last payment.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('won_date', 'DESC NULLS LAST'), ('id', 'DESC')]

    def get_rec_name(self, name):
        # A row is its opportunity: the client names its windows with it.
        return self.opportunity.rec_name if self.opportunity else ''

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('opportunity.rec_name', *clause[1:])]

    @classmethod
    def get_states(cls):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        return Opportunity.fields_get(['state'])['state']['selection']

    @classmethod
    def table_query(cls):
        """One row per opportunity with a sale, quoted or further, and all
        its receivables computed in the same query: every column can be
        sorted and searched in SQL"""
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Sale = pool.get('sale.sale')
        context = Transaction().context
        ids = context.get('_receivable_ids')

        def where(opportunity):
            where = opportunity.company == context.get('company')
            if context.get('from_date'):
                where &= opportunity.start_date >= context['from_date']
            if context.get('to_date'):
                where &= opportunity.start_date <= context['to_date']
            where &= organisation_where(opportunity)
            if context.get('marketing_campaign'):
                where &= (opportunity.marketing_campaign
                    == context['marketing_campaign'])
            if ids is not None:
                where &= reduce_ids(opportunity.id, ids)
            readable = readable_opportunities(opportunity)
            if readable is not None:
                where &= readable
            # From the quoted amount to the cash received: every
            # opportunity that went as far as a quotation.
            sale = Sale.__table__()
            return where & Exists(sale.select(Literal(1),
                    where=(sale.origin == _reference_to(
                            Opportunity.__name__, opportunity.id))
                    & sale.state.in_(QUOTED_STATES)))

        # A search builds only the columns it uses (see search).
        columns = context.get('_receivable_columns', REPORT_COLUMNS)
        rows = Opportunity.receivable_query(
            where, grouped=ids is not None, columns=columns)
        return rows.select(
            rows.id.as_('id'),
            rows.id.as_('opportunity'),
            rows.company.as_('company'),
            rows.party.as_('party'),
            rows.employee.as_('employee'),
            rows.currency.as_('currency'),
            rows.state.as_('state'),
            rows.marketing_campaign.as_('marketing_campaign'),
            *(getattr(rows, n).as_(n) for n in columns))

    @classmethod
    def search(cls, domain, offset=0, limit=None, order=None, count=False,
            query=False):
        # Only the receivable columns the search uses are built into its
        # query: the others would be formatted, sent and parsed for nothing.
        with Transaction().set_context(
                _receivable_columns=cls._searched_columns(domain, order)):
            if count or query:
                return super().search(domain, offset=offset, limit=limit,
                    order=order, count=count, query=query)
            # Only the ids: the host selects every column to fill its
            # cache, which would compute the figures of every row found.
            select = super().search(domain, offset=offset, limit=limit,
                order=order, query=True)
        cursor = Transaction().connection.cursor()
        cursor.execute(*select)
        ids = [i for i, in cursor]
        # Browsed in slices: the host checks the whole list of ids of the
        # records browsed together as it makes each of them, which costs the
        # square of their number (30 s for the 32,400 rows of a report).
        return [r for sub_ids in grouped_slice(ids, READ_SLICE)
            for r in cls.browse(sub_ids)]

    @classmethod
    def _searched_columns(cls, domain, order):
        """The receivable columns that a search of domain in order uses,
        with the domain of the record rules"""
        pool = Pool()
        Rule = pool.get('ir.rule')
        names = set()

        def add_fields(domain):
            for clause in domain or []:
                if (isinstance(clause, (list, tuple)) and clause
                        and isinstance(clause[0], str)
                        and clause[0] not in {'AND', 'OR'}):
                    names.add(clause[0].split('.', 1)[0])
                elif isinstance(clause, (list, tuple)):
                    add_fields(clause)
        add_fields(domain)
        add_fields(Rule.domain_get(cls.__name__, mode='read'))
        for name, _ in (order or cls._order):
            names.add(name.split('.', 1)[0])
        return [n for n in REPORT_COLUMNS if n in names]

    @classmethod
    def read(cls, ids, fields_names):
        # The rows read are known: their figures are computed once each, in
        # a query restricted to them (Opportunity.receivable_query grouped).
        # In slices, as the host's browse of the names of related records
        # costs the square of their number. Read with those names, the
        # fields the host composes them from come in the same query, instead
        # of every column of each record being loaded to compose its name.
        extra = [f + '.' + n for f, names in NAME_FIELDS.items()
            if f + '.rec_name' in fields_names for n in names
            if f + '.' + n not in fields_names]
        result = []
        for sub_ids in grouped_slice(ids, READ_SLICE):
            sub_ids = list(sub_ids)
            with Transaction().set_context(_receivable_ids=sub_ids):
                result.extend(super().read(
                        sub_ids, list(fields_names) + extra))
        for row in result:
            for name in extra:
                field, subfield = name.split('.')
                # Rows of the same related record share its values.
                if row.get(field + '.'):
                    row[field + '.'].pop(subfield, None)
        return result

    @classmethod
    def xlsx_columns(cls):
        "The title, field and kind of the columns of the Excel export"
        return [(getattr(cls, f).string, f, k) for f, k in [
                ('opportunity', 'text'),
                ('party', 'text'),
                ('employee', 'text'),
                ('currency', 'text'),
                ('quoted_amount', 'money'),
                ('ordered_amount', 'money'),
                ('invoiced_amount', 'money'),
                ('paid_amount', 'money'),
                ('outstanding_amount', 'money'),
                ('won_date', 'date'),
                ('first_invoice_date', 'date'),
                ('last_payment_date', 'date'),
                ('days_to_invoice', 'integer'),
                ('days_to_payment', 'integer'),
                ('shipped_amount', 'money'),
                ('overdue_amount', 'money'),
                ]]


class ReceivableReportXlsx(Report):
    "The receivables report as an Excel file"
    __name__ = 'crm.receivable.report.xlsx'

    @classmethod
    def execute(cls, ids, data):
        # The filter of the export wizard, else the report's context that
        # the client sends.
        filter_ = data.get('filter')
        if filter_ is not None:
            with Transaction().set_context(
                    {n: filter_.get(n) for n in FILTER_FIELDS}):
                return cls._execute(ids, data)
        return cls._execute(ids, data)

    @classmethod
    def _execute(cls, ids, data):
        pool = Pool()
        ActionReport = pool.get('ir.action.report')
        Currency = pool.get('currency.currency')
        ReportRow = pool.get('crm.receivable.report')
        action_report, = ActionReport.search([
                ('report_name', '=', cls.__name__),
                ], limit=1)
        cls.check_access(action_report, ReportRow.__name__, ids)
        # Without selection, all the rows of the report's context.
        if not ids:
            ids = [r.id for r in ReportRow.search([])]
        columns = ReportRow.xlsx_columns()
        # Read, not browsed: the names come with the figures, in the
        # report's queries per slice of rows.
        names = ['currency']
        for _, name, kind in columns:
            names.append(name + '.rec_name' if kind == 'text' else name)
        rows = ReportRow.read(ids, names)
        # Money columns with the decimals of the company currency.
        digits = Currency(rows[0]['currency']).digits if rows else 2
        kinds = [(t, digits if k == 'money' else k) for t, _, k in columns]
        lines = []
        for row in rows:
            values = []
            for _, name, kind in columns:
                if kind == 'text':
                    related = row[name + '.']
                    values.append(related['rec_name'] if related else None)
                else:
                    values.append(row[name])
            lines.append(values)
        content = write_xlsx(action_report.name, kinds, lines)
        return ('xlsx', content, False, action_report.name)


class ReceivableReportExportStart(ReceivableFilterMixin, ModelView):
    "Export Receivables"
    __name__ = 'crm.receivable.report.export.start'
    __string__ = "Export Receivables"

    rows = fields.Selection([
            ('all', "All the rows of the filter"),
            ('selected', "The selected rows"),
            ], "Export", required=True,
        states={
            'invisible': ~Eval('selected_count'),
            })
    selected_count = fields.Integer(
        "Selected Rows", readonly=True,
        states={
            'invisible': ~Eval('selected_count'),
            })
    row_count = fields.Function(fields.Integer(
            "Rows of the Filter",
            help="The rows of the report that the filter gives."),
        'on_change_with_row_count')

    @classmethod
    def default_rows(cls):
        return 'all'

    @classmethod
    def default_selected_count(cls):
        return 0

    def filter_context(self):
        "The context of the report that the filter gives"
        values = {}
        for name in FILTER_FIELDS:
            value = getattr(self, name, None)
            # The records of the many-to-one fields by their ids.
            values[name] = getattr(value, 'id', value)
        return values

    @fields.depends(*FILTER_FIELDS)
    def on_change_with_row_count(self, name=None):
        pool = Pool()
        ReportRow = pool.get('crm.receivable.report')
        if not self.company:
            return 0
        with Transaction().set_context(self.filter_context()):
            return ReportRow.search([], count=True)


class ReceivableReportExport(Wizard):
    """Export the receivables report to Excel: all the rows of a filter,
    computed on the server whatever the client has loaded, or the rows
    selected in the report"""
    __name__ = 'crm.receivable.report.export'
    start = StateView(
        'crm.receivable.report.export.start',
        'crm_plus.receivable_report_export_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Export", 'export', 'tryton-print', default=True),
            ])
    export = StateReport('crm.receivable.report.xlsx')

    def selected_ids(self):
        "The rows selected in the report the wizard is launched from"
        context = Transaction().context
        if context.get('active_model') == 'crm.receivable.report':
            return [i for i in context.get('active_ids') or [] if i >= 0]
        return []

    def default_start(self, fields):
        context = Transaction().context
        # From the report, its context holds the filter it shows; from the
        # menu, the context's employee is the user's, not a filter.
        if context.get('active_model') == 'crm.receivable.report':
            names = FILTER_FIELDS
        else:
            names = ['company']
        values = {n: context[n] for n in names
            if context.get(n) is not None}
        values['selected_count'] = len(self.selected_ids())
        return values

    def do_export(self, action):
        ids = self.selected_ids() if self.start.rows == 'selected' else []
        return action, {
            'model': 'crm.receivable.report',
            'ids': ids,
            'filter': self.start.filter_context(),
            }


class ReceivableReportOpen(Wizard):
    """Open the opportunity of a row of the receivables report in its form
    (the rows have the ids of their opportunities)"""
    __name__ = 'crm.receivable.report.open'
    start_state = 'open_'
    open_ = StateAction('crm_plus.act_opportunity_receivable_open')

    def do_open_(self, action):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        context = Transaction().context
        ids = [i for i in context.get('active_ids') or [] if i >= 0]
        action['res_id'] = ids
        action['pyson_domain'] = PYSONEncoder().encode([('id', 'in', ids)])
        if len(ids) == 1:
            action['name'] = '%s (%s)' % (
                action['name'], Opportunity(ids[0]).rec_name)
        return action, {}
