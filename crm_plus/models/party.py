# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The CRM tab of the partner: how sales classifies and looks after it."
import re

from trytond.i18n import gettext
from trytond.model import Index, fields
from trytond.model.exceptions import ValidationError
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

# Standard Industrial Classification codes have two (major group), three
# (industry group) or four (industry) ASCII digits: \d would take the
# digits of every script.
SIC_CODE = re.compile(r'^[0-9]{2,4}$')

LIFECYCLE_STAGES = [
    (None, ""),
    ('target', "Target"),
    ('prospect', "Prospect"),
    ('customer', "Customer"),
    ('repeat', "Repeat Customer"),
    ('loyal', "Loyal Customer"),
    ('lapsed', "Lapsed Customer"),
    ]

PARTY_KINDS = [
    ('organisation', "Organization"),
    ('person', "Person"),
    ]


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    party_kind = fields.Selection(
        PARTY_KINDS, "Kind", required=True, sort=False,
        help="Whether the party is an organization or a person.")
    surname = fields.Char(
        "Surname", strip=True,
        states={
            'invisible': Eval('party_kind') != 'person',
            },
        help="The family name, used to sort and find persons.")
    territory = fields.Many2One(
        'crm.territory', "Territory", ondelete='RESTRICT',
        help="The sales territory in which the party is managed and "
        "reported.")
    sic_code = fields.Char(
        "SIC Code", size=4, strip=True,
        help="The Standard Industrial Classification code (2 to 4 digits).")
    industry = fields.Many2One(
        'crm.industry', "Industry", ondelete='RESTRICT')
    company_type = fields.Many2One(
        'crm.company_type', "Company Type", ondelete='RESTRICT')
    annual_revenue = Monetary(
        "Annual Revenue", currency='revenue_currency',
        digits='revenue_currency',
        domain=['OR',
            ('annual_revenue', '=', None),
            ('annual_revenue', '>=', 0),
            ])
    revenue_currency = fields.Many2One(
        'currency.currency', "Revenue Currency",
        states={
            'required': Eval('annual_revenue', None) != None,  # noqa: E711
            })
    employee_count = fields.Integer(
        "Number of Employees",
        domain=['OR',
            ('employee_count', '=', None),
            ('employee_count', '>=', 0),
            ],
        help="The number of people the party employs.")
    account_manager = fields.Many2One(
        'company.employee', "Account Manager", ondelete='RESTRICT',
        help="The employee who looks after the party.")
    team = fields.Many2One(
        'crm.team', "Sales Team", ondelete='RESTRICT')
    lifecycle_stage = fields.Selection(
        LIFECYCLE_STAGES, "Lifecycle Stage", sort=False)

    @classmethod
    def __setup__(cls):
        cls.surname.search_unaccented = False
        cls.sic_code.search_unaccented = False
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.territory, Index.Range())),
                Index(t, (t.team, Index.Range())),
                Index(t, (t.account_manager, Index.Range())),
                Index(t, (t.industry, Index.Range())),
                Index(t, (t.company_type, Index.Range())),
                Index(t, (t.surname, Index.Similarity())),
                })

    @classmethod
    def default_party_kind(cls):
        return 'organisation'

    @classmethod
    def default_revenue_currency(cls):
        pool = Pool()
        Company = pool.get('company.company')
        company = Transaction().context.get('company')
        if company is not None and company >= 0:
            return Company(company).currency.id

    @fields.depends('party_kind', 'name', 'surname')
    def on_change_name(self):
        # Propose the last word of a person's name as the surname; the user
        # corrects it where the family name comes first.
        if self.party_kind == 'person' and self.name and not self.surname:
            self.surname = self.name.split()[-1]

    @fields.depends(methods=['on_change_name'])
    def on_change_party_kind(self):
        self.on_change_name()

    @fields.depends('territory', 'account_manager', 'team')
    def on_change_account_manager(self):
        # The account manager's administrative team is the natural team of
        # the partner when none has been chosen yet.
        if self.account_manager and not self.team:
            self.team = self.account_manager.administrative_team

    @classmethod
    def validate_fields(cls, parties, field_names):
        super().validate_fields(parties, field_names)
        cls.check_crm_values(parties, field_names)

    @classmethod
    def check_crm_values(cls, parties, field_names=None):
        if field_names and not (field_names & {
                    'sic_code', 'annual_revenue', 'revenue_currency'}):
            return
        for party in parties:
            if party.sic_code and not SIC_CODE.match(party.sic_code):
                raise ValidationError(gettext(
                        'crm_plus.msg_party_invalid_sic_code',
                        code=party.sic_code, party=party.rec_name))
            if (party.annual_revenue is not None
                    and not party.revenue_currency):
                raise ValidationError(gettext(
                        'crm_plus.msg_party_revenue_without_currency',
                        party=party.rec_name))

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default is not None else {}
        # A copy is a new relationship: it starts its own life cycle.
        default.setdefault('lifecycle_stage')
        return super().copy(parties, default=default)


class Erase(metaclass=PoolMeta):
    __name__ = 'party.erase'

    def to_erase(self, party_id):
        pool = Pool()
        Party = pool.get('party.party')
        # The surname is personal data, and the CRM classification would
        # still identify an erased person among few others.
        return super().to_erase(party_id) + [
            (Party, [('id', '=', party_id)], False,
                ['surname', 'sic_code', 'annual_revenue', 'employee_count'],
                [None, None, None, None]),
            ]
