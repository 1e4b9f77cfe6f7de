# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The life cycle of an opportunity beyond the host's: frozen and unfrozen,
and lost with a reason and the winning competitor.

Frozen deals are on hold: they leave the forecast and cannot be converted
to a sale until they are unfrozen, back to the state they were frozen in.
"""
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Workflow, fields, sequence_ordered)
from trytond.model.exceptions import AccessError
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .mixins import (
    KeptRowsMixin, OrganisationFilterMixin, ReportContextMixin,
    organisation_where)
from .visibility import readable_opportunities

# Context key meaning "this loss needs no reason": set by the host's
# automatic loss (process, when all the sales are cancelled) and by the lost
# wizard, which records the reason itself.  Keys starting with "_" are
# stripped from the context of every RPC call (trytond.rpc), so a client
# cannot set it: where the configuration requires a lost reason, a user who
# calls `lost` over RPC on a lead or an opportunity without one is refused.
LOST_CHECKED = '_crm_plus_lost_checked'


class LostReason(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    "Lost Reason"
    __name__ = 'crm.lost_reason'
    __string__ = "Lost Reason"

    name = fields.Char("Name", required=True, translate=True)
    description = fields.Text("Description", translate=True)
    competitor_required = fields.Boolean(
        "Competitor Required",
        help="Marking an opportunity lost for this reason "
        "asks for the winning competitor.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('sequence', 'ASC'))

    @classmethod
    def default_competitor_required(cls):
        return False


class Configuration(metaclass=PoolMeta):
    __name__ = 'crm.configuration'

    lost_reason_required = fields.Boolean(
        "Lost Reason Required",
        help="Leads and opportunities are lost only with a reason, given "
        "with \"Mark as Lost\": the host's lost transition called without "
        "one, by a client or another module, is refused.")

    @classmethod
    def default_lost_reason_required(cls):
        return False


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    frozen_from = fields.Selection([
            (None, ""),
            ('lead', "Lead"),
            ('opportunity', "Opportunity"),
            ], "Frozen from", readonly=True,
        help="The state the opportunity returns to when unfrozen.")
    freeze_reason = fields.Text(
        "Freeze Reason", readonly=True,
        states={
            'invisible': ~Eval('freeze_reason'),
            })
    frozen_date = fields.Date(
        "Frozen Date", readonly=True,
        states={
            'invisible': ~Eval('frozen_date'),
            })
    lost_reason_type = fields.Many2One(
        'crm.lost_reason', "Lost Reason", ondelete='RESTRICT', readonly=True,
        states={
            'invisible': Eval('state') != 'lost',
            },
        help="Why the opportunity was lost; the host's text field keeps "
        "the lessons learned.")
    winning_competitor = fields.Many2One(
        'crm.competitor', "Winning Competitor", ondelete='RESTRICT',
        readonly=True,
        states={
            'invisible': Eval('state') != 'lost',
            })
    winning_price = Monetary(
        "Winning Price", currency='currency', digits='currency',
        readonly=True,
        states={
            'invisible': Eval('state') != 'lost',
            },
        help="The price of the competitor who won.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        selection = ('frozen', "Frozen")
        if selection not in cls.state.selection:
            index = [s for s, _ in cls.state.selection].index('converted')
            cls.state.selection.insert(index, selection)
        # A lead keeps on hold without the party and employee that the
        # host requires from an opportunity on.
        for field in [cls.party, cls.employee]:
            field.states = field.states.copy()
            field.states['required'] &= Eval('state') != 'frozen'
        cls._transitions |= {
            ('lead', 'frozen'),
            ('opportunity', 'frozen'),
            ('frozen', 'lead'),
            ('frozen', 'opportunity'),
            }
        cls._buttons.update({
                'freeze': {
                    'invisible': ~Eval('state').in_(['lead', 'opportunity']),
                    'icon': 'tryton-archive',
                    'depends': ['state'],
                    },
                'unfreeze': {
                    'invisible': Eval('state') != 'frozen',
                    'icon': 'tryton-unarchive',
                    'depends': ['state'],
                    },
                'mark_lost': {
                    'invisible': ~Eval('state').in_(['lead', 'opportunity']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @property
    def is_forecast(self):
        # A deal on hold is not expected to close.
        if self.state == 'frozen':
            return False
        return super().is_forecast

    @classmethod
    def copy(cls, opportunities, default=None):
        default = default.copy() if default else {}
        for name in [
                'frozen_from', 'freeze_reason', 'frozen_date',
                'lost_reason_type', 'winning_competitor', 'winning_price']:
            default.setdefault(name)
        return super().copy(opportunities, default=default)

    @classmethod
    @ModelView.button_action('crm_plus.wizard_opportunity_freeze')
    def freeze(cls, opportunities):
        pass

    @classmethod
    @Workflow.transition('frozen')
    def set_frozen(cls, opportunities, reason, date):
        "Put the opportunities on hold for the reason"
        for state in ['lead', 'opportunity']:
            records = [o for o in opportunities if o.state == state]
            if records:
                cls.write(records, {
                        'frozen_from': state,
                        'freeze_reason': reason,
                        'frozen_date': date,
                        })

    @classmethod
    @ModelView.button
    def unfreeze(cls, opportunities):
        frozen = [o for o in opportunities if o.state == 'frozen']
        leads = [o for o in frozen if o.frozen_from == 'lead']
        others = [o for o in frozen if o.frozen_from != 'lead']
        if leads:
            cls.lead(leads)
        if others:
            cls.opportunity(others)

    @classmethod
    def lead(cls, opportunities):
        cls._thaw(opportunities)
        super().lead(opportunities)

    @classmethod
    def opportunity(cls, opportunities):
        cls._thaw(opportunities)
        super().opportunity(opportunities)

    @classmethod
    def _thaw(cls, opportunities):
        # The host's transitions out of frozen may be called directly over
        # RPC instead of Unfreeze: either way the record is no longer on
        # hold. The reason stays for the record until the next freeze.
        frozen = [o for o in opportunities if o.state == 'frozen']
        if frozen:
            cls.write(frozen, {'frozen_from': None})

    @classmethod
    def convert(cls, opportunities):
        for opportunity in opportunities:
            if opportunity.state == 'frozen':
                raise AccessError(gettext(
                        'crm_plus.msg_opportunity_frozen_convert',
                        opportunity=opportunity.rec_name))
        return super().convert(opportunities)

    @classmethod
    @ModelView.button_action('crm_plus.wizard_opportunity_lost')
    def mark_lost(cls, opportunities):
        pass

    @classmethod
    def lost(cls, opportunities):
        # The host's transition keeps its meaning unless the company chose
        # to require a reason: other modules and integrators call it.
        if (not Transaction().context.get(LOST_CHECKED)
                and cls._lost_reason_required()):
            for opportunity in opportunities:
                if (opportunity.state in {'lead', 'opportunity'}
                        and not opportunity.lost_reason_type):
                    raise AccessError(gettext(
                            'crm_plus.msg_opportunity_lost_no_reason',
                            opportunity=opportunity.rec_name))
        return super().lost(opportunities)

    @classmethod
    def _lost_reason_required(cls):
        Configuration = Pool().get('crm.configuration')
        # Whoever loses the deal is held by the setting, even a user who
        # may not read the configuration.
        with without_check_access():
            return bool(Configuration(1).lost_reason_required)

    @classmethod
    def lose(cls, opportunities, reason, competitor=None, price=None,
            lessons=None):
        """Record why the opportunities were lost and to whom, then run the
        host's lost transition, all in the caller's transaction"""
        pool = Pool()
        Line = pool.get('sale.opportunity.competitor')
        if not opportunities:
            return
        if reason.competitor_required and not competitor:
            raise AccessError(gettext(
                    'crm_plus.msg_opportunity_lost_no_competitor',
                    reason=reason.rec_name))
        values = {
            'lost_reason_type': reason.id,
            'winning_competitor': competitor.id if competitor else None,
            'winning_price': price if competitor else None,
            }
        if lessons:
            values['lost_reason'] = lessons
        cls.write(opportunities, values)
        if competitor:
            lines = Line.search([
                    ('opportunity', 'in', [o.id for o in opportunities]),
                    ])
            Line.write(lines, {'winner': False})
            winners = [l for l in lines if l.competitor == competitor]
            if winners and price is not None:
                Line.write(winners, {'winner': True, 'price': price})
            elif winners:
                Line.write(winners, {'winner': True})
            with_line = {l.opportunity for l in winners}
            Line.create([{
                        'opportunity': o.id,
                        'competitor': competitor.id,
                        'price': price,
                        'winner': True,
                        } for o in opportunities if o not in with_line])
        with Transaction().set_context(**{LOST_CHECKED: True}):
            cls.lost(opportunities)

    @classmethod
    def process(cls, opportunities):
        # Losing because all the sales were cancelled needs no reason.
        with Transaction().set_context(**{LOST_CHECKED: True}):
            return super().process(opportunities)


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    @classmethod
    def create(cls, vlist):
        sales = super().create(vlist)
        # A deal on hold gets no sale, whichever way the sale is made.
        for sale in sales:
            origin = sale.origin
            if (isinstance(origin, Pool().get('sale.opportunity'))
                    and origin.state == 'frozen'):
                raise AccessError(gettext(
                        'crm_plus.msg_opportunity_frozen_convert',
                        opportunity=origin.rec_name))
        return sales


class FreezeStart(ModelView):
    "Freeze Opportunity"
    __name__ = 'sale.opportunity.freeze.start'
    __string__ = "Freeze Opportunity"
    __string__ = "Freeze Opportunity"

    reason = fields.Text("Reason", required=True)
    date = fields.Date("Date", required=True)

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()


class Freeze(Wizard):
    "Freeze Opportunity"
    __name__ = 'sale.opportunity.freeze'
    start = StateView(
        'sale.opportunity.freeze.start',
        'crm_plus.opportunity_freeze_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Freeze", 'freeze', 'tryton-ok', default=True),
            ])
    freeze = StateTransition()

    def transition_freeze(self):
        self.model.set_frozen(
            [r for r in self.records if r.state in {'lead', 'opportunity'}],
            self.start.reason, self.start.date)
        return 'end'


class LostStart(ModelView):
    "Mark Opportunity Lost"
    __name__ = 'sale.opportunity.lost.start'
    __string__ = "Mark Opportunity Lost"

    opportunity = fields.Many2One('sale.opportunity', "Opportunity",
        readonly=True)
    reason = fields.Many2One(
        'crm.lost_reason', "Reason", required=True)
    competitor_required = fields.Boolean("Competitor Required", readonly=True)
    taking_part = fields.Many2Many(
        'crm.competitor', None, None, "Taking Part", readonly=True)
    competitor = fields.Many2One(
        'crm.competitor', "Winning Competitor",
        states={
            'required': Eval('competitor_required', False),
            },
        search_order=[('name', 'ASC')],
        help="Those taking part in the opportunity, or any other.")
    currency = fields.Many2One('currency.currency', "Currency", readonly=True)
    price = Monetary(
        "Their Price", currency='currency', digits='currency',
        states={
            'invisible': ~Eval('competitor'),
            })
    lessons = fields.Text(
        "Lessons Learned",
        help="What to do better next time; "
        "kept in the opportunity's reason for loss.")

    @fields.depends('reason')
    def on_change_with_competitor_required(self):
        return bool(self.reason and self.reason.competitor_required)

    @fields.depends('competitor', 'opportunity', 'price')
    def on_change_competitor(self):
        if self.competitor and self.opportunity:
            for line in self.opportunity.competitors:
                if line.competitor == self.competitor and line.price:
                    self.price = line.price


class Lost(Wizard):
    "Mark Opportunity Lost"
    __name__ = 'sale.opportunity.lost'
    start = StateView(
        'sale.opportunity.lost.start',
        'crm_plus.opportunity_lost_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Mark as Lost", 'lose', 'tryton-ok', default=True),
            ])
    lose = StateTransition()

    def default_start(self, fields):
        defaults = {}
        if len(self.records) == 1:
            opportunity, = self.records
            defaults['opportunity'] = opportunity.id
            defaults['currency'] = opportunity.currency.id
            defaults['taking_part'] = [
                c.competitor.id for c in opportunity.competitors]
            defaults['lessons'] = opportunity.lost_reason
        return defaults

    def transition_lose(self):
        self.model.lose(
            [r for r in self.records if r.state in {'lead', 'opportunity'}],
            self.start.reason, competitor=self.start.competitor,
            price=self.start.price, lessons=self.start.lessons)
        return 'end'


class LostReportContext(
        OrganisationFilterMixin, ReportContextMixin, ModelView):
    "Lost Report Context"
    __name__ = 'crm.lost.report.context'
    __string__ = "Lost Report Context"


class LostReport(KeptRowsMixin, ModelSQL, ModelView):
    "Lost Opportunities"
    __name__ = 'crm.lost.report'
    __string__ = "Lost Opportunities"

    company = fields.Many2One('company.company', "Company")
    reason = fields.Many2One('crm.lost_reason', "Reason")
    competitor = fields.Many2One('crm.competitor', "Winning Competitor")
    currency = fields.Many2One('currency.currency', "Currency")
    number = fields.Integer("Number")
    amount = Monetary("Amount", currency='currency', digits='currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('number', 'DESC'), ('reason', 'ASC'), ('id', 'ASC')]

    @classmethod
    def _lost_where(cls, opportunity):
        "The lost opportunities that the context selects"
        context = Transaction().context
        where = ((opportunity.state == 'lost')
            & (opportunity.company == context.get('company')))
        # The host dates the loss in end_date; older ones keep their start.
        date = Coalesce(opportunity.end_date, opportunity.start_date)
        if context.get('from_date'):
            where &= date >= context['from_date']
        if context.get('to_date'):
            where &= date <= context['to_date']
        where &= organisation_where(opportunity)
        readable = readable_opportunities(opportunity)
        if readable is not None:
            where &= readable
        return where

    @classmethod
    def table_query(cls):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        opportunity = Opportunity.__table__()
        return opportunity.select(
            Min(opportunity.id).as_('id'),
            opportunity.company.as_('company'),
            opportunity.lost_reason_type.as_('reason'),
            opportunity.winning_competitor.as_('competitor'),
            opportunity.currency.as_('currency'),
            Count(opportunity.id).as_('number'),
            Sum(Coalesce(opportunity.amount, 0)).as_('amount'),
            where=cls._lost_where(opportunity),
            group_by=[
                opportunity.company, opportunity.lost_reason_type,
                opportunity.winning_competitor, opportunity.currency])
