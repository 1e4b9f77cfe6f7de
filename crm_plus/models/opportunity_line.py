# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Priced opportunity lines, their margin, and the totals of the opportunity."
from collections import defaultdict
from decimal import Decimal

from sql.aggregate import Sum
from sql.conditionals import Coalesce

from trytond import backend
from trytond.model import ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.product import price_digits, round_price
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, PYSONEncoder
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

DISCOUNT_DIGITS = (16, 4)
OPEN_STATES = ['lead', 'opportunity']
# The opportunities whose lines are being written through them (context
# keys starting with "_" never come from a client)
LINES_DEFERRED = '_crm_plus_lines_deferred'
# The list price of a line that the caller did not compute.
_UNPRICED = object()


# The digits a client shows the prices with: those of the currency, or more
# for the prices that need them; they are stored with price_digits.
_shown_price_digits = (
    price_digits[0], Eval('price_decimals', price_digits[1]))
_shown_prices = ['base_price', 'unit_price', 'cost_price']


def _quantity(value):
    # Quantities are floats on the host; str() keeps what the user typed.
    return Decimal(str(value or 0))


class OpportunityLine(metaclass=PoolMeta):
    __name__ = 'sale.opportunity.line'

    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    # Prices are shown with the digits of the currency unless they need
    # more: 1,900.00 rather than 1,900.0000 (see fields_get).
    price_decimals = fields.Function(
        fields.Integer("Price Decimals"), 'on_change_with_price_decimals')
    base_price = Monetary(
        "List Price", digits=price_digits, currency='currency',
        depends={'price_decimals'},
        help="The unit price before discount, by default the sale price "
        "of the product for the party.")
    discount = fields.Numeric(
        "Discount", digits=DISCOUNT_DIGITS,
        domain=['OR',
            ('discount', '=', None),
            [('discount', '>=', 0), ('discount', '<=', 1)],
            ],
        help="The rate taken off the list price.")
    unit_price = Monetary(
        "Unit Price", digits=price_digits, currency='currency',
        depends={'price_decimals'},
        help="The negotiated unit price, after discount.")
    amount = Monetary(
        "Amount", digits='currency', currency='currency',
        help="The quantity times the unit price; "
        "when entered, it sets the unit price.")
    cost_price = Monetary(
        "Cost Price", digits=price_digits, currency='currency',
        depends={'price_decimals'},
        help="By default the cost price of the product.")
    cost = Monetary(
        "Cost", digits='currency', currency='currency', readonly=True)
    margin = fields.Function(Monetary(
            "Margin", digits='currency', currency='currency'),
        'on_change_with_margin')
    margin_rate = fields.Function(fields.Numeric(
            "Margin Rate", digits=DISCOUNT_DIGITS),
        'on_change_with_margin_rate')

    # The fields whose value, given over RPC, leads the others, first
    # first: clients send the unit price together with the amount it gave,
    # which must not round the unit price again.
    _price_sources = [
        'unit_price', 'amount', 'discount', 'base_price', 'cost_price']
    _price_inputs = {'product', 'unit', 'quantity', 'opportunity'}

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # Readonly exactly when the host's own line fields are.
        for name in ['base_price', 'discount', 'unit_price', 'amount',
                'cost_price']:
            getattr(cls, name).states = cls.quantity.states.copy()
        # Prices are not negative (a negative quantity makes a credit).
        for name in ['base_price', 'unit_price', 'cost_price']:
            field = getattr(cls, name)
            field.domain = [
                field.domain or [],
                ['OR', (name, '=', None), (name, '>=', 0)],
                ]

    @classmethod
    def fields_get(cls, fields_names=None, level=0):
        definitions = super().fields_get(fields_names, level=level)
        digits = PYSONEncoder().encode(_shown_price_digits)
        for name in _shown_prices:
            if name in definitions:
                definitions[name] = {**definitions[name], 'digits': digits}
        return definitions

    @classmethod
    def default_discount(cls):
        return Decimal(0)

    @fields.depends('opportunity', '_parent_opportunity.currency')
    def on_change_with_currency(self, name=None):
        if self.opportunity and self.opportunity.currency:
            return self.opportunity.currency

    @fields.depends('base_price', 'unit_price', 'cost_price',
        methods=['on_change_with_currency'])
    def on_change_with_price_decimals(self, name=None):
        "The digits of the currency, or more for prices that need them"
        currency = self.on_change_with_currency()
        decimals = currency.digits if currency else 2
        for price in [self.base_price, self.unit_price, self.cost_price]:
            if price is not None and price.is_finite():
                exponent = price.normalize().as_tuple().exponent
                decimals = max(decimals, -exponent)
        return min(decimals, price_digits[1])

    @fields.depends(
        'opportunity', '_parent_opportunity.party',
        '_parent_opportunity.currency', 'company', 'unit', 'product')
    def _get_context_sale_price(self):
        "The context the host's sale line prices its product with"
        context = {}
        if self.opportunity:
            if self.opportunity.currency:
                context['currency'] = self.opportunity.currency.id
            if self.opportunity.party:
                context['customer'] = self.opportunity.party.id
        if self.company:
            context['company'] = self.company.id
        if self.unit:
            context['uom'] = self.unit.id
        elif self.product:
            context['uom'] = self.product.sale_uom.id
        context['taxes'] = []
        return context

    @fields.depends('product', 'quantity', methods=['_get_context_sale_price'])
    def compute_base_price(self):
        pool = Pool()
        Product = pool.get('product.product')
        if not self.product:
            return None
        with Transaction().set_context(self._get_context_sale_price()):
            return Product.get_sale_price(
                [self.product], abs(self.quantity or 0))[self.product.id]

    @fields.depends(
        'product', 'unit', 'company', 'currency',
        methods=['on_change_with_currency'])
    def compute_cost_price(self):
        "The product's cost price, in the unit and currency of the line"
        pool = Pool()
        Currency = pool.get('currency.currency')
        Uom = pool.get('product.uom')
        if not self.product:
            return None
        cost_price = self.product.cost_price
        if cost_price is None:
            return None
        if (self.unit
                and self.unit.category == self.product.default_uom.category):
            cost_price = Uom.compute_price(
                self.product.default_uom, cost_price, self.unit)
        currency = self.on_change_with_currency()
        if (self.company and currency
                and self.company.currency != currency):
            cost_price = Currency.compute(
                self.company.currency, cost_price, currency, round=False)
        return round_price(cost_price)

    @fields.depends('currency', methods=['on_change_with_currency'])
    def _round_amount(self, value):
        currency = self.currency or self.on_change_with_currency()
        if currency:
            return currency.round(value)
        return value.quantize(Decimal('0.01'))

    @fields.depends(
        'quantity', 'base_price', 'discount', 'unit_price', 'amount',
        'cost_price',
        methods=['_round_amount', 'on_change_with_margin',
            'on_change_with_margin_rate', 'on_change_with_price_decimals'])
    def compute_prices(self, source=None):
        """Make prices, amount and cost agree, keeping the value of source:
        'amount', 'unit_price', 'discount' or 'base_price' (None keeps the
        unit price, as a change of quantity does)"""
        quantity = _quantity(self.quantity)
        if source == 'amount':
            if quantity and self.amount is not None:
                self.unit_price = round_price(self.amount / quantity)
            source = 'unit_price'
        if source == 'unit_price':
            if self.unit_price is not None:
                if (not self.base_price
                        or self.unit_price > self.base_price):
                    # A price above the list price is a new list price,
                    # not a negative discount.
                    self.base_price = self.unit_price
                self.discount = (1 - self.unit_price / self.base_price
                    if self.base_price else Decimal(0)).quantize(
                    Decimal(1) / 10 ** DISCOUNT_DIGITS[1])
        elif source in {'discount', 'base_price'} or self.unit_price is None:
            if self.base_price is not None:
                self.unit_price = round_price(
                    self.base_price * (1 - (self.discount or 0)))
        if self.unit_price is not None:
            self.amount = self._round_amount(quantity * self.unit_price)
        else:
            self.amount = None
        if self.cost_price is not None:
            self.cost = self._round_amount(quantity * self.cost_price)
        else:
            self.cost = None
        # Clients recompute a field from its depends only when the user
        # changed one of them, not when an on_change did.
        self.margin = self.on_change_with_margin()
        self.margin_rate = self.on_change_with_margin_rate()
        self.price_decimals = self.on_change_with_price_decimals()

    @fields.depends(methods=['compute_base_price', 'compute_cost_price',
            'compute_prices'])
    def _reprice_product(self):
        self.base_price = self.compute_base_price()
        self.cost_price = self.compute_cost_price()
        self.compute_prices('base_price')

    @fields.depends(methods=['_reprice_product'])
    def on_change_product(self):
        super().on_change_product()
        self._reprice_product()

    @fields.depends(methods=['_reprice_product'])
    def on_change_unit(self):
        if hasattr(super(), 'on_change_unit'):
            super().on_change_unit()
        self._reprice_product()

    @fields.depends(methods=['compute_prices'])
    def on_change_quantity(self):
        if hasattr(super(), 'on_change_quantity'):
            super().on_change_quantity()
        self.compute_prices()

    @fields.depends(methods=['compute_prices'])
    def on_change_base_price(self):
        self.compute_prices('base_price')

    @fields.depends(methods=['compute_prices'])
    def on_change_discount(self):
        self.compute_prices('discount')

    @fields.depends(methods=['compute_prices'])
    def on_change_unit_price(self):
        self.compute_prices('unit_price')

    @fields.depends(methods=['compute_prices'])
    def on_change_amount(self):
        self.compute_prices('amount')

    @fields.depends(methods=['compute_prices'])
    def on_change_cost_price(self):
        self.compute_prices('cost_price')

    @fields.depends('amount', 'cost')
    def on_change_with_margin(self, name=None):
        if self.amount is not None:
            return self.amount - (self.cost or 0)

    @fields.depends('amount', methods=['on_change_with_margin'])
    def on_change_with_margin_rate(self, name=None):
        margin = self.on_change_with_margin()
        if self.amount and margin is not None:
            return (margin / self.amount).quantize(
                Decimal(1) / 10 ** DISCOUNT_DIGITS[1])

    def _changed_prices(self, given, base_price=_UNPRICED):
        """The values to write so that the line agrees with the fields given
        over RPC; the first of _price_sources given leads.

        base_price, when given, is the line's list price already computed
        with others' (see _base_prices)."""
        names = ['base_price', 'discount', 'unit_price', 'amount',
            'cost_price', 'cost']
        before = {n: getattr(self, n) for n in names}
        if given & {'product', 'unit'}:
            if 'base_price' not in given:
                if base_price is _UNPRICED:
                    base_price = self.compute_base_price()
                self.base_price = base_price
            if 'cost_price' not in given:
                self.cost_price = self.compute_cost_price()
        source = next((s for s in self._price_sources if s in given), None)
        if source == 'cost_price':
            source = None
        if source is None and given & {'product', 'unit'}:
            source = 'base_price'
        self.compute_prices(source)
        if source == 'unit_price' and given >= {'discount', 'base_price'}:
            # The discount entered, rather than the one rounded back from
            # the unit price it gave
            self.base_price = before['base_price']
            self.discount = before['discount']
        return {n: getattr(self, n) for n in names
            if getattr(self, n) != before[n]}

    @classmethod
    def _recompute(cls, lines_given):
        to_write = []
        for line, given in lines_given:
            changes = line._changed_prices(given)
            if changes:
                to_write.extend(([line], changes))
        if to_write:
            super().write(*to_write)

    @classmethod
    def _base_prices(cls, lines):
        """The list price of the product of each line, by index: the lines
        priced in the same context (customer, currency, unit) and quantity
        are priced together, as the host prices a list of products at
        once, rather than one call per line"""
        pool = Pool()
        Product = pool.get('product.product')
        groups = defaultdict(list)
        for index, line in enumerate(lines):
            if line.product:
                context = line._get_context_sale_price()
                key = tuple(sorted(
                        (k, tuple(v) if isinstance(v, list) else v)
                        for k, v in context.items()))
                groups[key, abs(line.quantity or 0)].append(index)
        prices = {}
        for (context, quantity), indexes in groups.items():
            context = {k: list(v) if isinstance(v, tuple) else v
                for k, v in context}
            products = list({lines[i].product for i in indexes})
            with Transaction().set_context(context):
                found = Product.get_sale_price(products, quantity)
            for index in indexes:
                prices[index] = found[lines[index].product.id]
        return prices

    @classmethod
    def create(cls, vlist):
        # The values are completed before the insertion, so that creating
        # many lines costs no write per line.
        watched = set(cls._price_sources) | cls._price_inputs
        names = ['opportunity', 'product', 'unit', 'quantity', 'base_price',
            'discount', 'unit_price', 'amount', 'cost_price', 'cost']
        vlist = [v.copy() for v in vlist]
        # The lines share the instances of their opportunities, products
        # and units: what the pricing reads of them is read once for the
        # list, not once per line.
        shared = cls._shared_records(vlist, ['opportunity', 'product', 'unit'])
        pending = []
        for values in vlist:
            given = set(values) & watched
            if not given or not values.get('opportunity'):
                continue
            line = cls(**{n: shared.get((n, values.get(n)), values.get(n))
                    for n in names})
            if line.discount is None and 'discount' not in values:
                line.discount = cls.default_discount()
            line.company = line.on_change_with_company()
            line.currency = line.on_change_with_currency()
            pending.append((values, line, given))
        to_price = [i for i, (_, _, given) in enumerate(pending)
            if given & {'product', 'unit'} and 'base_price' not in given]
        prices = cls._base_prices([pending[i][1] for i in to_price])
        prices = {to_price[i]: p for i, p in prices.items()}
        for index, (values, line, given) in enumerate(pending):
            values.update(line._changed_prices(
                    given, base_price=prices.get(index, _UNPRICED)))
            if 'discount' not in values:
                values['discount'] = line.discount
        lines = super().create(vlist)
        cls._follow_lines({l.opportunity.id for l in lines})
        return lines

    @classmethod
    def _shared_records(cls, vlist, names):
        """The instances of the ids given for the Many2One fields names,
        one browse by field, by (name, id)"""
        shared = {}
        for name in names:
            Target = cls._fields[name].get_target()
            ids = {v[name] for v in vlist
                if isinstance(v.get(name), int) and v[name] >= 0}
            shared.update(((name, r.id), r) for r in Target.browse(ids))
        return shared

    @classmethod
    def write(cls, *args):
        watched = set(cls._price_sources) | cls._price_inputs
        todo = []
        actions = iter(args)
        changed = []
        for lines, values in zip(actions, actions):
            given = set(values) & watched
            if given:
                todo.append((lines, given))
            changed.extend(lines)
        # A line moved to another opportunity changes both.
        opportunity_ids = {l.opportunity.id for l in changed}
        super().write(*args)
        cls._recompute(
            (l, given) for lines, given in todo for l in cls.browse(lines))
        opportunity_ids |= {l.opportunity.id for l in cls.browse(changed)}
        cls._follow_lines(opportunity_ids)

    @classmethod
    def delete(cls, lines):
        opportunity_ids = {l.opportunity.id for l in lines}
        super().delete(lines)
        cls._follow_lines(opportunity_ids)

    @classmethod
    def _follow_lines(cls, opportunity_ids):
        Opportunity = Pool().get('sale.opportunity')
        # Lines written through their opportunity are followed once, after
        # all of them.
        deferred = Transaction().context.get(LINES_DEFERRED, ())
        opportunity_ids = [i for i in opportunity_ids if i not in deferred]
        if opportunity_ids:
            Opportunity.amount_from_lines(Opportunity.browse(opportunity_ids))

    def get_sale_line(self, sale):
        sale_line = super().get_sale_line(sale)
        # The quotation shows the negotiated price, not the list price.
        if self.unit_price is not None:
            sale_line.unit_price = self.unit_price
            sale_line.amount = sale_line.on_change_with_amount()
        return sale_line


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    lines_amount = fields.Function(Monetary(
            "Lines Amount", digits='currency', currency='currency',
            help="The sum of the amounts of the lines."),
        'get_lines_totals')
    lines_cost = fields.Function(Monetary(
            "Lines Cost", digits='currency', currency='currency',
            help="The sum of the costs of the lines."),
        'get_lines_totals')
    margin = fields.Function(Monetary(
            "Margin", digits='currency', currency='currency',
            help="The lines amount less their cost."),
        'get_lines_totals')
    margin_rate = fields.Function(fields.Numeric(
            "Margin Rate", digits=DISCOUNT_DIGITS,
            help="The margin over the lines amount."),
        'get_lines_totals')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # With lines, the amount is theirs.
        cls.amount.states = cls.amount.states.copy()
        cls.amount.states['readonly'] = (
            cls.amount.states.get('readonly', False)
            | (Eval('state').in_(OPEN_STATES) & Eval('lines', [])))
        cls._buttons.update({
                'apply_discount': {
                    'invisible': ~Eval('state').in_(OPEN_STATES),
                    'readonly': ~Eval('lines', []),
                    'depends': ['state', 'lines'],
                    },
                })

    @classmethod
    def currencies_of(cls, ids):
        "The currency of each opportunity, read in SQL for all at once"
        pool = Pool()
        Currency = pool.get('currency.currency')
        opportunity = cls.__table__()
        cursor = Transaction().connection.cursor()
        currencies = {}
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*opportunity.select(
                    opportunity.id, opportunity.currency,
                    where=reduce_ids(opportunity.id, sub_ids)))
            currencies.update(cursor)
        instances = {c.id: c for c in Currency.browse(
                set(currencies.values()))}
        return {i: instances[c] for i, c in currencies.items()}

    @classmethod
    def get_lines_totals(cls, opportunities, names):
        "Sums of the lines of all opportunities, one query per slice of ids"
        pool = Pool()
        Line = pool.get('sale.opportunity.line')
        line = Line.__table__()
        cursor = Transaction().connection.cursor()
        ids = [o.id for o in opportunities]
        amounts, costs = defaultdict(Decimal), defaultdict(Decimal)
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*line.select(
                    line.opportunity,
                    Sum(Coalesce(line.amount, 0)),
                    Sum(Coalesce(line.cost, 0)),
                    where=reduce_ids(line.opportunity, sub_ids),
                    group_by=[line.opportunity]))
            for opportunity_id, amount, cost in cursor:
                # SQLite returns sums of decimals as float or int
                amounts[opportunity_id] = Decimal(str(amount))
                costs[opportunity_id] = Decimal(str(cost))
        # Through the instances, a list would read the currency record by
        # record.
        currencies = cls.currencies_of(ids)
        result = {n: {} for n in names}
        for opportunity_id in ids:
            currency = currencies[opportunity_id]
            amount = currency.round(amounts[opportunity_id])
            cost = currency.round(costs[opportunity_id])
            margin = amount - cost
            values = {
                'lines_amount': amount,
                'lines_cost': cost,
                'margin': margin,
                'margin_rate': ((margin / amount).quantize(
                        Decimal(1) / 10 ** DISCOUNT_DIGITS[1])
                    if amount else None),
                }
            for name in names:
                result[name][opportunity_id] = values[name]
        return result

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        with_lines = []
        for records, values in zip(actions, actions):
            if 'lines' in values:
                with_lines.extend(r.id for r in records)
        if not with_lines:
            return super().write(*args)
        context = Transaction().context
        deferred = set(context.get(LINES_DEFERRED, ())) | set(with_lines)
        with Transaction().set_context(**{LINES_DEFERRED: deferred}):
            super().write(*args)
        cls.amount_from_lines(cls.browse(with_lines))

    @classmethod
    def amount_from_lines(cls, opportunities):
        """The estimated amount of an open opportunity with lines is what
        its lines add up to, so that the two never disagree"""
        opportunities = [o for o in opportunities
            if o.state in OPEN_STATES and o.lines]
        if not opportunities:
            return
        totals = cls.get_lines_totals(
            opportunities, ['lines_amount'])['lines_amount']
        to_write = defaultdict(list)
        for opportunity in opportunities:
            total = totals[opportunity.id]
            if opportunity.amount != total:
                to_write[total].append(opportunity)
        if to_write:
            args = []
            for total, records in to_write.items():
                args.extend((records, {'amount': total}))
            # The amount is the server's here, whoever changed the lines.
            with without_check_access():
                cls.write(*args)

    @fields.depends('lines', 'amount', 'state', 'currency')
    def on_change_lines(self):
        if self.state in OPEN_STATES and self.lines:
            total = sum(
                (l.amount or Decimal(0) for l in self.lines), Decimal(0))
            self.amount = (
                self.currency.round(total) if self.currency else total)

    @classmethod
    @ModelView.button_action('crm_plus.wizard_apply_discount')
    def apply_discount(cls, opportunities):
        pass


class ApplyDiscountStart(ModelView):
    "Apply Discount"
    __name__ = 'crm.opportunity.apply_discount.start'
    __string__ = "Apply Discount"

    discount = fields.Numeric(
        "Discount", digits=DISCOUNT_DIGITS, required=True,
        domain=[('discount', '>=', 0), ('discount', '<=', 1)],
        help="The rate taken off the list price of every line.")


class ApplyDiscount(Wizard):
    "Apply Discount"
    __name__ = 'crm.opportunity.apply_discount'

    start = StateView(
        'crm.opportunity.apply_discount.start',
        'crm_plus.opportunity_apply_discount_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Apply", 'apply', 'tryton-ok', default=True),
            ])
    apply = StateTransition()

    def transition_apply(self):
        pool = Pool()
        Line = pool.get('sale.opportunity.line')
        # Closed opportunities keep the prices they were decided on.
        lines = Line.search([
                ('opportunity', 'in', [r.id for r in self.records]),
                ('opportunity.state', 'in', OPEN_STATES),
                ])
        if lines:
            Line.write(lines, {'discount': self.start.discount})
        return 'end'

    def end(self):
        return 'reload'
