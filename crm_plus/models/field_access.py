# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The access rights and the form of the criteria of every search a user
makes, at any depth.

The host checks the fields that a search names at its first level and along
dotted paths, but a sub-domain given with 'where' (or 'not where') is turned
into SQL without access checks, so a user outside a group could find the
values of fields hidden from them by bisection (for instance
``party.address.search_count([('party', 'where', [('sic_code', 'like',
'13%')])])``). A malformed domain or order, or a value that the field's
column cannot take, reached the SQL conversion and came back as a Python
error.

The mixin is registered for every model (tryton.cfg, register_mixin), so
each search, search_count, search_read and export by domain that a user
makes checks, before the host runs it, the model and field access of every
field its domain and order name: through 'where', dotted paths, child_of
parents, the records a relation finds by their name (rec_name, and the
fields the target's rec_name searches) and the fields a relation is ordered
by. The accesses are the host's, cached per groups and model.
"""
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator

from sql import Expression, Query

from trytond.const import OPERATORS
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import Model, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

# Deeper than anything a client builds, far below Python's recursion limit
# that the host's conversion of the domain would reach.
MAX_DEPTH = 32
# The range of the integer columns of every backend.
MIN_INTEGER, MAX_INTEGER = -2 ** 63, 2 ** 63 - 1
ORDER_TYPES = {'ASC', 'DESC'}
NULL_ORDERINGS = {None, 'NULLS FIRST', 'NULLS LAST'}
RELATIONAL = {'many2one', 'one2many', 'many2many', 'one2one'}
TEXTUAL = {'char', 'text'}
NUMERIC = {'float', 'numeric'}
INTEGRAL = {'integer', 'biginteger'}
SCALAR = TEXTUAL | NUMERIC | INTEGRAL | {
    'date', 'datetime', 'timestamp', 'time', 'timedelta', 'boolean',
    'selection'}
# A set of values matches, or does not match, a multi-selection: no order.
MULTISELECTION_OPERATORS = {'=', '!=', 'in', 'not in'}


class SearchError(UserError):
    "A search whose criteria or order cannot be understood"


def _is_many(value):
    "Whether value is a collection of values, as 'in' takes"
    return (isinstance(value, Iterable)
        and not isinstance(value, (str, bytes, dict)))


def _clip(value, size=80):
    text = repr(value)
    return text if len(text) <= size else text[:size - 3] + '...'


class SearchCheck:
    """Walk the domain and the order of a search on a model, collecting the
    fields they name per model and refusing what cannot be converted"""

    def __init__(self, Model_):
        self.model = Model_
        # model name: field names, whose model and field accesses apply
        self.fields = defaultdict(set)
        # model name: field names, whose field access only applies: those
        # the searcher of a target's name searches on its own
        self.implied = defaultdict(set)
        self._rec_names = set()

    def check(self, domain, order):
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        FieldAccess = pool.get('ir.model.field.access')
        self.domain(self.model, domain, 0)
        self.order(self.model, order, 0)
        for name, field_names in self.fields.items():
            ModelAccess.check(name, 'read')
            FieldAccess.check(name, field_names, 'read')
        for name, field_names in self.implied.items():
            FieldAccess.check(name, field_names, 'read')

    # Domain

    def domain(self, Model_, domain, depth, trusted=False):
        if trusted and (depth > MAX_DEPTH
                or not isinstance(domain, (list, tuple))):
            # What the developer's searcher wrote is the host's to convert.
            return
        if depth > MAX_DEPTH:
            raise SearchError(gettext(
                    'crm_plus.msg_value_domain_too_deep', depth=MAX_DEPTH))
        if not isinstance(domain, (list, tuple)):
            self._malformed(Model_, domain)
        if not domain:
            return
        operator = domain[0] if isinstance(domain[0], str) else None
        if operator is not None and operator not in {'AND', 'OR'}:
            self.clause(Model_, domain, depth, trusted)
            return
        items = domain[1:] if operator else domain
        for item in items:
            if isinstance(item, str) and not trusted:
                self._malformed(Model_, item)
            self.domain(Model_, item, depth + 1, trusted)

    def _malformed(self, Model_, domain):
        raise SearchError(gettext(
                'crm_plus.msg_value_domain_malformed',
                clause=_clip(domain), model=Model_.__names__()['model']))

    def clause(self, Model_, clause, depth, trusted=False):
        if (len(clause) < 3
                or not isinstance(clause[1], str)
                or clause[1] not in OPERATORS):
            if trusted:
                return
            if len(clause) >= 2 and isinstance(clause[1], str):
                raise SearchError(gettext(
                        'crm_plus.msg_value_domain_operator',
                        operator=clause[1],
                        **self._names(Model_, clause[0])))
            self._malformed(Model_, clause)
        name, operator, value, *extra = clause
        local, _, relate = name.partition('.')
        field = Model_._fields.get(local)
        if field is None:
            if trusted:
                return
            raise SearchError(gettext(
                    'crm_plus.msg_value_domain_unknown_field',
                    field=local, model=Model_.__names__()['model']))
        self.fields[Model_.__name__].add(local)
        if hasattr(Model_, f'domain_{local}'):
            # The model converts the criterion itself.
            trusted = True
        if trusted:
            # The domain of a searcher: the values are the developer's.
            self._follow(Model_, field, clause, depth, trusted)
            return
        if not field.searchable(Model_):
            raise SearchError(gettext(
                    'crm_plus.msg_value_domain_not_searchable',
                    **self._names(Model_, local)))
        self._follow(Model_, field, clause, depth, trusted)

    def _follow(self, Model_, field, clause, depth, trusted):
        pool = Pool()
        name, operator, value, *extra = clause
        local, _, relate = name.partition('.')
        target = None
        if hasattr(field, 'get_target'):
            target = field.get_target()
        if field._type == 'reference' and relate:
            if not extra or not isinstance(extra[0], str):
                if trusted:
                    return
                self._malformed(Model_, clause)
            try:
                target = pool.get(extra[0])
            except KeyError:
                if trusted:
                    return
                self._malformed(Model_, clause)
            extra = extra[1:]

        if operator.endswith('child_of') or operator.endswith('parent_of'):
            if target is None:
                if trusted:
                    return
                raise SearchError(gettext(
                        'crm_plus.msg_value_domain_operator',
                        operator=operator, **self._names(Model_, local)))
            if relate:
                self.clause(target, (relate, operator, value, *extra),
                    depth + 1, trusted)
                return
            if target.__name__ != Model_.__name__:
                # The tree of the target along its parent field
                if (not extra or not isinstance(extra[0], str)
                        or extra[0] not in target._fields):
                    if trusted:
                        return
                    raise SearchError(gettext(
                            'crm_plus.msg_value_domain_parent',
                            operator=operator,
                            **self._names(Model_, local)))
                self.fields[target.__name__].add(extra[0])
            if isinstance(value, str):
                self._rec_name(target, ('rec_name', 'ilike', value), depth)
            elif not trusted:
                self._ids(Model_, local, value)
            return

        if operator.endswith('where'):
            if target is None:
                if trusted:
                    return
                raise SearchError(gettext(
                        'crm_plus.msg_value_domain_operator',
                        operator=operator, **self._names(Model_, local)))
            if relate:
                self.clause(target, (relate, operator, value, *extra),
                    depth + 1, trusted)
            else:
                self.domain(target, value, depth + 1, trusted)
            return

        if relate:
            if target is not None:
                self.clause(target, (relate, operator, value, *extra),
                    depth + 1, trusted)
                return
            elif field._type in {'dict', 'reference'}:
                return
            # The host compares other fields as if the path was not there.

        if target is not None:
            if isinstance(value, str):
                # A relation compared with a text finds the targets by name.
                self._rec_name(target, ('rec_name', operator, value), depth)
            elif not trusted:
                if operator.endswith('like'):
                    self._value_error(Model_, local, value)
                self._ids(Model_, local, value,
                    many=operator in {'in', 'not in'})
            return
        if not trusted:
            self._value(Model_, field, local, operator, value)
        if local == 'rec_name':
            self._rec_name(Model_, (local, operator, value), depth)

    def _rec_name(self, Target, clause, depth):
        """Check what a search of the target by name reaches: its rec_name
        and the fields its searcher turns it into"""
        self.fields[Target.__name__].add('rec_name')
        if (Target.__name__ in self._rec_names
                or not isinstance(clause[2], str)):
            return
        self._rec_names.add(Target.__name__)
        field = Target._fields.get('rec_name')
        searcher = getattr(field, 'searcher', None)
        if not searcher:
            return
        domain = getattr(Target, searcher)('rec_name', clause)
        implied = SearchCheck(Target)
        implied._rec_names = self._rec_names
        implied.domain(Target, domain, depth + 1, trusted=True)
        for name, field_names in implied.fields.items():
            self.implied[name] |= field_names
        for name, field_names in implied.implied.items():
            self.implied[name] |= field_names

    def _ids(self, Model_, name, value, many=False):
        if isinstance(value, Iterator):
            # Read once, by the search only
            return
        if many and not _is_many(value):
            self._value_error(Model_, name, value)
        for id_ in (list(value) if _is_many(value) else [value]):
            if id_ is None or isinstance(id_, (Model, Query, Expression)):
                continue
            if (isinstance(id_, bool) or not isinstance(id_, int)
                    or not MIN_INTEGER <= id_ <= MAX_INTEGER):
                self._value_error(Model_, name, value)

    def _value(self, Model_, field, name, operator, value):
        if isinstance(value, (Query, Expression, Iterator)):
            return
        inner = getattr(field, '_field', field)
        type_ = inner._type
        if operator in {'in', 'not in'}:
            if not _is_many(value):
                self._value_error(Model_, name, value)
            value = list(value)
            values = [v for v in value if v is not None]
        else:
            values = [] if value is None else [value]
        if type_ == 'multiselection':
            if operator not in MULTISELECTION_OPERATORS:
                raise SearchError(gettext(
                        'crm_plus.msg_value_domain_operator',
                        operator=operator, **self._names(Model_, name)))
            for v in values:
                if not (isinstance(v, str) or _is_many(v)):
                    self._value_error(Model_, name, value)
            return
        if type_ not in SCALAR:
            return
        for v in values:
            if ((type_ in TEXTUAL or operator.endswith('like'))
                    and not isinstance(v, str)):
                self._value_error(Model_, name, value)
            if type_ in INTEGRAL and isinstance(v, int) and not (
                    MIN_INTEGER <= v <= MAX_INTEGER):
                self._value_error(Model_, name, value)
            if (type_ in NUMERIC and isinstance(v, (int, float))
                    and not isinstance(v, bool)
                    and not math.isfinite(v)):
                self._value_error(Model_, name, value)
        try:
            formatted = inner._domain_value(operator, value)
        except (TypeError, ValueError, ArithmeticError, AttributeError,
                AssertionError):
            self._value_error(Model_, name, value)
        if type_ in NUMERIC:
            for v in (formatted if isinstance(formatted, list)
                    else [formatted]):
                try:
                    finite = v is None or math.isfinite(v)
                except (TypeError, ValueError):
                    continue
                if not finite:
                    self._value_error(Model_, name, value)

    def _value_error(self, Model_, name, value):
        raise SearchError(gettext(
                'crm_plus.msg_value_domain_value',
                value=_clip(value), **self._names(Model_, name)))

    @staticmethod
    def _names(Model_, name):
        if isinstance(name, str) and name.split('.', 1)[0] in Model_._fields:
            return Model_.__names__(name.split('.', 1)[0])
        return {
            'model': Model_.__names__()['model'],
            'field': _clip(name),
            }

    # Order

    def order(self, Model_, order, depth):
        if order is None:
            return
        if not isinstance(order, (list, tuple)):
            self._bad_order(order)
        for item in order:
            if (not isinstance(item, (list, tuple)) or len(item) != 2
                    or not isinstance(item[0], str)
                    or not (item[1] is None or isinstance(item[1], str))):
                self._bad_order(item)
            oexpr, otype = item
            if otype:
                direction, _, nulls = otype.upper().partition(' ')
                if (direction not in ORDER_TYPES
                        or (nulls or None) not in NULL_ORDERINGS):
                    self._bad_order(item)
            self.order_expression(Model_, oexpr, otype, depth)

    def order_expression(self, Model_, oexpr, otype, depth):
        if depth > MAX_DEPTH:
            self._bad_order(oexpr)
        fname, _, relate = oexpr.partition('.')
        field = Model_._fields.get(fname)
        if field is None:
            raise SearchError(gettext(
                    'crm_plus.msg_value_domain_unknown_field',
                    field=fname, model=Model_.__names__()['model']))
        self.fields[Model_.__name__].add(fname)
        target = field.get_target() if hasattr(field, 'get_target') else None
        if relate:
            if target is None or (isinstance(field, fields.Function)
                    and field.getter
                    and not hasattr(Model_, f'column_{fname}')):
                raise SearchError(gettext(
                        'crm_plus.msg_value_order_not_sortable',
                        **self._names(Model_, oexpr)))
            self.order_expression(target, relate, otype, depth + 1)
            return
        if not field.sortable(Model_):
            raise SearchError(gettext(
                    'crm_plus.msg_value_order_not_sortable',
                    **self._names(Model_, fname)))
        if (field._type == 'many2one' and target is not None
                and not hasattr(Model_, f'order_{fname}')):
            # A relation is ordered by the name or order field of its
            # target, which the host does not check.
            oname = None
            for name in (target._rec_name, target._order_name):
                if (name in target._fields
                        and target._fields[name].sortable(target)):
                    oname = name
            if oname and oname != 'id':
                self.order_expression(target, oname, otype, depth + 1)

    def _bad_order(self, order):
        raise SearchError(gettext(
                'crm_plus.msg_value_order_malformed', order=_clip(order)))


class SearchAccessMixin:
    "Check every search a user makes, at any depth, before running it"
    __slots__ = ()

    @classmethod
    def search(cls, domain, offset=0, limit=None, order=None, count=False,
            **kwargs):
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            for value in [offset, limit]:
                if value is not None and (isinstance(value, bool)
                        or not isinstance(value, int)
                        or not 0 <= value <= MAX_INTEGER):
                    raise SearchError(gettext(
                            'crm_plus.msg_value_search_limit',
                            value=_clip(value)))
            SearchCheck(cls).check(domain, order)
        return super().search(domain, offset=offset, limit=limit,
            order=order, count=count, **kwargs)
