# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Sales expenses: what winning an opportunity costs besides its products."
import datetime
from bisect import bisect_right
from collections import defaultdict
from decimal import Decimal

from sql.aggregate import Sum

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Workflow, fields)
from trytond.modules.currency.currency import RateError
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

STATES = [
    ('draft', "Draft"),
    ('confirmed', "Confirmed"),
    ('cancelled', "Cancelled"),
    ]


class ExpenseType(DeactivableMixin, ModelSQL, ModelView):
    "Expense Type"
    __name__ = 'crm.expense.type'
    __string__ = "Expense Type"

    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))


class Expense(Workflow, ModelSQL, ModelView):
    "Expense"
    __name__ = 'crm.expense'
    __string__ = "Expense"
    _rec_name = 'description'

    _states = {
        'readonly': Eval('state') != 'draft',
        }

    date = fields.Date("Date", required=True, states=_states)
    type = fields.Many2One(
        'crm.expense.type', "Type", required=True, ondelete='RESTRICT',
        states=_states)
    amount = Monetary(
        "Amount", currency='currency', digits='currency', required=True,
        domain=[('amount', '>=', 0)], states=_states)
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, states=_states)
    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={
            'readonly': _states['readonly'] | (Eval('id', -1) >= 0),
            })
    employee = fields.Many2One(
        'company.employee', "Employee", states=_states,
        domain=[('company', '=', Eval('company', -1))],
        help="Who spent it.")
    opportunity = fields.Many2One(
        # Deleting an opportunity keeps the record of the money spent.
        'sale.opportunity', "Opportunity", ondelete='SET NULL',
        domain=[('company', '=', Eval('company', -1))], states=_states,
        help="The opportunity the expense was spent on.")
    description = fields.Char("Description", states=_states)
    document = fields.Binary(
        "Document", filename='document_name', states=_states,
        help="The receipt or invoice of the expense.")
    document_name = fields.Char("Document Name", states=_states)
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.opportunity, Index.Range()),
                    where=t.state == 'confirmed'),
                Index(t, (t.date, Index.Range(order='DESC'))),
                Index(t, (t.state, Index.Equality(cardinality='low'))),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'confirmed'),
            ('draft', 'cancelled'),
            ('confirmed', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'confirm': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'confirmed']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'icon': 'tryton-undo',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('state') == 'cancelled', 'muted', '')),
            ]

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_currency(cls, **pattern):
        pool = Pool()
        Company = pool.get('company.company')
        company = pattern.get('company') or cls.default_company()
        if company is not None and company >= 0:
            return Company(company).currency.id

    @classmethod
    def default_employee(cls):
        return Transaction().context.get('employee')

    @fields.depends('company', 'currency')
    def on_change_company(self):
        if self.company and not self.currency:
            self.currency = self.company.currency

    @fields.depends('opportunity', '_parent_opportunity.company',
        'company')
    def on_change_opportunity(self):
        if self.opportunity and not self.company:
            self.company = self.opportunity.company

    def get_rec_name(self, name):
        return self.description or self.type.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return ['OR',
            ('description', *clause[1:]),
            ('type.name', *clause[1:]),
            ]

    @classmethod
    @ModelView.button
    @Workflow.transition('confirmed')
    def confirm(cls, expenses):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, expenses):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, expenses):
        pass

    @classmethod
    def confirmed_amounts(cls, field, currencies):
        """The confirmed expenses of the records, converted at the rate of
        the expense date into the record's currency.

        field is the Many2One of the expense to the record, currencies maps
        the record ids to their currency; the result maps them to amounts,
        in a fixed number of queries whatever the number of records."""
        pool = Pool()
        Currency = pool.get('currency.currency')
        Rate = pool.get('currency.currency.rate')
        Lang = pool.get('ir.lang')
        expense = cls.__table__()
        rate = Rate.__table__()
        cursor = Transaction().connection.cursor()
        column = getattr(expense, field)

        sums = []
        for sub_ids in grouped_slice(
                list(currencies), backend.MAX_QUERY_PARAMS):
            cursor.execute(*expense.select(
                    column, expense.currency, expense.date,
                    Sum(expense.amount),
                    where=reduce_ids(column, sub_ids)
                    & (expense.state == 'confirmed'),
                    group_by=[column, expense.currency, expense.date]))
            sums.extend(cursor)

        # The rates of the currencies involved, each sorted by date.
        needed = set()
        for record_id, currency_id, _, _ in sums:
            if currency_id != currencies[record_id]:
                needed.update((currency_id, currencies[record_id]))
        rates = defaultdict(list)
        for sub_ids in grouped_slice(list(needed), backend.MAX_QUERY_PARAMS):
            cursor.execute(*rate.select(
                    rate.currency, rate.date, rate.rate,
                    where=reduce_ids(rate.currency, sub_ids),
                    order_by=[rate.currency, rate.date]))
            for currency_id, date, value in cursor:
                if isinstance(date, str):
                    date = datetime.date.fromisoformat(date)
                rates[currency_id].append((date, Decimal(str(value))))

        def rate_at(currency_id, date):
            dated = rates[currency_id]
            index = bisect_right(dated, date, key=lambda r: r[0])
            if not index or not dated[index - 1][1]:
                lang = Lang.get()
                raise RateError(gettext('currency.msg_no_rate',
                        currency=Currency(currency_id).rec_name,
                        date=lang.strftime(date)))
            return dated[index - 1][1]

        totals = defaultdict(Decimal)
        for record_id, currency_id, date, amount in sums:
            if isinstance(date, str):
                date = datetime.date.fromisoformat(date)
            amount = Decimal(str(amount))
            target = currencies[record_id]
            if currency_id != target:
                amount = (amount * rate_at(target, date)
                    / rate_at(currency_id, date))
            totals[record_id] += amount
        instances = {c.id: c for c in Currency.browse(
                set(currencies.values()))}
        return {
            record_id: instances[currency_id].round(totals[record_id])
            for record_id, currency_id in currencies.items()}


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    expenses = fields.One2Many(
        'crm.expense', 'opportunity', "Expenses",
        domain=[('company', '=', Eval('company', -1))])
    expense_amount = fields.Function(Monetary(
            "Expenses", digits='currency', currency='currency',
            help="The confirmed expenses, in the currency of the "
            "opportunity at the rate of their date."),
        'get_expense_totals')
    margin_after_expenses = fields.Function(Monetary(
            "Margin after Expenses", digits='currency', currency='currency',
            help="The margin of the lines less the expenses."),
        'get_expense_totals')

    @classmethod
    def get_expense_totals(cls, opportunities, names):
        pool = Pool()
        Expense = pool.get('crm.expense')
        currencies = cls.currencies_of([o.id for o in opportunities])
        amounts = Expense.confirmed_amounts(
            'opportunity', {i: c.id for i, c in currencies.items()})
        result = {n: {} for n in names}
        if 'expense_amount' in names:
            result['expense_amount'] = amounts
        if 'margin_after_expenses' in names:
            margins = cls.get_lines_totals(opportunities, ['margin'])['margin']
            result['margin_after_expenses'] = {
                i: margins[i] - amounts[i] for i in amounts}
        return result

    @classmethod
    def copy(cls, opportunities, default=None):
        default = default.copy() if default is not None else {}
        # Money spent on one opportunity was not spent on its copy.
        default.setdefault('expenses', None)
        return super().copy(opportunities, default=default)
