# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Quotations from opportunities and back, quote history and contracts.

An opportunity may have several quotations (revisions or alternatives),
numbered per opportunity.  The lines of a quotation can be copied back to
the opportunity, with a warning when the opportunity changed meanwhile.
"""
import datetime
from collections import defaultdict

from sql.aggregate import Max
from sql.conditionals import Coalesce

from trytond.exceptions import UserError, UserWarning
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import AccessError, ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond import backend
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

CLOSED_STATES = {'won', 'lost', 'cancelled'}
QUOTED_STATES = ['quotation', 'cancelled']
SOLD_STATES = ['confirmed', 'processing', 'done']
CONTRACT_FIELDS = {
    'signature_date', 'valid_from', 'valid_to', 'contract_document',
    'contract_filename'}


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    shipments = fields.Function(fields.Many2Many(
            'stock.shipment.out', None, None, "Shipments"),
        'get_sale_documents')
    invoices = fields.Function(fields.Many2Many(
            'account.invoice', None, None, "Invoices"),
        'get_sale_documents')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'new_quotation': {
                    'invisible': ~Eval('state').in_(
                        ['opportunity', 'converted']),
                    'icon': 'tryton-add',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def get_sale_documents(cls, opportunities, names):
        result = {n: {o.id: [] for o in opportunities} for n in names}
        for opportunity in opportunities:
            for sale in opportunity.sales:
                if 'shipments' in names:
                    result['shipments'][opportunity.id].extend(
                        s.id for s in sale.shipments)
                if 'invoices' in names:
                    result['invoices'][opportunity.id].extend(
                        i.id for i in sale.invoices)
        return result

    @classmethod
    @ModelView.button
    def new_quotation(cls, opportunities):
        # A button returns no records: the client would not read them.
        cls.create_quotations(opportunities)

    @classmethod
    def create_quotations(cls, opportunities):
        """Add a quotation to each opportunity, at the prices of its lines,
        and return them"""
        pool = Pool()
        Sale = pool.get('sale.sale')
        for opportunity in opportunities:
            if opportunity.state not in {'opportunity', 'converted'}:
                raise UserError(gettext(
                        'crm_plus.msg_quotation_opportunity_not_open',
                        opportunity=opportunity.rec_name))
        sales = [o.create_sale() for o in opportunities]
        Sale.save(sales)
        for sale in sales:
            sale.origin.copy_resources_to(sale)
        # The host moves the opportunity to converted when it is quoted.
        Sale.quote(sales)
        return sales


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    revision = fields.Integer(
        "Revision", readonly=True,
        help="The number of the quotation among those of its opportunity.")
    opportunity_synced_at = fields.Timestamp(
        "Opportunity Synchronised at", readonly=True,
        help="When the lines of the quotation were last copied to the "
        "opportunity.")

    source_opportunity = fields.Function(fields.Many2One(
            'sale.opportunity', "Opportunity"),
        'get_source_opportunity')

    _contract_states = {
        'readonly': Eval('state').in_(['done', 'cancelled']),
        }
    contract_number = fields.Char(
        "Contract Number", readonly=True,
        help="Assigned when the sale is confirmed.")
    signature_date = fields.Date("Signature Date", states=_contract_states)
    valid_from = fields.Date("Valid From", states=_contract_states)
    valid_to = fields.Date("Valid To", states=_contract_states)
    contract_document = fields.Binary(
        "Contract Document", filename='contract_filename',
        states=_contract_states)
    contract_filename = fields.Char(
        "Contract File Name", states=_contract_states)
    del _contract_states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'update_opportunity': {
                    'invisible': ~Eval('source_opportunity'),
                    'icon': 'tryton-back',
                    'depends': ['source_opportunity'],
                    },
                })

    def get_source_opportunity(self, name):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        if isinstance(self.origin, Opportunity):
            return self.origin.id

    @classmethod
    def copy(cls, sales, default=None):
        default = default.copy() if default else {}
        for name in ['revision', 'opportunity_synced_at', 'contract_number',
                'signature_date', 'valid_from', 'valid_to',
                'contract_document', 'contract_filename']:
            default.setdefault(name)
        return super().copy(sales, default=default)

    @classmethod
    def create(cls, vlist):
        sales = super().create(vlist)
        cls._number_revisions(sales)
        return sales

    @classmethod
    def _number_revisions(cls, sales):
        "Number the new quotations of each opportunity after the others"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        todo = [s for s in sales
            if isinstance(s.origin, Opportunity) and not s.revision]
        if not todo:
            return
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        origins = sorted({str(s.origin) for s in todo})
        last = defaultdict(int)
        for sub_origins in grouped_slice(
                origins, backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    table.origin, Max(Coalesce(table.revision, 0)),
                    where=table.origin.in_(list(sub_origins)),
                    group_by=[table.origin]))
            last.update(cursor)
        to_write = []
        for sale in sorted(todo, key=lambda s: s.id):
            origin = str(sale.origin)
            last[origin] += 1
            to_write.extend(([sale], {'revision': last[origin]}))
        # The number is the server's, even on a client's create.
        with without_check_access():
            cls.write(*to_write)

    @classmethod
    def check_modification(cls, mode, sales, values=None, external=False):
        super().check_modification(
            mode, sales, values=values, external=external)
        # The contract of a finished sale is a record of what was signed.
        if mode == 'write' and set(values or {}) & CONTRACT_FIELDS:
            for sale in sales:
                if sale.state in {'done', 'cancelled'}:
                    raise AccessError(gettext(
                            'crm_plus.msg_sale_contract_closed',
                            sale=sale.rec_name))

    @classmethod
    def validate_fields(cls, sales, field_names):
        super().validate_fields(sales, field_names)
        if field_names & {'valid_from', 'valid_to'}:
            for sale in sales:
                if (sale.valid_from and sale.valid_to
                        and sale.valid_from > sale.valid_to):
                    raise ValidationError(gettext(
                            'crm_plus.msg_sale_contract_validity',
                            sale=sale.rec_name))

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        confirmed = []
        for sales, values in zip(actions, actions):
            if values.get('state') == 'confirmed':
                confirmed.extend(sales)
        super().write(*args)
        if confirmed:
            cls._number_contracts(confirmed)

    @classmethod
    def _number_contracts(cls, sales):
        """Give the confirmed sales their contract number when their state
        is written, once every check of the confirmation has passed,
        whatever the order of the extensions: PostgreSQL never gives a
        number back"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Sequence = pool.get('ir.sequence')
        to_number = [s for s in cls.browse(sales) if not s.contract_number]
        if to_number:
            with without_check_access():
                sequence = Sequence(ModelData.get_id(
                        'crm_plus', 'sequence_contract'))
                for sale in to_number:
                    sale.contract_number = sequence.get()
                cls.save(to_number)

    def opportunity_differences(self):
        """Return the lines describing how the opportunity differs from the
        quotation, empty when they are the same"""
        opportunity = self.origin
        lang = Pool().get('ir.lang').get()

        def describe(product, quantity, unit_price):
            return '%s × %s @ %s' % (
                product.rec_name if product else '',
                lang.format('%g', quantity or 0),
                lang.format('%.*f', (4, unit_price or 0)))
        sale_lines = sorted(describe(l.product, l.quantity, l.unit_price)
            for l in self.lines if l.type == 'line')
        opportunity_lines = sorted(
            describe(l.product, l.quantity, l.unit_price)
            for l in opportunity.lines)
        differences = []
        for text in opportunity_lines:
            if text in sale_lines:
                sale_lines.remove(text)
            else:
                differences.append(gettext(
                        'crm_plus.msg_quotation_difference_opportunity',
                        line=text))
        for text in sale_lines:
            differences.append(gettext(
                    'crm_plus.msg_quotation_difference_quotation',
                    line=text))
        return differences

    def opportunity_changed(self):
        "Tell whether the opportunity lines changed since the last sync"
        opportunity = self.origin
        # The times all come from the database's clock, so that they
        # compare whatever the time zones of the servers.
        synced_at = self.opportunity_synced_at or self.create_date
        # The host itself writes the amount and state of the opportunity
        # whenever its quotations change: only the lines tell a user's
        # change.
        changes = [l.write_date or l.create_date for l in opportunity.lines]
        return any(c and c > synced_at for c in changes)

    @classmethod
    @ModelView.button
    def update_opportunity(cls, sales):
        "Copy the lines and the amount of the quotations to the opportunity"
        pool = Pool()
        Currency = pool.get('currency.currency')
        Opportunity = pool.get('sale.opportunity')
        Line = pool.get('sale.opportunity.line')
        Warning = pool.get('res.user.warning')
        states = dict(
            Opportunity.fields_get(['state'])['state']['selection'])
        for sale in sales:
            opportunity = sale.origin
            if not isinstance(opportunity, Opportunity):
                raise UserError(gettext(
                        'crm_plus.msg_quotation_no_opportunity',
                        sale=sale.rec_name))
            if opportunity.state in CLOSED_STATES:
                raise UserError(gettext(
                        'crm_plus.msg_quotation_opportunity_closed',
                        sale=sale.rec_name,
                        opportunity=opportunity.rec_name,
                        state=states.get(opportunity.state)))
            if sale.opportunity_changed():
                differences = sale.opportunity_differences()
                key = Warning.format('crm_plus_update_opportunity', [sale])
                if differences and Warning.check(key):
                    raise UserWarning(key, gettext(
                            'crm_plus.msg_quotation_opportunity_changed',
                            sale=sale.rec_name,
                            opportunity=opportunity.rec_name,
                            differences='\n'.join(differences)))
        to_delete, to_create, to_save = [], [], []
        for sale in sales:
            opportunity = sale.origin
            to_delete.extend(opportunity.lines)
            for sequence, line in enumerate(
                    (l for l in sale.lines if l.type == 'line'), 1):
                to_create.append({
                        'opportunity': opportunity.id,
                        'sequence': sequence,
                        'product': line.product.id if line.product else None,
                        'description': line.description,
                        'quantity': line.quantity,
                        'unit': line.unit.id if line.unit else None,
                        'unit_price': line.unit_price,
                        })
            opportunity.amount = Currency.compute(
                sale.currency, sale.untaxed_amount, opportunity.currency)
            to_save.append(opportunity)
        Line.delete(to_delete)
        lines = Line.create(to_create)
        Opportunity.save(to_save)
        synced_at = max((l.create_date for l in lines), default=None)
        cls.write(list(sales), {'opportunity_synced_at': synced_at})


class SaleLine(metaclass=PoolMeta):
    __name__ = 'sale.line'

    price_history = fields.Function(fields.Many2Many(
            'sale.line', None, None, "Price History",
            help="The earlier prices quoted and sold to the customer "
            "for the product, newest first."),
        'get_price_history')
    history_date = fields.Function(
        fields.Date("Date"), 'get_history_date')

    @classmethod
    def get_price_history(cls, lines, name):
        pool = Pool()
        Sale = pool.get('sale.sale')
        Date = pool.get('ir.date')
        line = cls.__table__()
        sale = Sale.__table__()
        cursor = Transaction().connection.cursor()
        today = Date.today()

        result = {l.id: [] for l in lines}
        keys = {}
        for l in lines:
            if l.product and l.sale and l.sale.party:
                keys[l.id] = (
                    l.sale.party.id, l.product.id,
                    l.sale.sale_date or l.sale.quotation_date or today)
        if not keys:
            return result
        parties = sorted({k[0] for k in keys.values()})
        products = sorted({k[1] for k in keys.values()})
        history = defaultdict(list)
        date = Coalesce(sale.sale_date, sale.quotation_date)
        # One query for the batch: the lines of the customers and products.
        size = max(backend.MAX_QUERY_PARAMS - len(parties) - 10, 1)
        for sub_products in grouped_slice(products, size):
            cursor.execute(*line.join(
                    sale, condition=line.sale == sale.id).select(
                    line.id, sale.party, line.product, date,
                    where=sale.party.in_(parties)
                    & line.product.in_(list(sub_products))
                    & sale.state.in_(QUOTED_STATES + SOLD_STATES)
                    & (line.type == 'line')))
            for line_id, party, product, line_date in cursor:
                if isinstance(line_date, str):
                    line_date = datetime.date.fromisoformat(line_date)
                history[party, product].append((line_date, line_id))
        for key in history.values():
            key.sort(reverse=True)
        for line_id, (party, product, line_date) in keys.items():
            result[line_id] = [i for d, i in history[party, product]
                if i != line_id and d and d <= line_date]
        return result

    def get_history_date(self, name):
        if self.sale:
            return self.sale.sale_date or self.sale.quotation_date
