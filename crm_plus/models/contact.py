# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Contact persons of an organisation and their reporting lines."
from trytond.i18n import gettext
from trytond.model import Index, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

# The columns of an address that make the place; the party, name and
# attention line stay those of each contact.
ADDRESS_FIELDS = [
    'street_unstructured', 'street_name', 'building_name', 'building_number',
    'unit_number', 'floor_number', 'room_number', 'post_box', 'private_bag',
    'post_office', 'postal_code', 'city', 'country', 'subdivision',
    ]


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    organisation = fields.Many2One(
        'party.party', "Organization", ondelete='SET NULL',
        domain=[
            ('party_kind', '=', 'organisation'),
            ('id', '!=', Eval('id', -1)),
            ],
        states={
            'invisible': Eval('party_kind') != 'person',
            },
        help="The organization the contact person works for.")
    contacts = fields.One2Many(
        'party.party', 'organisation', "Contacts",
        domain=[
            ('party_kind', '=', 'person'),
            ],
        context={
            'party_kind': 'person',
            },
        states={
            'invisible': Eval('party_kind') != 'organisation',
            },
        help="The persons who work for the organization.")
    job_title = fields.Char(
        "Job Title", strip=True,
        states={
            'invisible': Eval('party_kind') != 'person',
            })
    department = fields.Char(
        "Department", strip=True,
        states={
            'invisible': Eval('party_kind') != 'person',
            })
    reports_to = fields.Many2One(
        'party.party', "Reports To", ondelete='SET NULL',
        domain=[
            ('organisation', '=', Eval('organisation', -1)),
            ('organisation', '!=', None),
            ('id', '!=', Eval('id', -1)),
            ],
        states={
            'invisible': Eval('party_kind') != 'person',
            },
        help="The contact of the same organization this person reports to.")
    subordinates = fields.One2Many(
        'party.party', 'reports_to', "Subordinates",
        states={
            'invisible': Eval('party_kind') != 'person',
            },
        help="The contacts who report to this person.")
    private_notes = fields.Text(
        "Private Notes",
        help="Personal notes about the contact, seen only by CRM users.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.organisation, Index.Range())),
                Index(t, (t.reports_to, Index.Range())),
                })
        cls._buttons.update({
                'push_address': {
                    'invisible': Eval('party_kind') != 'organisation',
                    'readonly': ~Eval('addresses', [0]),
                    'depends': ['party_kind', 'addresses'],
                    },
                })

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/form/notebook/page[@id="contacts"]', 'states', {
                    'invisible': Eval('party_kind') != 'organisation',
                    }),
            ('/form/notebook/page[@id="general"]/group[@id="contact_person"]',
                'states', {
                    'invisible': Eval('party_kind') != 'person',
                    }),
            ]

    @classmethod
    def default_party_kind(cls):
        # Contacts added from their organisation are persons.
        if Transaction().context.get('party_kind') == 'person':
            return 'person'
        return super().default_party_kind()

    @classmethod
    def validate_fields(cls, parties, field_names):
        super().validate_fields(parties, field_names)
        cls.check_reports_to(parties, field_names)

    @classmethod
    def check_reports_to(cls, parties, field_names=None):
        if field_names and not (
                field_names & {'reports_to', 'organisation'}):
            return
        for party in parties:
            seen = {party}
            manager = party.reports_to
            while manager:
                if manager in seen:
                    raise ValidationError(gettext(
                            'crm_plus.msg_contact_reports_to_cycle',
                            contact=party.rec_name))
                seen.add(manager)
                manager = manager.reports_to

    @classmethod
    @ModelView.button
    def push_address(cls, organisations):
        """Give every contact the address of its organisation.

        The contacts' former addresses are replaced, not kept beside the new
        one: a person is reached where the organisation now is, and the
        host picks the first active address for new documents, so a stale
        one left active would keep being proposed. They are deactivated
        rather than changed or deleted because sales, invoices and
        shipments already issued point at them and must keep showing
        where they were sent.
        """
        pool = Pool()
        Address = pool.get('party.address')
        to_deactivate, to_create = [], []
        for organisation in organisations:
            addresses = organisation.addresses
            if not addresses:
                continue
            for contact in organisation.contacts:
                to_deactivate.extend(contact.addresses)
                for address in addresses:
                    values = {f: getattr(address, f) for f in ADDRESS_FIELDS}
                    for name in ['country', 'subdivision']:
                        if values[name]:
                            values[name] = values[name].id
                    values['party'] = contact.id
                    to_create.append(values)
        if to_deactivate:
            Address.write(to_deactivate, {'active': False})
        if to_create:
            Address.create(to_create)

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default is not None else {}
        # Contacts and subordinates belong to the original: a copied
        # organisation or manager does not take its people along.
        default.setdefault('contacts')
        default.setdefault('subordinates')
        return super().copy(parties, default=default)


class Replace(metaclass=PoolMeta):
    __name__ = 'party.replace'

    @classmethod
    def fields_to_replace(cls):
        return super().fields_to_replace() + [
            ('party.party', 'organisation'),
            ('party.party', 'reports_to'),
            ]


class Erase(metaclass=PoolMeta):
    __name__ = 'party.erase'

    def to_erase(self, party_id):
        pool = Pool()
        Party = pool.get('party.party')
        # Where and as what a person worked identifies them as much as the
        # name, and the private notes are personal by definition.
        return super().to_erase(party_id) + [
            (Party, [('id', '=', party_id)], False,
                ['organisation', 'reports_to', 'job_title', 'department',
                    'private_notes'],
                [None, None, None, None, None]),
            ]
