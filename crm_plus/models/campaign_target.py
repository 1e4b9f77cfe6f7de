# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The target list of a campaign: whom it addresses and how they answered.

Targets are chosen by hand or filled from a saved search of partners (a
bookmark of the partners' list), refreshed on demand: a refresh adds the
partners the search now finds and drops those it no longer finds that
were taken from it and not yet reached; the targets chosen by hand and
those already reached stay."""
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.model.exceptions import AccessError, ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, PYSONDecoder
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .search import search_values

STATUSES = [
    ('selected', "Selected"),
    ('sent', "Sent"),
    ('opened', "Opened"),
    ('responded', "Responded"),
    ('lead', "Converted to Lead"),
    ('unsubscribed', "Unsubscribed"),
    ('bounced', "Bounced"),
    ]
# The statuses a lead of the target's partner moves on to converted; an
# unsubscribed partner stays so, whatever they buy.
UNCONVERTED = ['selected', 'sent', 'opened', 'responded', 'bounced']


class Target(ModelSQL, ModelView):
    "Campaign Target"
    __name__ = 'crm.campaign.target'
    __string__ = "Campaign Target"

    campaign = fields.Many2One(
        'marketing.campaign', "Campaign", required=True, ondelete='CASCADE')
    party = fields.Many2One(
        'party.party', "Partner", required=True, ondelete='CASCADE')
    contact = fields.Many2One(
        'party.party', "Contact", ondelete='SET NULL',
        domain=[
            ('party_kind', '=', 'person'),
            ('organisation', '=', Eval('party', -1)),
            ],
        help="The person addressed at the partner.")
    status = fields.Selection(STATUSES, "Status", required=True, sort=False)
    from_search = fields.Boolean(
        "From Search", readonly=True,
        help="Taken from the campaign's saved search: a refresh drops it "
        "when the search no longer finds the partner and it was not "
        "reached yet.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('campaign_party_contact_unique',
                Unique(t, t.campaign, t.party, t.contact),
                'crm_plus.msg_marketing_campaign_target_unique'),
            ]
        cls._order.insert(0, ('party', 'ASC'))

    @staticmethod
    def default_status():
        return 'selected'

    @staticmethod
    def default_from_search():
        return False

    @classmethod
    def _check_campaign_open(cls, campaigns):
        for campaign in campaigns:
            if campaign.state in {'closed', 'cancelled'}:
                raise AccessError(gettext(
                        'crm_plus.msg_marketing_campaign_target_frozen',
                        campaign=campaign.rec_name))

    @classmethod
    def create(cls, vlist):
        Campaign = Pool().get('marketing.campaign')
        cls._check_campaign_open(Campaign.browse(
                list({v['campaign'] for v in vlist if v.get('campaign')})))
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        Campaign = Pool().get('marketing.campaign')
        actions = iter(args)
        campaigns = set()
        for targets, values in zip(actions, actions):
            campaigns.update(t.campaign for t in targets)
            if values.get('campaign'):
                campaigns.add(Campaign(values['campaign']))
        cls._check_campaign_open(campaigns)
        super().write(*args)

    @classmethod
    def delete(cls, targets):
        cls._check_campaign_open({t.campaign for t in targets})
        super().delete(targets)

    @classmethod
    def convert_to_leads(cls, opportunities):
        """Mark as converted to lead the targets whose partner came as a
        lead or opportunity of their campaign while it runs"""
        pairs = {(o.marketing_campaign.id, o.party.id)
            for o in opportunities if o.marketing_campaign and o.party}
        if not pairs:
            return
        # Whoever records the lead, a salesperson mostly, moves the target
        # on: they read the campaigns but do not manage them.
        with without_check_access():
            for sub_pairs in grouped_slice(sorted(pairs)):
                targets = cls.search([
                        ('campaign.state', 'in', ['planned', 'active']),
                        ('status', 'in', UNCONVERTED),
                        ['OR'] + [[
                                ('campaign', '=', campaign),
                                ('party', '=', party),
                                ] for campaign, party in sub_pairs],
                        ])
                if targets:
                    cls.write(targets, {'status': 'lead'})


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    @classmethod
    def create(cls, vlist):
        opportunities = super().create(vlist)
        Pool().get('crm.campaign.target').convert_to_leads(opportunities)
        return opportunities

    @classmethod
    def write(cls, *args):
        super().write(*args)
        actions = iter(args)
        changed = {o.id for records, values in zip(actions, actions)
            if values.keys() & {'marketing_campaign', 'party'}
            for o in records}
        if changed:
            Pool().get('crm.campaign.target').convert_to_leads(
                cls.browse(sorted(changed)))


class Campaign(metaclass=PoolMeta):
    __name__ = 'marketing.campaign'

    targets = fields.One2Many(
        'crm.campaign.target', 'campaign', "Targets",
        states={
            'readonly': Eval('state').in_(['closed', 'cancelled']),
            })
    # A text rather than the user's bookmark itself: the bookmarks are
    # private to their user and only administrators may read them.
    target_domain = fields.Char(
        "Target Search",
        states={
            'readonly': Eval('state').in_(['closed', 'cancelled']),
            },
        help="The search of partners that fills the targets, as the "
        "partners' list saves it in a bookmark, "
        "for example: [[\"name\", \"ilike\", \"%Retail%\"]]")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'refresh_targets': {
                    'invisible': ~Eval('state').in_(['planned', 'active']),
                    'readonly': ~Eval('target_domain'),
                    'depends': ['state', 'target_domain'],
                    },
                })

    @classmethod
    def copy(cls, campaigns, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('targets', None)
        return super().copy(campaigns, default=default)

    @classmethod
    def validate_fields(cls, campaigns, field_names):
        super().validate_fields(campaigns, field_names)
        if 'target_domain' in field_names:
            for campaign in campaigns:
                if campaign.target_domain:
                    campaign._target_parties()

    def _target_parties(self):
        "The ids of the partners the saved search finds now"
        pool = Pool()
        Date = pool.get('ir.date')
        Employee = pool.get('company.employee')
        Party = pool.get('party.party')
        employee_id = Transaction().context.get('employee')
        employee_name = (
            Employee(employee_id).rec_name if employee_id else None)
        try:
            domain = PYSONDecoder(search_values(Date.today(), employee_name)
                ).decode(self.target_domain)
            return set(map(int, Party.search(domain)))
        except Exception as exception:
            # Any fault of the text is the user's to correct, told in
            # their words rather than as a server error.
            raise ValidationError(gettext(
                    'crm_plus.msg_marketing_campaign_target_domain',
                    campaign=self.rec_name,
                    domain=self.target_domain)) from exception

    @classmethod
    @ModelView.button
    def refresh_targets(cls, campaigns):
        pool = Pool()
        Target = pool.get('crm.campaign.target')
        to_create, to_delete = [], []
        for campaign in campaigns:
            if not campaign.target_domain:
                continue
            found = campaign._target_parties()
            present = set()
            for target in campaign.targets:
                present.add(target.party.id)
                if (target.from_search and target.status == 'selected'
                        and target.party.id not in found):
                    to_delete.append(target)
            for party_id in sorted(found - present):
                to_create.append({
                        'campaign': campaign.id,
                        'party': party_id,
                        'from_search': True,
                        })
        Target.delete(to_delete)
        Target.create(to_create)
