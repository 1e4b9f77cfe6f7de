# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Leads: the host's opportunities in their lead state, with where they
come from and the prospect's data before any partner exists."""
from trytond.model import Index, fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval

from .classification import _ClassificationMixin

LEAD_TYPES = [
    (None, ""),
    ('inbound', "Inbound"),
    ('outbound', "Outbound"),
    ('referral', "Referral"),
    ('partner', "Partner"),
    ('existing_customer', "Existing Customer"),
    ]

# The prospect data describes who the lead is about until the lead is
# converted and a partner holds it; afterwards it stays for the record.
_prospect_states = {
    'readonly': Eval('state') != 'lead',
    'invisible': Eval('state') != 'lead',
    }


class LeadSource(_ClassificationMixin):
    "Where leads come from: a web form, a fair, a partner, cold calling"
    __name__ = 'crm.lead_source'
    __string__ = "Lead Source"


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    lead_source = fields.Many2One(
        'crm.lead_source', "Lead Source", ondelete='RESTRICT',
        states={
            'readonly': Eval('state').in_(['won', 'lost', 'cancelled']),
            })
    lead_type = fields.Selection(
        LEAD_TYPES, "Lead Type", sort=False,
        states={
            'readonly': Eval('state').in_(['won', 'lost', 'cancelled']),
            })
    prospect_company = fields.Char(
        "Company", strip=True, states=_prospect_states,
        help="The name of the prospect's company.")
    prospect_contact = fields.Char(
        "Contact Name", strip=True, states=_prospect_states,
        help="The name of the person to talk to.")
    prospect_job_title = fields.Char(
        "Job Title", strip=True, states=_prospect_states)
    prospect_email = fields.Char(
        "E-Mail", strip=True, states=_prospect_states)
    prospect_phone = fields.Char(
        "Phone", strip=True, states=_prospect_states)
    prospect_website = fields.Char(
        "Website", strip=True, states=_prospect_states)
    prospect_street = fields.Text("Street", states=_prospect_states)
    prospect_postal_code = fields.Char(
        "Postal Code", strip=True, states=_prospect_states)
    prospect_city = fields.Char(
        "City", strip=True, states=_prospect_states)
    prospect_country = fields.Many2One(
        'country.country', "Country", ondelete='RESTRICT',
        states=_prospect_states)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.lead_source, Index.Range())),
                Index(t, (t.prospect_company, Index.Similarity())),
                Index(t, (t.prospect_email, Index.Equality())),
                })

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/form/notebook/page[@id="prospect"]', 'states', {
                    'invisible': Eval('state') != 'lead',
                    }),
            ]


del _prospect_states
