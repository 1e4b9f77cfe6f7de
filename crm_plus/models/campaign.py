# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Marketing campaigns: the host's campaign with a plan, a budget and a
status.

The host's `marketing.campaign` is the UTM campaign that opportunities and
sales already carry; crm_plus extends it rather than adding a parallel
model, so that what a campaign brought in is read from the same records."""
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Workflow, fields)
from trytond.model.exceptions import ValidationError
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

STATES = [
    ('planned', "Planned"),
    ('active', "Active"),
    ('closed', "Closed"),
    ('cancelled', "Cancelled"),
    ]


class CampaignType(DeactivableMixin, ModelSQL, ModelView):
    "Campaign Type"
    __name__ = 'crm.campaign.type'
    __string__ = "Campaign Type"

    name = fields.Char("Name", required=True, translate=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))


class Campaign(Workflow, metaclass=PoolMeta):
    __name__ = 'marketing.campaign'

    _states = {
        'readonly': Eval('state').in_(['closed', 'cancelled']),
        }

    type = fields.Many2One(
        'crm.campaign.type', "Type", ondelete='RESTRICT', states=_states)
    state = fields.Selection(
        STATES, "Status", readonly=True, required=True, sort=False)
    start_date = fields.Date("Start Date", states=_states)
    end_date = fields.Date("End Date", states=_states)
    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={
            'readonly': _states['readonly'] | (Eval('id', -1) >= 0),
            })
    owner = fields.Many2One(
        'company.employee', "Owner", states=_states,
        domain=[('company', '=', Eval('company', -1))],
        help="The employee who runs the campaign.")
    team = fields.Many2One(
        'crm.team', "Sales Team", ondelete='RESTRICT', states=_states,
        help="The sales team that follows up the responses.")
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, states=_states)
    budget = Monetary(
        "Budget", currency='currency', digits='currency', states=_states,
        domain=['OR', ('budget', '=', None), ('budget', '>=', 0)])
    expected_responses = fields.Integer(
        "Expected Responses", states=_states,
        domain=['OR',
            ('expected_responses', '=', None),
            ('expected_responses', '>=', 0),
            ])
    expected_revenue = Monetary(
        "Expected Revenue", currency='currency', digits='currency',
        states=_states,
        domain=['OR',
            ('expected_revenue', '=', None),
            ('expected_revenue', '>=', 0),
            ])
    products = fields.Many2Many(
        'crm.campaign-product.product', 'campaign', 'product', "Items",
        states=_states,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The products the campaign promotes.")
    description = fields.Text("Description", states=_states)
    expenses = fields.One2Many(
        'crm.expense', 'campaign', "Expenses", readonly=True,
        help="The expenses spent on the campaign.")
    actual_cost = fields.Function(Monetary(
            "Actual Cost", currency='currency', digits='currency',
            help="The confirmed expenses of the campaign, in its currency "
            "at the rate of their date."),
        'get_actual_cost')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.name.states = cls._states.copy()
        cls._transitions |= {
            ('planned', 'active'),
            ('planned', 'cancelled'),
            ('active', 'closed'),
            ('active', 'cancelled'),
            ('cancelled', 'planned'),
            }
        cls._buttons.update({
                'plan': {
                    'invisible': Eval('state') != 'cancelled',
                    'depends': ['state'],
                    },
                'activate': {
                    'invisible': Eval('state') != 'planned',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'active',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['planned', 'active']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        # The host's campaigns created before crm_plus have no company:
        # they are the main company's.
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        Company = Pool().get('company.company')
        company = Company.__table__()
        cursor.execute(*company.select(
                company.id, company.currency, order_by=company.id, limit=1))
        row = cursor.fetchone()
        if row:
            cursor.execute(*table.update(
                    [table.company, table.currency], list(row),
                    where=table.company == None))  # noqa: E711

    @staticmethod
    def default_state():
        return 'planned'

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_owner():
        # Who plans a campaign mostly runs it.
        return Transaction().context.get('employee')

    @classmethod
    def default_currency(cls, **pattern):
        pool = Pool()
        Company = pool.get('company.company')
        company = pattern.get('company') or cls.default_company()
        if company is not None and company >= 0:
            return Company(company).currency.id

    @fields.depends('company', 'currency')
    def on_change_company(self):
        if self.company and not self.currency:
            self.currency = self.company.currency

    @classmethod
    def get_actual_cost(cls, campaigns, name):
        Expense = Pool().get('crm.expense')
        return Expense.confirmed_amounts(
            'campaign', {c.id: c.currency.id for c in campaigns})

    @classmethod
    def validate_fields(cls, campaigns, field_names):
        super().validate_fields(campaigns, field_names)
        if field_names & {'start_date', 'end_date'}:
            for campaign in campaigns:
                if (campaign.start_date and campaign.end_date
                        and campaign.end_date < campaign.start_date):
                    raise ValidationError(gettext(
                            'crm_plus.msg_marketing_campaign_dates',
                            campaign=campaign.rec_name))

    @classmethod
    def copy(cls, campaigns, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('state', 'planned')
        # Money spent on one campaign was not spent on its copy.
        default.setdefault('expenses', None)
        return super().copy(campaigns, default=default)

    @classmethod
    @ModelView.button
    @Workflow.transition('planned')
    def plan(cls, campaigns):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('active')
    def activate(cls, campaigns):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, campaigns):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, campaigns):
        pass


class CampaignProduct(ModelSQL):
    "Campaign - Product"
    __name__ = 'crm.campaign-product.product'
    __string__ = "Campaign - Product"

    campaign = fields.Many2One(
        'marketing.campaign', "Campaign", required=True, ondelete='CASCADE')
    product = fields.Many2One(
        'product.product', "Product", required=True, ondelete='CASCADE')


class Expense(metaclass=PoolMeta):
    __name__ = 'crm.expense'

    campaign = fields.Many2One(
        # Deleting a campaign keeps the record of the money spent.
        'marketing.campaign', "Campaign", ondelete='SET NULL',
        domain=[
            ('company', '=', Eval('company', -1)),
            ('state', 'in', ['planned', 'active']),
            ],
        states={
            'readonly': Eval('state') != 'draft',
            },
        help="The marketing campaign the expense was spent on.")
