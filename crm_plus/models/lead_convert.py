# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Conversion of a lead: find or create the partner and its contact person,
then make the lead an opportunity of that partner."""
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.wizard import Button, StateTransition, StateView, Wizard


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    prospect_duplicates = fields.Function(fields.Many2Many(
            'party.party', None, None, "Existing Partners",
            states={
                'invisible': Eval('state') != 'lead',
                },
            help="Partners and persons that look like the prospect's "
            "company or contact, found while the lead is captured.",
            context={
                'company': Eval('company', -1),
                },
            depends={'company'}),
        'get_prospect_duplicates')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'convert_lead': {
                    'invisible': Eval('state') != 'lead',
                    'depends': ['state'],
                    },
                })

    @classmethod
    @ModelView.button_action('crm_plus.wizard_lead_convert')
    def convert_lead(cls, opportunities):
        pass

    @classmethod
    def get_prospect_duplicates(cls, opportunities, name):
        pool = Pool()
        Party = pool.get('party.party')
        leads = [o for o in opportunities if o.state == 'lead']
        candidates = [c for o in leads for c in o._lead_candidates()]
        found = iter(Party.find_duplicates(candidates))
        result = {o.id: [] for o in opportunities}
        for lead in leads:
            parties = next(found) + next(found)
            result[lead.id] = list(dict.fromkeys(p.id for p in parties))
        return result

    def _lead_candidates(self):
        "The descriptions of the prospect's company and contact to match"
        emails = [self.prospect_email] if self.prospect_email else []
        phones = [self.prospect_phone] if self.prospect_phone else []
        return [{
                'name': self.prospect_company,
                'emails': emails,
                'phones': phones,
                'party_kind': 'organisation',
                }, {
                'name': self.prospect_contact,
                'emails': emails,
                'phones': phones,
                'party_kind': 'person',
                }]


class LeadConvert(Wizard):
    "Convert a lead into an opportunity of a partner"
    __name__ = 'crm.lead.convert'
    start_state = 'start'
    start = StateView('crm.lead.convert.start',
        'crm_plus.lead_convert_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Convert", 'convert', 'tryton-ok', default=True),
            ])
    convert = StateTransition()

    def default_start(self, fields):
        pool = Pool()
        Party = pool.get('party.party')
        lead = self.record
        if lead.state != 'lead':
            raise UserError(gettext(
                    'crm_plus.msg_lead_convert_not_lead',
                    lead=lead.rec_name))
        organisations, contacts = [], []
        if lead.party:
            if lead.party.party_kind == 'organisation':
                organisations = [lead.party]
            else:
                contacts = [lead.party]
        else:
            organisations, contacts = Party.find_duplicates(
                lead._lead_candidates())
            organisations = [
                p for p in organisations if p.party_kind == 'organisation']
            contacts = [p for p in contacts if p.party_kind == 'person']
            # The organisation of a matching contact is a candidate too: the
            # e-mail of a person leads to their company.
            for contact in contacts:
                if (contact.organisation
                        and contact.organisation not in organisations):
                    organisations.append(contact.organisation)
        organisation = organisations[0] if organisations else None
        if organisation:
            # Prefer the candidates who work for the proposed organisation.
            contacts.sort(key=lambda c: c.organisation != organisation)
        contact = contacts[0] if contacts else None
        return {
            'lead': lead.id,
            'prospect_company': lead.prospect_company,
            'prospect_contact': lead.prospect_contact,
            'organisation_candidates': [p.id for p in organisations],
            'organisation': organisation.id if organisation else None,
            'create_organisation': (
                not organisation and bool(lead.prospect_company)),
            'contact_candidates': [p.id for p in contacts],
            'contact': contact.id if contact else None,
            'create_contact': not contact and bool(lead.prospect_contact),
            }

    def transition_convert(self):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Party = pool.get('party.party')
        lead = self.record
        start = self.start
        if lead.state != 'lead':
            raise UserError(gettext(
                    'crm_plus.msg_lead_convert_not_lead',
                    lead=lead.rec_name))

        organisation = start.organisation
        if organisation:
            if organisation.party_kind != 'organisation':
                raise UserError(gettext(
                        'crm_plus.msg_lead_convert_not_organisation',
                        party=organisation.rec_name))
        elif start.create_organisation:
            if not lead.prospect_company:
                raise UserError(gettext(
                        'crm_plus.msg_lead_convert_no_company',
                        lead=lead.rec_name))
            organisation = self._new_organisation(lead)

        contact = start.contact
        if contact:
            if contact.party_kind != 'person':
                raise UserError(gettext(
                        'crm_plus.msg_lead_convert_not_person',
                        party=contact.rec_name))
            if (organisation and contact.organisation
                    and contact.organisation != organisation):
                raise UserError(gettext(
                        'crm_plus.msg_lead_convert_contact_elsewhere',
                        contact=contact.rec_name,
                        organisation=contact.organisation.rec_name))
        elif start.create_contact:
            if not lead.prospect_contact:
                raise UserError(gettext(
                        'crm_plus.msg_lead_convert_no_contact',
                        lead=lead.rec_name))
            contact = self._new_contact(lead, organisation)

        party = organisation or contact
        if not party:
            raise UserError(gettext(
                    'crm_plus.msg_lead_convert_no_party',
                    lead=lead.rec_name))
        if organisation and organisation.id is None:
            organisation.save()
        if contact:
            if organisation and not contact.organisation:
                contact.organisation = organisation
            contact.save()

        lead.party = party
        lead.on_change_party()
        if not lead.employee and lead.default_employee() is not None:
            # The host requires an employee past the lead state: the user
            # who converts the lead takes charge of it unless one was set.
            lead.employee = lead.default_employee()
        if contact:
            lead.contact = self._contact_mechanism(contact)
        lead.save()
        Opportunity.opportunity([lead])

        if party.lifecycle_stage in {None, 'target'}:
            Party.write([party], {'lifecycle_stage': 'prospect'})
        return 'end'

    def _new_organisation(self, lead):
        pool = Pool()
        Party = pool.get('party.party')
        Address = pool.get('party.address')
        ContactMechanism = pool.get('party.contact_mechanism')
        organisation = Party(
            name=lead.prospect_company, party_kind='organisation')
        organisation.addresses = [Address(
                street=lead.prospect_street,
                postal_code=lead.prospect_postal_code,
                city=lead.prospect_city,
                country=lead.prospect_country)]
        mechanisms = []
        if lead.prospect_website:
            mechanisms.append(ContactMechanism(
                    type='website', value=lead.prospect_website))
        if lead.prospect_phone:
            mechanisms.append(ContactMechanism(
                    type='phone', value=lead.prospect_phone))
        organisation.contact_mechanisms = mechanisms
        return organisation

    def _new_contact(self, lead, organisation):
        pool = Pool()
        Party = pool.get('party.party')
        ContactMechanism = pool.get('party.contact_mechanism')
        contact = Party(
            name=lead.prospect_contact, party_kind='person',
            job_title=lead.prospect_job_title)
        contact.on_change_name()
        contact.organisation = organisation
        contact.addresses = []
        mechanisms = []
        if lead.prospect_email:
            mechanisms.append(ContactMechanism(
                    type='email', value=lead.prospect_email))
        if lead.prospect_phone:
            mechanisms.append(ContactMechanism(
                    type='phone', value=lead.prospect_phone))
        contact.contact_mechanisms = mechanisms
        return contact

    def _contact_mechanism(self, contact):
        "The way to reach the contact person, for the host's contact field"
        by_type = {}
        for mechanism in contact.contact_mechanisms:
            by_type.setdefault(mechanism.type, mechanism)
        for type_ in ['email', 'phone', 'mobile']:
            if type_ in by_type:
                return by_type[type_]


class LeadConvertStart(ModelView):
    "Convert Lead"
    __name__ = 'crm.lead.convert.start'
    __string__ = "Convert Lead"

    lead = fields.Many2One('sale.opportunity', "Lead", readonly=True)
    prospect_company = fields.Char("Company", readonly=True)
    prospect_contact = fields.Char("Contact Name", readonly=True)
    organisation_candidates = fields.Many2Many(
        'party.party', None, None, "Possible Organizations", readonly=True,
        help="Existing organizations like the prospect's company.")
    organisation = fields.Many2One(
        'party.party', "Organization",
        states={
            'invisible': Bool(Eval('create_organisation')),
            },
        help="The existing organization the lead is about.")
    create_organisation = fields.Boolean(
        "Create Organization",
        states={
            'invisible': ~Eval('prospect_company'),
            },
        help="Create a new organization from the prospect's data even if "
        "similar ones exist; they can be merged later.")
    contact_candidates = fields.Many2Many(
        'party.party', None, None, "Possible Contacts", readonly=True,
        help="Existing persons like the prospect's contact.")
    contact = fields.Many2One(
        'party.party', "Contact Person",
        states={
            'invisible': Bool(Eval('create_contact')),
            },
        help="The existing person to talk to.")
    create_contact = fields.Boolean(
        "Create Contact Person",
        states={
            'invisible': ~Eval('prospect_contact'),
            },
        help="Create a new contact person from the prospect's data.")

    @fields.depends('create_organisation', 'organisation')
    def on_change_create_organisation(self):
        if self.create_organisation:
            self.organisation = None

    @fields.depends('create_contact', 'contact')
    def on_change_create_contact(self):
        if self.create_contact:
            self.contact = None
