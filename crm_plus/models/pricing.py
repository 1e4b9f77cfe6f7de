# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Price rules and maximum discounts.

The pricing policy is one of the host's price lists: its lines gain the
customer, customer category and salesperson dimensions (the host gives the
product, product category and minimum quantity, product_price_list_dates
the validity dates) and the first matching line wins.  The price list of
the customer, else the default one of the sale configuration, prices the
opportunity lines and the quotations.

Each salesperson may give a discount up to their own maximum, else their
team's; beyond it, the "discount_over_max" approval condition holds.
"""
from decimal import Decimal

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

DISCOUNT_DIGITS = (16, 4)


def _rate_domain(name):
    "A rate between 0 and 1, or empty"
    return ['OR',
        (name, '=', None),
        [(name, '>=', 0), (name, '<=', 1)],
        ]


def _category_ids(categories):
    "The ids of the categories and of their parents"
    ids = set()
    for category in categories:
        while category and category.id not in ids:
            ids.add(category.id)
            category = category.parent
    return ids


class PriceList(metaclass=PoolMeta):
    __name__ = 'product.price_list'

    def compute(self, product, quantity, uom, pattern=None):
        pool = Pool()
        Party = pool.get('party.party')
        context = Transaction().context
        pattern = pattern.copy() if pattern is not None else {}
        # The keys are always set: MatchMixin skips the keys missing from
        # the pattern, so a customer's line would apply to anybody.
        if 'party' not in pattern:
            pattern['party'] = context.get('customer')
        if 'party_categories' not in pattern:
            categories = set()
            if pattern['party'] is not None:
                categories = _category_ids(
                    Party(pattern['party']).categories)
            pattern['party_categories'] = categories
        pattern.setdefault('employee', context.get('employee'))
        return super().compute(product, quantity, uom, pattern=pattern)


class PriceListLine(metaclass=PoolMeta):
    __name__ = 'product.price_list.line'

    party = fields.Many2One(
        'party.party', "Customer", ondelete='CASCADE',
        help="Apply only to this customer.")
    party_category = fields.Many2One(
        'party.category', "Customer Category", ondelete='CASCADE',
        help="Apply only to customers of this category or of its "
        "sub-categories.")
    employee = fields.Many2One(
        'company.employee', "Salesperson", ondelete='CASCADE',
        help="Apply only to the sales of this salesperson.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.sequence.help = (
            "The priority of the line: the lines are tried in this order "
            "and the first one that matches sets the price.")

    def match(self, pattern):
        pattern = pattern.copy()
        categories = pattern.pop('party_categories', None)
        if self.party_category is not None:
            if self.party_category.id not in (categories or ()):
                return False
        return super().match(pattern)


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    employee = fields.Many2One(
        'company.employee', "Salesperson",
        domain=[('company', '=', Eval('company', -1))],
        states={
            'readonly': Eval('state') != 'draft',
            },
        help="Selects the price rules of the salesperson and limits the "
        "discount given without approval.")

    @classmethod
    def default_employee(cls):
        return Transaction().context.get('employee')

    def _approval_values(self):
        values = super()._approval_values()
        maximum = (self.employee.crm_discount_maximum
            if self.employee else None)
        values['discount_excess'] = _excess(values.get('discount'), maximum)
        return values


class SaleLine(metaclass=PoolMeta):
    __name__ = 'sale.line'

    @fields.depends('sale', '_parent_sale.employee')
    def _get_context_sale_price(self):
        context = super()._get_context_sale_price()
        if self.sale and getattr(self.sale, 'employee', None):
            context['employee'] = self.sale.employee.id
        else:
            context.setdefault('employee', None)
        return context


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    def _approval_values(self):
        values = super()._approval_values()
        values['discount_excess'] = _excess(
            values.get('discount'), self.employee.crm_discount_maximum
            if self.employee else None)
        return values

    def create_sale(self):
        sale = super().create_sale()
        # The quotation is the salesperson's: their rules and maximum.
        sale.employee = self.employee
        return sale


def _excess(discount, maximum):
    if discount is None or maximum is None:
        return None
    return Decimal(discount) - maximum


class OpportunityLine(metaclass=PoolMeta):
    __name__ = 'sale.opportunity.line'

    @fields.depends(
        'opportunity', 'company', '_parent_opportunity.party',
        '_parent_opportunity.employee', '_parent_opportunity.start_date',
        '_parent_opportunity.company')
    def _get_context_sale_price(self):
        pool = Pool()
        Date = pool.get('ir.date')
        context = super()._get_context_sale_price()
        price_list = self._get_price_list()
        if price_list:
            context['price_list'] = price_list.id
        employee = None
        date = None
        if self.opportunity:
            employee = self.opportunity.employee
            date = self.opportunity.start_date
        context['employee'] = employee.id if employee else None
        context['date'] = date or Date.today()
        return context

    @fields.depends(
        'opportunity', 'company', '_parent_opportunity.party',
        '_parent_opportunity.company')
    def _get_price_list(self):
        "The price list of the customer, else the default one"
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        company = self.company
        if not company and self.opportunity:
            company = self.opportunity.company
        if not company:
            return None
        with Transaction().set_context(company=company.id):
            party = self.opportunity.party if self.opportunity else None
            if party:
                # Read in the company of the line, the value is per company;
                # an instance read in that company already is kept, with
                # what it read for the others of its list.
                if party._context.get('company') != company.id:
                    party = party.__class__(party.id)
                if party.sale_price_list:
                    return party.sale_price_list
            return Configuration(1).get_multivalue(
                'sale_price_list', company=company.id)

    @fields.depends('product', methods=['_get_price_list', '_reprice_product',
            'compute_prices'])
    def on_change_quantity(self):
        # Minimum quantities of the price list change the list price; the
        # discount is kept.
        if self.product and self._get_price_list():
            self._reprice_product()
        else:
            super().on_change_quantity()

    def _changed_prices(self, given, **kwargs):
        if ('quantity' in given and self.product
                and not given & {'product', 'unit', 'base_price',
                    'unit_price', 'amount'}
                and self._get_price_list()):
            before = self.base_price
            base_price = self.compute_base_price()
            if base_price is not None and base_price != before:
                self.base_price = base_price
                changes = super()._changed_prices(given | {'base_price'})
                changes['base_price'] = base_price
                return changes
        return super()._changed_prices(given, **kwargs)


class Employee(metaclass=PoolMeta):
    __name__ = 'company.employee'

    crm_max_discount = fields.Numeric(
        "Maximum Discount", digits=DISCOUNT_DIGITS,
        domain=_rate_domain('crm_max_discount'),
        help="The largest discount the salesperson gives without approval; "
        "empty for that of their team.")
    crm_discount_maximum = fields.Function(fields.Numeric(
            "Applied Maximum Discount", digits=DISCOUNT_DIGITS,
            help="The maximum of the salesperson, else that of their "
            "administrative team or its parents; empty for no limit."),
        'get_crm_discount_maximum')

    @classmethod
    def get_crm_discount_maximum(cls, employees, name):
        result = {}
        teams = {e.id: e.administrative_team for e in employees}
        for employee in employees:
            maximum = employee.crm_max_discount
            team = teams[employee.id]
            seen = set()
            while maximum is None and team and team.id not in seen:
                seen.add(team.id)
                maximum = team.max_discount
                team = team.parent
            result[employee.id] = maximum
        return result


class Team(metaclass=PoolMeta):
    __name__ = 'crm.team'

    max_discount = fields.Numeric(
        "Maximum Discount", digits=DISCOUNT_DIGITS,
        domain=_rate_domain('max_discount'),
        help="The largest discount the members give without approval "
        "unless they have their own; empty for that of the parent team.")


class ApprovalRule(metaclass=PoolMeta):
    __name__ = 'crm.approval.rule'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.condition.selection.append(
            ('discount_over_max', "Discount beyond the salesperson's "
                "maximum"))

    def holds(self, values):
        if self.condition == 'discount_over_max':
            excess = values.get('discount_excess')
            return excess is not None and excess > (self.value or 0)
        return super().holds(values)
