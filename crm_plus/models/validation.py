# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The values a user creates or writes, checked before they reach the
database.

The host converts the values of a create or write only when it stores
them: an unknown field, a number that is not one (NaN, Infinity, a text),
or an integer beyond its column came back as a Python error (a KeyError,
"'<' not supported between ...", decimal.InvalidOperation, "Python int too
large ..."). The mixin is registered for every model (tryton.cfg,
register_mixin) and refuses them, for the calls of users, with a translated
error naming the field, before anything is changed.
"""
import math
from decimal import Decimal, InvalidOperation

from trytond.i18n import gettext
from trytond.model.exceptions import ValidationError
from trytond.transaction import Transaction

# The integer columns of PostgreSQL (the smallest of the backends)
INTEGER_RANGES = {
    'integer': (-2 ** 31, 2 ** 31 - 1),
    'biginteger': (-2 ** 63, 2 ** 63 - 1),
    }
# The host gives its amounts and quantities 16 digits before the decimal
# point; beyond, rounding them to their digits fails.
MAX_NUMBER = Decimal(10) ** 16


class InvalidValueError(ValidationError):
    "A value that the field cannot store"


def _clip(value, size=40):
    text = str(value)
    return text if len(text) <= size else text[:size - 3] + '...'


def check_values(Model, values):
    "Refuse the values that the fields of Model cannot store"
    for name, value in values.items():
        field = Model._fields.get(name)
        if field is None:
            raise InvalidValueError(gettext(
                    'crm_plus.msg_value_unknown_field',
                    field=_clip(name), model=Model.__names__()['model']))
        if value is None:
            continue
        type_ = getattr(field, '_field', field)._type
        if type_ in INTEGER_RANGES:
            _check_integer(Model, name, value, *INTEGER_RANGES[type_])
        elif type_ in {'float', 'numeric'}:
            _check_number(Model, name, value)


def _error(Model, name, value, message='crm_plus.msg_value_not_number',
        **kwargs):
    raise InvalidValueError(gettext(message, value=_clip(value),
            **Model.__names__(name), **kwargs))


def _check_integer(Model, name, value, minimum, maximum):
    if isinstance(value, (bool, int)):
        number = int(value)
    elif isinstance(value, (float, Decimal)):
        if not _finite(value) or value != int(value):
            _error(Model, name, value)
        number = int(value)
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            _error(Model, name, value)
    else:
        _error(Model, name, value)
    if not minimum <= number <= maximum:
        _error(Model, name, value, 'crm_plus.msg_value_out_of_range',
            minimum=minimum, maximum=maximum)


def _check_number(Model, name, value):
    if isinstance(value, bool):
        return
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            _error(Model, name, value)
    elif not isinstance(value, (int, float, Decimal)):
        _error(Model, name, value)
    if not _finite(value):
        _error(Model, name, value, 'crm_plus.msg_value_not_finite')
    if abs(Decimal(str(value))) >= MAX_NUMBER:
        _error(Model, name, value, 'crm_plus.msg_value_out_of_range',
            minimum=-MAX_NUMBER, maximum=MAX_NUMBER)


def _finite(value):
    if isinstance(value, Decimal):
        return value.is_finite()
    return math.isfinite(value)


class ValueCheckMixin:
    "Check the values of the creates and writes of users"
    __slots__ = ()

    @classmethod
    def create(cls, vlist):
        if Transaction().check_access and Transaction().user:
            for values in vlist:
                check_values(cls, values)
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        if Transaction().check_access and Transaction().user:
            actions = iter(args)
            for _, values in zip(actions, actions):
                check_values(cls, values)
        return super().write(*args)
