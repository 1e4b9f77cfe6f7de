# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Competitors, the competition on each opportunity, SWOT and the buying
influences (the decision tree of the customer).

The win/loss report by competitor reads the competitor lines of the
opportunities together with the winner that the lost wizard records
(models/lifecycle.py).
"""
from sql import Literal, Null
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case

from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields,
    sequence_ordered, tree)
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from .mixins import (
    KeptRowsMixin, OrganisationFilterMixin, ReportContextMixin,
    organisation_where)
from .visibility import readable_opportunities

LEVELS = [
    ('low', "Low"),
    ('medium', "Medium"),
    ('high', "High"),
    ]

ATTITUDES = [
    ('supporter', "Supporter"),
    ('neutral', "Neutral"),
    ('opponent', "Opponent"),
    ]

_closed = ['won', 'lost', 'cancelled']


class Competitor(DeactivableMixin, ModelSQL, ModelView):
    "Competitor"
    __name__ = 'crm.competitor'
    __string__ = "Competitor"

    name = fields.Char("Name", required=True)
    website = fields.Char("Website")
    party = fields.Many2One(
        'party.party', "Party", ondelete='SET NULL',
        help="The partner holding the competitor's addresses "
        "and contact mechanisms.")
    contacts = fields.Text(
        "Contacts",
        help="Who to talk to at the competitor, when no party is linked.")
    products = fields.One2Many(
        'crm.competitor.product', 'competitor', "Products")
    strengths = fields.Text("Strengths")
    weaknesses = fields.Text("Weaknesses")
    notes = fields.Text("Notes")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))


class CompetitorProduct(ModelSQL, ModelView):
    "Competitor Product"
    __name__ = 'crm.competitor.product'
    __string__ = "Competitor Product"

    competitor = fields.Many2One(
        'crm.competitor', "Competitor", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    product = fields.Many2One(
        'product.product', "Our Equivalent", ondelete='SET NULL',
        help="Our product that competes with this one.")
    price = Monetary(
        "Typical Price", currency='currency', digits='currency',
        domain=['OR', ('price', '=', None), ('price', '>=', 0)])
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.competitor, Index.Range())))

    @classmethod
    def default_currency(cls):
        pool = Pool()
        Company = pool.get('company.company')
        company = Transaction().context.get('company')
        if company is not None and company >= 0:
            return Company(company).currency.id


class OpportunityCompetitor(ModelSQL, ModelView):
    "Opportunity Competitor"
    __name__ = 'sale.opportunity.competitor'
    __string__ = "Opportunity Competitor"

    opportunity = fields.Many2One(
        'sale.opportunity', "Opportunity", required=True, ondelete='CASCADE')
    competitor = fields.Many2One(
        'crm.competitor', "Competitor", required=True, ondelete='RESTRICT')
    threat = fields.Selection(LEVELS, "Threat", required=True, sort=False)
    price = Monetary(
        "Offered Price", currency='currency', digits='currency',
        domain=['OR', ('price', '=', None), ('price', '>=', 0)],
        help="The price the competitor offers for this opportunity.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    strengths = fields.Text("Strengths")
    weaknesses = fields.Text("Weaknesses")
    notes = fields.Text("Notes")
    winner = fields.Boolean(
        "Winner", readonly=True,
        help="The competitor won the opportunity; set by marking it lost.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('opportunity_competitor_unique',
                Unique(t, t.opportunity, t.competitor),
                'crm_plus.msg_opportunity_competitor_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.opportunity, Index.Range())),
                Index(t, (t.competitor, Index.Range())),
                })

    @classmethod
    def default_threat(cls):
        return 'medium'

    @classmethod
    def default_winner(cls):
        return False

    @fields.depends('opportunity', '_parent_opportunity.currency')
    def on_change_with_currency(self, name=None):
        if self.opportunity and self.opportunity.currency:
            return self.opportunity.currency

    def get_rec_name(self, name):
        return self.competitor.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('competitor.rec_name',) + tuple(clause[1:])]


class DecisionRole(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    "Decision Role"
    __name__ = 'crm.decision_role'
    __string__ = "Decision Role"

    name = fields.Char("Name", required=True, translate=True)
    description = fields.Text("Description", translate=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('sequence', 'ASC'))


class OpportunityInfluencer(tree(), ModelSQL, ModelView):
    "Buying Influence"
    __name__ = 'sale.opportunity.influencer'
    __string__ = "Buying Influence"

    opportunity = fields.Many2One(
        'sale.opportunity', "Opportunity", required=True, ondelete='CASCADE')
    contact = fields.Many2One(
        'party.party', "Contact", required=True, ondelete='RESTRICT',
        # The customer's contact persons, or persons working for no
        # organisation (a consultant, a board member) who may weigh on the
        # decision too; not the staff of another company.
        domain=[
            ('party_kind', '=', 'person'),
            If(Eval('customer'),
                ['OR',
                    ('organisation', '=', Eval('customer', -1)),
                    ('organisation', '=', None),
                    ],
                []),
            ])
    customer = fields.Function(
        fields.Many2One('party.party', "Customer"),
        'on_change_with_customer')
    role = fields.Many2One(
        'crm.decision_role', "Role", ondelete='RESTRICT')
    influence = fields.Selection(
        LEVELS, "Influence", required=True, sort=False)
    attitude = fields.Selection(
        ATTITUDES, "Attitude", required=True, sort=False)
    parent = fields.Many2One(
        'sale.opportunity.influencer', "Reports to", ondelete='SET NULL',
        domain=[
            ('opportunity', '=', Eval('opportunity', -1)),
            ('id', '!=', Eval('id', -1)),
            ],
        help="Whom the person answers to in the buying decision; "
        "defaults to the person the contact reports to.")
    children = fields.One2Many(
        'sale.opportunity.influencer', 'parent', "Influenced",
        domain=[
            ('opportunity', '=', Eval('opportunity', -1)),
            ])
    notes = fields.Text("Notes")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.opportunity, Index.Range())),
                Index(t, (t.parent, Index.Range())),
                })

    @classmethod
    def default_influence(cls):
        return 'medium'

    @classmethod
    def default_attitude(cls):
        return 'neutral'

    def get_rec_name(self, name):
        return self.contact.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('contact.rec_name',) + tuple(clause[1:])]

    @fields.depends('opportunity', '_parent_opportunity.party')
    def on_change_with_customer(self, name=None):
        if self.opportunity and self.opportunity.party:
            return self.opportunity.party

    @classmethod
    def create(cls, vlist):
        influencers = super().create(vlist)
        cls._default_parents(influencers)
        return influencers

    @classmethod
    def _default_parents(cls, influencers):
        """Link to the influencer of the same opportunity who is the person
        the contact reports to, when no parent was given"""
        orphans = [
            i for i in influencers
            if not i.parent and getattr(i.contact, 'reports_to', None)]
        if not orphans:
            return
        opportunities = {i.opportunity.id for i in orphans}
        by_contact = {
            (i.opportunity.id, i.contact.id): i
            for i in cls.search([('opportunity', 'in', list(opportunities))])}
        to_write = []
        for influencer in orphans:
            parent = by_contact.get(
                (influencer.opportunity.id, influencer.contact.reports_to.id))
            if parent and parent != influencer:
                to_write.extend(([influencer], {'parent': parent.id}))
        if to_write:
            cls.write(*to_write)


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    _swot_states = {
        'readonly': Eval('state').in_(_closed),
        }

    competitors = fields.One2Many(
        'sale.opportunity.competitor', 'opportunity', "Competitors",
        states=_swot_states)
    strengths = fields.Text(
        "Strengths", states=_swot_states,
        help="Our strengths in this deal.")
    weaknesses = fields.Text(
        "Weaknesses", states=_swot_states,
        help="Our weaknesses in this deal.")
    chances = fields.Text(
        "Chances", states=_swot_states,
        help="The opportunities this deal opens.")
    threats = fields.Text(
        "Threats", states=_swot_states,
        help="What may make us lose this deal.")
    influencers = fields.One2Many(
        'sale.opportunity.influencer', 'opportunity', "Buying Influences",
        states=_swot_states)

    del _swot_states

    @classmethod
    def copy(cls, opportunities, default=None):
        default = default.copy() if default else {}
        # The winner belongs to the outcome of the original only.
        default.setdefault('competitors.winner', False)
        return super().copy(opportunities, default=default)


class CompetitorReportContext(
        OrganisationFilterMixin, ReportContextMixin, ModelView):
    "Competitor Report Context"
    __name__ = 'crm.competitor.report.context'
    __string__ = "Competitor Report Context"


class CompetitorReport(KeptRowsMixin, ModelSQL, ModelView):
    "Competitor Win/Loss"
    __name__ = 'crm.competitor.report'
    __string__ = "Competitor Win/Loss"

    company = fields.Many2One('company.company', "Company")
    competitor = fields.Many2One('crm.competitor', "Competitor")
    currency = fields.Many2One('currency.currency', "Currency")
    number = fields.Integer(
        "Opportunities", help="The opportunities the competitor took part in.")
    amount = Monetary("Amount", currency='currency', digits='currency')
    won = fields.Integer("Won by Us")
    won_amount = Monetary(
        "Amount Won by Us", currency='currency', digits='currency')
    lost = fields.Integer("Lost to It")
    lost_amount = Monetary(
        "Amount Lost to It", currency='currency', digits='currency')
    lost_others = fields.Integer("Lost to Others")
    win_rate = fields.Function(
        fields.Float("Win Rate", digits=(1, 4),
            help="Won by us among the opportunities won or lost."),
        'get_win_rate')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('number', 'DESC'), ('competitor', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Line = pool.get('sale.opportunity.competitor')
        context = Transaction().context
        opportunity = Opportunity.__table__()
        line = Line.__table__()

        won = opportunity.state == 'won'
        lost = opportunity.state == 'lost'
        lost_to_it = lost & (opportunity.winning_competitor == line.competitor)
        lost_others = lost & (
            (opportunity.winning_competitor == Null)
            | (opportunity.winning_competitor != line.competitor))

        where = opportunity.company == context.get('company')
        if context.get('from_date'):
            where &= opportunity.start_date >= context['from_date']
        if context.get('to_date'):
            where &= opportunity.start_date <= context['to_date']
        where &= organisation_where(opportunity)
        readable = readable_opportunities(opportunity)
        if readable is not None:
            where &= readable
        zero = Literal(0)
        return (line
            .join(opportunity, condition=line.opportunity == opportunity.id)
            .select(
                # A competitor takes part once in an opportunity, so the
                # smallest line identifies its group.
                Min(line.id).as_('id'),
                opportunity.company.as_('company'),
                line.competitor.as_('competitor'),
                opportunity.currency.as_('currency'),
                Count(line.id).as_('number'),
                Sum(opportunity.amount).as_('amount'),
                Sum(Case((won, Literal(1)), else_=zero)).as_('won'),
                Sum(Case((won, opportunity.amount), else_=zero)).as_(
                    'won_amount'),
                Sum(Case((lost_to_it, Literal(1)), else_=zero)).as_('lost'),
                Sum(Case((lost_to_it, opportunity.amount), else_=zero)).as_(
                    'lost_amount'),
                Sum(Case((lost_others, Literal(1)), else_=zero)).as_(
                    'lost_others'),
                where=where,
                group_by=[
                    opportunity.company, line.competitor,
                    opportunity.currency]))

    def get_win_rate(self, name):
        closed = self.won + self.lost + self.lost_others
        if closed:
            return self.won / closed


class PartyReplace(metaclass=PoolMeta):
    __name__ = 'party.replace'

    @classmethod
    def fields_to_replace(cls):
        return super().fields_to_replace() + [
            ('crm.competitor', 'party'),
            ('sale.opportunity.influencer', 'contact'),
            ]


class PartyErase(metaclass=PoolMeta):
    __name__ = 'party.erase'

    def to_erase(self, party_id):
        pool = Pool()
        Influencer = pool.get('sale.opportunity.influencer')
        # What was noted about a person's stance is personal data; the
        # role they played in a deal is not.
        return super().to_erase(party_id) + [
            (Influencer, [('contact', '=', party_id)], True,
                ['notes'], [None]),
            ]
