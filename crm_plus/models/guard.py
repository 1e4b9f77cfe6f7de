# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The server holds what the forms show.

The host checks the access to models and fields, but not their read-only
attributes: a plain RPC `write` of `state` would move a document past its
approvals.  For the documents crm_plus guards or extends, a client may
write neither the fields that are always read-only (the workflow fields,
which only transitions set) nor those its state makes read-only, and a
closed document keeps every field that does not say otherwise.

Buttons and wizards run without access checks, so the transitions keep
setting what they set, as do the crons, the queue and the demo generator
(server code writing such fields on behalf of a client call does it
without access checks too); administrators keep a deliberate way in, for
repairs.  The guard sits on top of the other extensions of create and
write (registered last), so it sees only what the client sent.
"""
from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import AccessError
from trytond.model.modelstorage import _record_eval_pyson
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


def _is_administrator():
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    User = pool.get('res.user')
    return ModelData.get_id('res', 'group_admin') in User.get_groups()


def _is_client_call():
    "Whether the current call comes from a user through the RPC checks"
    transaction = Transaction()
    return transaction.user and transaction.check_access


def _stored_value(value):
    "The comparable form of a value read from a record"
    if isinstance(value, (list, tuple)):
        return None
    return getattr(value, 'id', value)


class ReadonlyGuardMixin:
    """A document whose read-only fields only its transitions write

    _closed_states are the states in which a field without a read-only
    state of its own cannot be written either."""
    __slots__ = ()
    _closed_states = set()

    @classmethod
    def _guarded_field(cls, name):
        field = cls._fields.get(name)
        if field is None or name in {'id', '_timestamp'}:
            return None
        if isinstance(field, fields.Function) and not field.setter:
            # The host ignores what is written to a getter alone.
            return None
        return field

    @classmethod
    def create(cls, vlist):
        if _is_client_call() and not _is_administrator():
            for values in vlist:
                for name, value in values.items():
                    field = cls._guarded_field(name)
                    if field is None or not field.readonly:
                        continue
                    default = cls._defaults.get(name)
                    default = default() if default else None
                    if (value or None) != (default or None):
                        raise AccessError(gettext(
                                'crm_plus.msg_guard_readonly_create',
                                field=field.string,
                                model=cls.__names__()['model']))
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        # Checked before the other extensions of write add the values they
        # compute (the stage's date, the probability...): only what the
        # client sent is its own.
        if _is_client_call() and not _is_administrator():
            actions = iter(args)
            for records, values in zip(actions, actions):
                cls._check_readonly_write(records, values)
        super().write(*args)

    def _guard_recomputed(self, values):
        "The fields the server computes for the record whatever is sent"
        return set()

    @classmethod
    def _check_readonly_write(cls, records, values):
        for name, value in values.items():
            field = cls._guarded_field(name)
            if field is None:
                continue
            readonly_state = field.states.get('readonly')
            for record in records:
                if name in record._guard_recomputed(values):
                    continue
                # What the record already holds is no change.
                if (not isinstance(value, (list, tuple))
                        and _stored_value(getattr(record, name)) == value):
                    continue
                if field.readonly:
                    refused = True
                elif readonly_state is not None:
                    refused = _record_eval_pyson(record, readonly_state)
                else:
                    refused = (
                        getattr(record, 'state', None) in cls._closed_states)
                if refused:
                    state = cls._state_label(record)
                    raise AccessError(gettext(
                            'crm_plus.msg_guard_readonly_write' if state
                            else 'crm_plus.msg_guard_readonly_write_no_state',
                            field=field.string,
                            record=record.rec_name,
                            state=state))

    @classmethod
    def _state_label(cls, record):
        "The state of the record as the user reads it"
        if 'state' not in cls._fields:
            return ''
        selection = cls.fields_get(['state'])['state']['selection']
        return dict(selection).get(record.state, record.state)


class Sale(ReadonlyGuardMixin, metaclass=PoolMeta):
    __name__ = 'sale.sale'
    _closed_states = {'confirmed', 'processing', 'done', 'cancelled'}


class SaleLine(ReadonlyGuardMixin, metaclass=PoolMeta):
    __name__ = 'sale.line'


class Opportunity(ReadonlyGuardMixin, metaclass=PoolMeta):
    __name__ = 'sale.opportunity'
    _closed_states = {'won', 'lost', 'cancelled'}

    def _guard_recomputed(self, values):
        recomputed = super()._guard_recomputed(values)
        # The client sends the total of the lines it shows; the server
        # writes its own after the lines.
        if self.state in {'lead', 'opportunity'} and (
                self.lines or values.get('lines')):
            recomputed.add('amount')
        return recomputed


class OpportunityLine(ReadonlyGuardMixin, metaclass=PoolMeta):
    __name__ = 'sale.opportunity.line'


class Expense(ReadonlyGuardMixin, metaclass=PoolMeta):
    __name__ = 'crm.expense'
    _closed_states = {'confirmed', 'cancelled'}


class Activity(ReadonlyGuardMixin, metaclass=PoolMeta):
    __name__ = 'crm.activity'


class Evaluation(ReadonlyGuardMixin, metaclass=PoolMeta):
    __name__ = 'crm.scorecard.evaluation'


class Request(ReadonlyGuardMixin, metaclass=PoolMeta):
    __name__ = 'crm.approval.request'


class Decision(ReadonlyGuardMixin, metaclass=PoolMeta):
    __name__ = 'crm.approval.decision'


class Campaign(ReadonlyGuardMixin, metaclass=PoolMeta):
    __name__ = 'marketing.campaign'
    _closed_states = {'closed', 'cancelled'}
