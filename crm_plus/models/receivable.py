# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Receivables: what an opportunity has become in orders, deliveries,
invoices and payments, read by the accountant on the opportunity and the
invoice."""
import datetime
from collections import defaultdict
from decimal import Decimal

from sql import Cast, Literal, Null
from sql.aggregate import Count, Max, Min, Sum
from sql.conditionals import Case
from sql.functions import Substring
from sql.operators import Concat

from trytond import backend
from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.report import Report
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

from ..reports.receivable_xlsx import write_xlsx
from .mixins import ReportContextMixin

# The sales that count as ordered: the customer has committed to them.
ORDERED_STATES = ('confirmed', 'processing', 'done')
# The invoices that the customer owes: posted and not yet or already paid.
INVOICED_STATES = ('posted', 'paid')

RECEIVABLE_FIELDS = [
    'ordered_amount', 'shipped_amount', 'invoiced_amount', 'paid_amount',
    'outstanding_amount', 'overdue_amount']


def _as_date(value):
    "A date read in SQL: SQLite returns the text of it"
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    if isinstance(value, datetime.datetime):
        return value.date()
    return value


def _origins(model, ids):
    "The stored values of a Reference field pointing at the ids"
    return ['%s,%s' % (model, i) for i in ids]


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
        """All the receivable amounts of the opportunities, with a fixed
        number of queries per slice of ids: sums are grouped by opportunity
        and currency and converted to the opportunity's currency at today's
        rate"""
        pool = Pool()
        Currency = pool.get('currency.currency')
        Date = pool.get('ir.date')
        ids = [o.id for o in opportunities]
        currencies = cls.currencies_of(ids)
        # {name: {(opportunity, currency): amount}}
        sums = defaultdict(lambda: defaultdict(Decimal))
        today = Date.today()
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS // 2):
            sub_ids = list(sub_ids)
            if 'ordered_amount' in names:
                cls._sum_ordered(sub_ids, sums['ordered_amount'])
            if 'quoted_amount' in names:
                cls._sum_ordered(
                    sub_ids, sums['quoted_amount'], states=['quotation'])
            if 'shipped_amount' in names:
                cls._sum_shipped(sub_ids, sums['shipped_amount'])
            if 'invoiced_amount' in names:
                cls._sum_invoiced(sub_ids, sums['invoiced_amount'])
            if {'paid_amount', 'outstanding_amount', 'overdue_amount'} & set(
                    names):
                cls._sum_receivable(sub_ids, today, sums)
        needed = {c for by_key in sums.values() for _, c in by_key}
        instances = {c.id: c for c in Currency.browse(list(needed))}
        result = {}
        for name in names:
            values = dict.fromkeys(ids, Decimal(0))
            for (opportunity_id, currency_id), amount in sums[name].items():
                target = currencies[opportunity_id]
                if currency_id != target.id:
                    amount = Currency.compute(
                        instances[currency_id], amount, target, round=False)
                values[opportunity_id] += amount
            result[name] = {
                i: currencies[i].round(v) for i, v in values.items()}
        return result

    @classmethod
    def invoice_and_payment_dates(cls, ids):
        """The date of the first posted invoice and of the last payment of
        the opportunities, in two queries per slice of ids"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Move = pool.get('account.move')
        MoveLine = pool.get('account.move.line')
        PaymentLine = pool.get('account.invoice-account.move.line')
        cursor = Transaction().connection.cursor()
        invoice = Invoice.__table__()
        payment = PaymentLine.__table__()
        line = MoveLine.__table__()
        move = Move.__table__()
        firsts, lasts = {}, {}
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS // 2):
            invoices = cls._invoices_query(list(sub_ids))
            cursor.execute(*invoices
                .join(invoice, condition=invoice.id == invoices.invoice)
                .select(invoices.opportunity, Min(invoice.invoice_date),
                    group_by=[invoices.opportunity]))
            firsts.update(cursor)
            cursor.execute(*invoices
                .join(payment, condition=payment.invoice == invoices.invoice)
                .join(line, condition=line.id == payment.line)
                .join(move, condition=move.id == line.move)
                .select(invoices.opportunity, Max(move.date),
                    group_by=[invoices.opportunity]))
            lasts.update(cursor)
        return (
            {k: _as_date(v) for k, v in firsts.items()},
            {k: _as_date(v) for k, v in lasts.items()})

    @classmethod
    def _sales_query(cls, ids, states=ORDERED_STATES):
        "The ordered sales of the opportunities with their opportunity id"
        pool = Pool()
        Sale = pool.get('sale.sale')
        sale = Sale.__table__()
        prefix = len('sale.opportunity,') + 1
        return sale.select(
            sale.id.as_('sale'),
            Cast(Substring(sale.origin, prefix), cls.id.sql_type().base
                ).as_('opportunity'),
            sale.currency.as_('currency'),
            where=sale.origin.in_(_origins(cls.__name__, ids))
            & sale.state.in_(states))

    @classmethod
    def _sum_ordered(cls, ids, sums, states=ORDERED_STATES):
        pool = Pool()
        Sale = pool.get('sale.sale')
        SaleLine = pool.get('sale.line')
        cursor = Transaction().connection.cursor()
        sales = cls._sales_query(ids, states=states)
        sale = Sale.__table__()
        line = SaleLine.__table__()
        # The cached untaxed amount of confirmed sales, or the sum of their
        # lines when the cache is not filled yet.
        lines = line.select(
            line.sale.as_('sale'),
            Sum(Cast(line.quantity, 'NUMERIC') * line.unit_price
                ).as_('amount'),
            where=(line.type == 'line'),
            group_by=[line.sale])
        cursor.execute(*sales
            .join(sale, condition=sale.id == sales.sale)
            .join(lines, 'LEFT', condition=lines.sale == sales.sale)
            .select(
                sales.opportunity, sales.currency,
                Sum(Case(
                        (sale.untaxed_amount_cache != Null,
                            sale.untaxed_amount_cache),
                        else_=lines.amount)),
                group_by=[sales.opportunity, sales.currency]))
        for opportunity_id, currency_id, amount in cursor:
            sums[opportunity_id, currency_id] += Decimal(str(amount or 0))

    @classmethod
    def _sum_shipped(cls, ids, sums):
        pool = Pool()
        SaleLine = pool.get('sale.line')
        Move = pool.get('stock.move')
        Location = pool.get('stock.location')
        cursor = Transaction().connection.cursor()
        sales = cls._sales_query(ids)
        line = SaleLine.__table__()
        move = Move.__table__()
        to_location = Location.__table__()
        # Returns come back from the customer and count against.
        sign = Case((to_location.type == 'customer', 1), else_=-1)
        cursor.execute(*sales
            .join(line, condition=line.sale == sales.sale)
            .join(move, condition=move.origin == _reference_to(
                    'sale.line', line.id))
            .join(to_location, condition=to_location.id == move.to_location)
            .select(
                sales.opportunity, sales.currency,
                Sum(sign * Cast(move.quantity, 'NUMERIC') * line.unit_price),
                where=(move.state == 'done'),
                group_by=[sales.opportunity, sales.currency]))
        for opportunity_id, currency_id, amount in cursor:
            sums[opportunity_id, currency_id] += Decimal(str(amount or 0))

    @classmethod
    def _invoices_query(cls, ids):
        "The posted customer invoices of the opportunities' sales"
        pool = Pool()
        SaleLine = pool.get('sale.line')
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        sales = cls._sales_query(ids)
        sale_line = SaleLine.__table__()
        invoice_line = InvoiceLine.__table__()
        invoice = Invoice.__table__()
        return (sales
            .join(sale_line, condition=sale_line.sale == sales.sale)
            .join(invoice_line, condition=invoice_line.origin
                == _reference_to('sale.line', sale_line.id))
            .join(invoice, condition=invoice.id == invoice_line.invoice)
            .select(
                sales.opportunity.as_('opportunity'),
                invoice.id.as_('invoice'),
                invoice.currency.as_('currency'),
                invoice.untaxed_amount_cache.as_('untaxed_amount'),
                where=(invoice.type == 'out')
                & invoice.state.in_(INVOICED_STATES),
                group_by=[sales.opportunity, invoice.id, invoice.currency,
                    invoice.untaxed_amount_cache]))

    @classmethod
    def _sum_invoiced(cls, ids, sums):
        cursor = Transaction().connection.cursor()
        invoices = cls._invoices_query(ids)
        # Posted invoices have their untaxed amount cached.
        cursor.execute(*invoices.select(
                invoices.opportunity, invoices.currency,
                Sum(invoices.untaxed_amount),
                group_by=[invoices.opportunity, invoices.currency]))
        for opportunity_id, currency_id, amount in cursor:
            sums[opportunity_id, currency_id] += Decimal(str(amount or 0))

    @classmethod
    def _sum_receivable(cls, ids, today, sums):
        """The invoiced total, outstanding and overdue amounts as the host's
        amount to pay: the unreconciled lines to pay of the invoices' moves
        less the unreconciled partial payments, in the invoice currency"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        MoveLine = pool.get('account.move.line')
        PaymentLine = pool.get('account.invoice-account.move.line')
        cursor = Transaction().connection.cursor()
        invoices = cls._invoices_query(ids)
        invoice = Invoice.__table__()
        line = MoveLine.__table__()
        payment = PaymentLine.__table__()

        def amount(line):
            # In the invoice currency: the second currency when the line has
            # it, else the company currency which is then the same.
            return Case(
                (line.second_currency == invoice.currency,
                    line.amount_second_currency),
                else_=line.debit - line.credit)

        unreconciled = line.reconciliation == Null
        overdue = unreconciled & (line.maturity_date < today)
        zero = Literal(0)
        to_pay = (invoices
            .join(invoice, condition=invoice.id == invoices.invoice)
            .join(line, condition=(line.move == invoice.move)
                & (line.account == invoice.account))
            .select(
                invoices.opportunity.as_('opportunity'),
                invoices.currency.as_('currency'),
                amount(line).as_('total'),
                Case((unreconciled, amount(line)), else_=zero
                    ).as_('outstanding'),
                Case((overdue, amount(line)), else_=zero).as_('overdue'),
                Literal(0).as_('payment')))
        to_pay |= (invoices
            .join(invoice, condition=invoice.id == invoices.invoice)
            .join(payment, condition=payment.invoice == invoice.id)
            .join(line, condition=line.id == payment.line)
            .select(
                invoices.opportunity.as_('opportunity'),
                invoices.currency.as_('currency'),
                zero.as_('total'),
                Case((unreconciled, amount(line)), else_=zero
                    ).as_('outstanding'),
                zero.as_('overdue'),
                Case((unreconciled, amount(line)), else_=zero
                    ).as_('payment')))
        to_pay.all_ = True
        cursor.execute(*to_pay.select(
                to_pay.opportunity, to_pay.currency,
                Sum(to_pay.total), Sum(to_pay.outstanding),
                Sum(to_pay.overdue), Sum(to_pay.payment),
                group_by=[to_pay.opportunity, to_pay.currency]))
        for (opportunity_id, currency_id, total, outstanding, overdue_,
                payments) in cursor:
            key = opportunity_id, currency_id
            total = Decimal(str(total or 0))
            outstanding = Decimal(str(outstanding or 0))
            # Unreconciled partial payments settle the oldest dues first.
            overdue_ = max(
                Decimal(str(overdue_ or 0)) + Decimal(str(payments or 0)),
                Decimal(0))
            sums['paid_amount'][key] += total - outstanding
            sums['outstanding_amount'][key] += outstanding
            sums['overdue_amount'][key] += min(overdue_, outstanding)


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
        for sub_ids in grouped_slice(list(result)):
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


class ReceivableReportContext(ReportContextMixin, ModelView):
    "Receivable Report Context"
    __name__ = 'crm.receivable.report.context'
    __string__ = "Receivable Report Context"

    team = fields.Many2One(
        'crm.team', "Team",
        help="Only the opportunities of this sales team.")
    employee = fields.Many2One(
        'company.employee', "Employee",
        domain=[('company', '=', Eval('company', -1))],
        help="Only the opportunities of this employee.")


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
    currency = fields.Many2One('currency.currency', "Currency")
    won_date = fields.Date(
        "Won", help="When the opportunity was won.")
    quoted_amount = fields.Function(Monetary(
            "Quoted", currency='currency', digits='currency',
            help="The untaxed amount of the sales still in quotation."),
        'get_amounts')
    ordered_amount = fields.Function(Monetary(
            "Ordered", currency='currency', digits='currency'),
        'get_amounts')
    invoiced_amount = fields.Function(Monetary(
            "Invoiced", currency='currency', digits='currency'),
        'get_amounts')
    paid_amount = fields.Function(Monetary(
            "Paid", currency='currency', digits='currency'),
        'get_amounts')
    outstanding_amount = fields.Function(Monetary(
            "Outstanding", currency='currency', digits='currency'),
        'get_amounts')
    first_invoice_date = fields.Function(fields.Date(
            "First Invoice"), 'get_dates')
    last_payment_date = fields.Function(fields.Date(
            "Last Payment"), 'get_dates')
    days_to_invoice = fields.Function(fields.Integer(
            "Days to Invoice",
            help="The days from the win to the first invoice."),
        'get_dates')
    days_to_payment = fields.Function(fields.Integer(
            "Days to Payment",
            help="The days from the first invoice to the last payment."),
        'get_dates')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('won_date', 'DESC NULLS LAST'), ('id', 'DESC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        opportunity = Opportunity.__table__()
        context = Transaction().context
        where = opportunity.company == context.get('company')
        if context.get('from_date'):
            where &= opportunity.start_date >= context['from_date']
        if context.get('to_date'):
            where &= opportunity.start_date <= context['to_date']
        if context.get('team'):
            where &= opportunity.team == context['team']
        if context.get('employee'):
            where &= opportunity.employee == context['employee']
        # Only opportunities that went as far as a sale have receivables.
        where &= opportunity.state.in_(['converted', 'won'])
        return opportunity.select(
            opportunity.id.as_('id'),
            opportunity.id.as_('opportunity'),
            opportunity.company.as_('company'),
            opportunity.party.as_('party'),
            opportunity.employee.as_('employee'),
            opportunity.currency.as_('currency'),
            Case((opportunity.state == 'won', opportunity.end_date),
                else_=Null).as_('won_date'),
            where=where)

    @classmethod
    def get_amounts(cls, records, names):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        # A row is its opportunity, with the same id.
        return Opportunity.get_receivables(
            Opportunity.browse([r.id for r in records]), names)

    @classmethod
    def get_dates(cls, records, names):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        ids = [r.id for r in records]
        firsts, lasts = Opportunity.invoice_and_payment_dates(ids)
        result = {n: {} for n in names}
        for record in records:
            first, last = firsts.get(record.id), lasts.get(record.id)
            values = {
                'first_invoice_date': first,
                'last_payment_date': last,
                'days_to_invoice': (
                    (first - record.won_date).days
                    if first and record.won_date else None),
                'days_to_payment': (
                    (last - first).days if first and last else None),
                }
            for name in names:
                result[name][record.id] = values[name]
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
                ]]


class ReceivableReportXlsx(Report):
    "The receivables report as an Excel file"
    __name__ = 'crm.receivable.report.xlsx'

    @classmethod
    def execute(cls, ids, data):
        pool = Pool()
        ActionReport = pool.get('ir.action.report')
        ReportRow = pool.get('crm.receivable.report')
        action_report, = ActionReport.search([
                ('report_name', '=', cls.__name__),
                ], limit=1)
        cls.check_access(action_report, ReportRow.__name__, ids)
        # Without selection, all the rows of the report's context.
        rows = ReportRow.browse(ids) if ids else ReportRow.search([])
        columns = ReportRow.xlsx_columns()
        # Money columns with the decimals of the company currency.
        digits = rows[0].currency.digits if rows else 2
        kinds = [(t, digits if k == 'money' else k) for t, _, k in columns]
        lines = []
        for row in rows:
            values = []
            for _, name, kind in columns:
                value = getattr(row, name)
                if kind == 'text':
                    value = value.rec_name if value else None
                values.append(value)
            lines.append(values)
        content = write_xlsx(action_report.name, kinds, lines)
        return ('xlsx', content, False, action_report.name)
