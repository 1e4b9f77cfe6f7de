# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The audit trail of the CRM records: who changed which field of which
record, when, from which value to which.

The host's ir.model.log records who wrote which fields, deleted or clicked,
but not the values, not the creations and only the calls of clients (the
writes of server code on behalf of a user are not logged); the history
tables (_history) keep whole rows without telling which field changed nor
showing the names behind the ids, for every write of the whole model. So
the audited models record their own changes here: the create, write and
delete of each model read the values of the audited fields before and
after (one read each per batch, and one per related model for the names),
and insert the entries in one insert per batch, whoever calls them (a
form, a button, a wizard, a sub-record saved with its parent, a cron)."""
import datetime
import decimal
from collections import defaultdict

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import (
    Transaction, check_access, inactive_records, without_check_access)

EVENTS = [
    ('create', "Created"),
    ('write', "Changed"),
    ('transition', "Transition"),
    ('delete', "Deleted"),
    ]
# The models whose trail a CRM user reads when they may read the record:
# the documents that entries belong to.
DOCUMENT_MODELS = [
    'party.party', 'sale.opportunity', 'sale.sale', 'crm.expense']
# The audited models.
AUDITED = [
    'party.party', 'party.party.credit_limit_amount', 'sale.opportunity',
    'sale.opportunity.line', 'crm.approval.request', 'crm.approval.decision',
    ]
# Set in the context while models create records, with where their new
# ids start in the transaction's created records: the writes their own
# extensions make on the records being created are part of the creation.
CREATING = '_crm_plus_audit_creating'
META_FIELDS = {'id', 'create_uid', 'create_date', 'write_uid', 'write_date'}


def _reference(field, value):
    "The 'model,id' of the value of a Many2One or a Reference, or None"
    if value is None or value == '':
        return None
    if field._type == 'many2one':
        return '%s,%s' % (field.model_name, value)
    model, _, id_ = str(value).partition(',')
    if not model or not id_.lstrip('-').isdigit() or int(id_) < 0:
        return None
    return '%s,%s' % (model, int(id_))


def _decimals(field, row):
    """The number of decimals the Numeric field shows in the row read with
    its digits, or None when it has no fixed number"""
    digits = getattr(field, 'digits', None)
    if isinstance(digits, str):
        # The name of the record that gives the digits: the currency.
        return (row.get(digits + '.') or {}).get('digits')
    if isinstance(digits, tuple) and isinstance(digits[1], int):
        return digits[1]
    return None


def _text(field, value, names, decimals=None, percent=False):
    """The value as a text an auditor reads, and its raw form; names are
    the names of the related records by 'model,id', decimals those the
    field shows: a client sends 13450.5 for 13,450.50; percent if the
    field is a fraction shown as a percentage"""
    if value is None or value == '':
        return None, None
    if field._type in {'many2one', 'reference'}:
        reference = _reference(field, value)
        if reference is None:
            return None, None
        return names.get(reference, reference), reference
    if field._type == 'boolean':
        return str(bool(value)), str(bool(value))
    if field._type == 'selection':
        return str(value), str(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(' ', 'seconds'), None
    if isinstance(value, datetime.date):
        return value.isoformat(), None
    if percent and isinstance(value, (int, float)):
        # Shown as a percentage in the forms: 0.25 reads 25 %.
        shown = decimal.Decimal(str(value)) * 100
        shown = shown.quantize(decimal.Decimal('0.01')).normalize()
        return '{:f} %'.format(shown), None
    if isinstance(value, decimal.Decimal):
        if decimals is not None and value.is_finite():
            try:
                value = value.quantize(decimal.Decimal(1).scaleb(-decimals))
            except decimal.InvalidOperation:
                pass
        return str(value), None
    return str(value), None


class AuditEntry(ModelSQL, ModelView):
    "Audit Entry"
    __name__ = 'crm.audit.entry'
    __string__ = "Audit Entry"

    date = fields.Timestamp("Date", required=True, readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    event = fields.Selection(EVENTS, "Event", required=True, readonly=True)
    model = fields.Selection(
        'get_models', "Model", required=True, readonly=True)
    resource = fields.Reference(
        "Record", selection='get_models', required=True, readonly=True)
    record_name = fields.Char(
        "Record Name", readonly=True,
        help="The name of the record when it was changed.")
    document_model = fields.Char("Document Model", readonly=True)
    document_id = fields.Integer("Document ID", readonly=True)
    document = fields.Function(fields.Reference(
            "Document", selection='get_document_models',
            help="The partner, opportunity, sale or expense whose trail "
            "the entry belongs to: an opportunity line belongs to its "
            "opportunity, a decision to the document of its request."),
        'get_document', searcher='search_document')
    field_name = fields.Char("Field Name", readonly=True)
    field = fields.Function(fields.Char("Field"), 'get_field')
    old_value = fields.Text("Old Value", readonly=True)
    new_value = fields.Text("New Value", readonly=True)
    old_raw = fields.Char("Old Raw Value", readonly=True)
    new_raw = fields.Char("New Raw Value", readonly=True)
    old = fields.Function(fields.Char("Old"), 'get_display')
    new = fields.Function(fields.Char("New"), 'get_display')
    readable = fields.Function(
        fields.Boolean("Readable"), 'get_readable',
        searcher='search_readable')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t,
                    (t.document_model, Index.Equality()),
                    (t.document_id, Index.Range())),
                Index(t, (t.resource, Index.Equality())),
                Index(t, (t.date, Index.Range())),
                Index(t, (t.user, Index.Range())),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def get_models(cls):
        pool = Pool()
        Model = pool.get('ir.model')
        names = Model.get_names()
        return [(n, names.get(n, n)) for n in sorted(AUDITED)]

    @classmethod
    def get_document_models(cls):
        pool = Pool()
        Model = pool.get('ir.model')
        names = Model.get_names()
        return [(n, names.get(n, n)) for n in DOCUMENT_MODELS]

    def get_rec_name(self, name):
        return '%s: %s' % (
            self.record_name or str(self.resource), self.field or self.event)

    @classmethod
    def get_document(cls, entries, name):
        pool = Pool()
        by_model = defaultdict(set)
        for entry in entries:
            if entry.document_model and entry.document_id is not None:
                by_model[entry.document_model].add(entry.document_id)
        # A deleted document is no longer shown, as the host's references.
        existing = set()
        with without_check_access(), inactive_records():
            for model, ids in by_model.items():
                try:
                    Model = pool.get(model)
                except KeyError:
                    continue
                for sub in grouped_slice(ids):
                    existing.update((model, r.id) for r in Model.search(
                            [('id', 'in', list(sub))], order=[]))
        return {e.id: ('%s,%s' % (e.document_model, e.document_id)
                if (e.document_model, e.document_id) in existing else None)
            for e in entries}

    @classmethod
    def search_document(cls, name, clause):
        _, operator, value = clause[:3]
        if operator in {'=', '!='} and isinstance(value, str) \
                and ',' in value:
            model, id_ = value.split(',', 1)
            domain = [
                ('document_model', '=', model),
                ('document_id', '=', int(id_)),
                ]
            if operator == '!=':
                return ['OR',
                    ('document_model', '!=', model),
                    ('document_id', '!=', int(id_)),
                    ]
            return domain
        if operator in {'=', '!='} and value is None:
            return [('document_model', operator, None)]
        if operator in {'in', 'not in'}:
            domain = ['OR'] + [
                cls.search_document(name, (name, '=', v)) for v in value]
            if operator == 'not in':
                return [('id', 'not in', cls.search(domain, query=True))]
            return domain
        # The name of the document, with the model as the fourth element
        # of the clause, as for the host's Reference fields.
        if len(clause) == 4 and '.' in clause[0]:
            _, target = clause[0].split('.', 1)
            Target = Pool().get(clause[3])
            return [
                ('document_model', '=', clause[3]),
                ('document_id', 'in', Target.search(
                        [(target, operator, value)], order=[], query=True)),
                ]
        raise ValueError("Unsupported clause: %r" % (clause,))

    @classmethod
    def get_field(cls, entries, name):
        pool = Pool()
        Field = pool.get('ir.model.field')
        return {e.id: (Field.get_name(e.model, e.field_name)
                if e.field_name else None)
            for e in entries}

    @classmethod
    def get_display(cls, entries, names):
        """The values as read by the reader: the labels of selections and
        booleans in their language, the others as recorded"""
        pool = Pool()
        result = {n: {} for n in names}
        labels = {}
        yes, no = gettext('crm_plus.msg_audit_yes'), gettext(
            'crm_plus.msg_audit_no')
        for entry in entries:
            try:
                Model = pool.get(entry.model)
            except KeyError:
                Model = None
            field = Model._fields.get(entry.field_name) if Model else None
            for name in names:
                value = getattr(entry, name + '_value')
                raw = getattr(entry, name + '_raw')
                if field is not None and raw is not None:
                    if field._type == 'boolean':
                        value = yes if raw == 'True' else no
                    elif field._type == 'selection':
                        key = entry.model, entry.field_name
                        if key not in labels:
                            selection = Model.fields_get(
                                [entry.field_name])[entry.field_name].get(
                                'selection')
                            labels[key] = (dict(selection)
                                if isinstance(selection, (list, tuple))
                                else {})
                        value = labels[key].get(raw, value)
                result[name][entry.id] = value
        return result

    @classmethod
    def get_readable(cls, entries, name):
        return {e.id: True for e in entries}

    @classmethod
    def search_readable(cls, name, clause):
        """The entries of the documents that the user may read, by the
        documents' own access and record rules

        The record rules of the entries are evaluated by the host as root,
        with the user in the context."""
        pool = Pool()
        transaction = Transaction()
        user = transaction.user or transaction.context.get('user') or 0
        _, operator, value = clause
        positive = (operator == '=') == bool(value)
        domain = ['OR']
        for model in DOCUMENT_MODELS:
            try:
                Model = pool.get(model)
            except KeyError:
                continue
            if user:
                with transaction.set_user(user), check_access(), \
                        inactive_records():
                    try:
                        query = Model.search([], order=[], query=True)
                    except AccessError:
                        continue
                domain.append([
                        ('document_model', '=', model),
                        ('document_id', 'in', query),
                        ])
            else:
                domain.append(('document_model', '=', model))
        if positive:
            return domain
        return [('id', 'not in', cls.search(domain, order=[], query=True))]

    @classmethod
    def _check_administrator(cls):
        "Only the administrator changes the trail"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        transaction = Transaction()
        if transaction.user == 0:
            return
        if ModelData.get_id('res', 'group_admin') not in User.get_groups():
            raise AccessError(gettext('crm_plus.msg_audit_readonly'))

    @classmethod
    def create(cls, vlist):
        # The audited models insert their entries in SQL, never here.
        cls._check_administrator()
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        cls._check_administrator()
        super().write(*args)

    @classmethod
    def delete(cls, entries):
        cls._check_administrator()
        super().delete(entries)

    @classmethod
    def copy(cls, entries, default=None):
        cls._check_administrator()
        return super().copy(entries, default=default)

    @classmethod
    def record(cls, entries):
        """Insert the entries, dictionaries of the columns, in as few
        queries as the database allows"""
        if not entries:
            return
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        user = Transaction().user
        now = datetime.datetime.now()
        names = [
            'event', 'model', 'resource', 'record_name', 'document_model',
            'document_id', 'field_name', 'old_value', 'new_value',
            'old_raw', 'new_raw']
        columns = [table.create_uid, table.create_date, table.date,
            table.user] + [getattr(table, n) for n in names]
        # Within the parameters a query takes on SQLite and PostgreSQL.
        size = 30000 // len(columns)
        for sub in grouped_slice(entries, size):
            cursor.execute(*table.insert(columns, [
                        [user, now, now, user] + [e.get(n) for n in names]
                        for e in sub]))


class AuditMixin:
    """A model whose changes are recorded in the audit trail

    Its writes and deletions are recorded below every other extension of
    the module (registered first), so that they see the values that reach
    the database, those the extensions add included; its creations by
    AuditCreateMixin."""
    __slots__ = ()
    # The audited fields, or None for every stored field but those skipped.
    _audit_fields = None
    _audit_skip = set()
    # The path to the document whose trail the record belongs to, or None
    # for the record itself.
    _audit_document = None
    # The paths to the name that tells the record in the trail, the first
    # one filled: stored fields rather than a computed rec_name, which
    # costs more than the rest of the trail on large batches.
    _audit_name = ('rec_name',)
    # The fractions the forms show as percentages.
    _audit_percent = set()

    @classmethod
    def _audit_field_names(cls):
        if cls._audit_fields is not None:
            return {n for n in cls._audit_fields if n in cls._fields}
        names = set()
        for name, field in cls._fields.items():
            if (name in META_FIELDS or name in cls._audit_skip
                    or isinstance(field, (fields.Function, fields.One2Many,
                            fields.Many2Many, fields.Binary,
                            fields.MultiSelection, fields.Dict))):
                continue
            names.add(name)
        return names

    @classmethod
    def _audit_read(cls, ids, names, identity=True):
        """Read the names of the records in one read, with the record's own
        name and its document if identity"""
        to_read = set(names)
        for name in names:
            digits = getattr(cls._fields[name], 'digits', None)
            if isinstance(digits, str):
                to_read.add(digits + '.digits')
        if identity:
            to_read.update(cls._audit_name)
            if cls._audit_document:
                to_read.add(cls._audit_document)
        if not ids:
            return {}
        with without_check_access(), inactive_records():
            return {r['id']: r for r in cls.read(ids, sorted(to_read))}

    @classmethod
    def _audit_related_names(cls, names, *rows):
        """The names of the records the Many2One and Reference fields of the
        rows point to, by 'model,id': one read per related model"""
        pool = Pool()
        ids = defaultdict(set)
        for name in names:
            field = cls._fields[name]
            if field._type not in {'many2one', 'reference'}:
                continue
            for by_id in rows:
                for row in by_id.values():
                    reference = _reference(field, row.get(name))
                    if reference:
                        model, id_ = reference.split(',')
                        ids[model].add(int(id_))
        result = {}
        with without_check_access(), inactive_records():
            for model, model_ids in ids.items():
                try:
                    Model = pool.get(model)
                except KeyError:
                    continue
                # The read leaves out those deleted meanwhile: they keep
                # their reference.
                for row in Model.read(list(model_ids), ['rec_name']):
                    result['%s,%s' % (model, row['id'])] = row['rec_name']
        return result

    @classmethod
    def _audit_name_of(cls, row):
        for path in cls._audit_name:
            value = row
            *steps, last = path.split('.')
            for step in steps:
                value = value.get(step + '.') or {}
            if value.get(last):
                return value[last]

    @classmethod
    def _audit_document_of(cls, row):
        "The (model, id) of the document of the record read in row"
        path = cls._audit_document
        if not path:
            return cls.__name__, row['id']
        Model, value = cls, row
        *steps, last = path.split('.')
        for step in steps:
            Model = Model._fields[step].get_target()
            value = value.get(step + '.') or {}
        field = Model._fields[last]
        value = value.get(last)
        if value is None:
            return None, None
        if field._type == 'reference':
            model, id_ = value.split(',', 1)
            return model, int(id_)
        return field.get_target().__name__, value

    @classmethod
    def _audit_entries(cls, event, changes, before, after):
        "The entries of the changed names of each record id"
        entries = []
        state_name = getattr(cls, '_transition_state', None)
        related = cls._audit_related_names(
            set().union(*changes.values()) if changes else set(),
            before, after)
        for id_, names in changes.items():
            old_row, new_row = before.get(id_, {}), after.get(id_, {})
            row = new_row or old_row
            document_model, document_id = cls._audit_document_of(row)
            for name in sorted(names):
                field = cls._fields[name]
                if (event != 'write' and field._type == 'boolean'
                        and not row.get(name)):
                    # Unticked is the absence of a value.
                    continue
                percent = name in cls._audit_percent
                old_value, old_raw = _text(field, old_row.get(name), related,
                    _decimals(field, old_row), percent)
                new_value, new_raw = _text(field, new_row.get(name), related,
                    _decimals(field, new_row), percent)
                if (old_value, old_raw) == (new_value, new_raw):
                    continue
                entry_event = event
                if event == 'write' and name == state_name:
                    entry_event = 'transition'
                entries.append({
                        'event': entry_event,
                        'model': cls.__name__,
                        'resource': '%s,%s' % (cls.__name__, id_),
                        'record_name': cls._audit_name_of(row),
                        'document_model': document_model,
                        'document_id': document_id,
                        'field_name': name,
                        'old_value': old_value,
                        'new_value': new_value,
                        'old_raw': old_raw,
                        'new_raw': new_raw,
                        })
        return entries

    @classmethod
    def _audit_being_created(cls):
        "The ids of the records that the outer create is creating"
        transaction = Transaction()
        creating = dict(transaction.context.get(CREATING) or ())
        if cls.__name__ not in creating:
            return set()
        return set(transaction.create_records.get(
                cls.__name__, [])[creating[cls.__name__]:])

    @classmethod
    def write(cls, *args):
        pool = Pool()
        Entry = pool.get('crm.audit.entry')
        audited = cls._audit_field_names()
        # The values written while the records are created are recorded
        # as their creation.
        skip = cls._audit_being_created()
        changes = {}
        actions = iter(args)
        for records, values in zip(actions, actions):
            names = audited & values.keys()
            if names:
                for record in records:
                    if record.id not in skip:
                        changes.setdefault(record.id, set()).update(names)
        if not changes:
            super().write(*args)
            return
        names = set().union(*changes.values())
        before = cls._audit_read(list(changes), names, identity=False)
        super().write(*args)
        after = cls._audit_read(list(changes), names)
        Entry.record(cls._audit_entries('write', changes, before, after))

    @classmethod
    def delete(cls, records):
        pool = Pool()
        Entry = pool.get('crm.audit.entry')
        names = cls._audit_field_names()
        ids = [r.id for r in records]
        before = cls._audit_read(ids, names)
        super().delete(records)
        Entry.record(cls._audit_entries(
                'delete', {i: names for i in ids}, before, {}))


class AuditCreateMixin:
    """The creation of an audited model, outside of every other extension:
    what they write on the new records belongs to the creation"""
    __slots__ = ()

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Entry = pool.get('crm.audit.entry')
        transaction = Transaction()
        creating = dict(transaction.context.get(CREATING) or ())
        creating.setdefault(
            cls.__name__, len(transaction.create_records[cls.__name__]))
        with transaction.set_context(
                **{CREATING: tuple(sorted(creating.items()))}):
            records = super().create(vlist)
        names = cls._audit_field_names()
        ids = [r.id for r in records]
        after = cls._audit_read(ids, names)
        Entry.record(cls._audit_entries(
                'create', {i: names for i in ids}, {}, after))
        return records


class Party(AuditMixin, metaclass=PoolMeta):
    __name__ = 'party.party'
    _audit_name = ('name',)
    # The CRM tab and the credit limit asked for: the rest of the partner
    # is the host's, and the personal data (names, notes) is not copied
    # into the trail.
    _audit_fields = {
        'party_kind', 'territory', 'lifecycle_stage', 'account_manager',
        'team', 'industry', 'sic_code', 'company_type', 'employee_count',
        'annual_revenue', 'revenue_currency', 'requested_credit_limit',
        }


class PartyCreditLimitAmount(AuditMixin, metaclass=PoolMeta):
    __name__ = 'party.party.credit_limit_amount'
    # A limit of the party in a company: the company names it.
    _audit_fields = {'credit_limit_amount'}
    _audit_name = ('company.rec_name',)
    _audit_document = 'party'


class Opportunity(AuditMixin, metaclass=PoolMeta):
    __name__ = 'sale.opportunity'
    _audit_name = ('number',)
    _audit_percent = {'conversion_probability'}
    # Bookkeeping of the server, derived from what is audited.
    _audit_skip = {
        'stage_since', 'warnings_notified', 'evaluated_at', 'previous_score',
        }


class OpportunityLine(AuditMixin, metaclass=PoolMeta):
    __name__ = 'sale.opportunity.line'
    _audit_skip = {'sequence'}
    _audit_name = ('product.rec_name', 'description')
    _audit_document = 'opportunity'


class ApprovalRequest(AuditMixin, metaclass=PoolMeta):
    __name__ = 'crm.approval.request'
    _audit_document = 'document'


class ApprovalDecision(AuditMixin, metaclass=PoolMeta):
    __name__ = 'crm.approval.decision'
    _audit_document = 'request.document'


class PartyCreation(AuditCreateMixin, metaclass=PoolMeta):
    __name__ = 'party.party'


class PartyCreditLimitAmountCreation(AuditCreateMixin, metaclass=PoolMeta):
    __name__ = 'party.party.credit_limit_amount'


class OpportunityCreation(AuditCreateMixin, metaclass=PoolMeta):
    __name__ = 'sale.opportunity'


class OpportunityLineCreation(AuditCreateMixin, metaclass=PoolMeta):
    __name__ = 'sale.opportunity.line'


class ApprovalRequestCreation(AuditCreateMixin, metaclass=PoolMeta):
    __name__ = 'crm.approval.request'


class ApprovalDecisionCreation(AuditCreateMixin, metaclass=PoolMeta):
    __name__ = 'crm.approval.decision'


class PartyErase(metaclass=PoolMeta):
    __name__ = 'party.erase'

    def to_erase(self, party_id):
        pool = Pool()
        Entry = pool.get('crm.audit.entry')
        reference = 'party.party,%s' % party_id
        # The trail of an erased person keeps that something changed, not
        # what: neither its values nor its name where others refer to it.
        return super().to_erase(party_id) + [
            (Entry, [
                    ('document_model', '=', 'party.party'),
                    ('document_id', '=', party_id),
                    ], False,
                ['record_name', 'old_value', 'new_value', 'old_raw',
                    'new_raw'],
                [None, None, None, None, None]),
            (Entry, [('old_raw', '=', reference)], False,
                ['old_value'], [None]),
            (Entry, [('new_raw', '=', reference)], False,
                ['new_value'], [None]),
            ]
