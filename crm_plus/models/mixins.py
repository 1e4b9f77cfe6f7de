# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from sql import Column

from trytond.model import Index, Unique, fields


class CodeMixin:
    """A named record with a unique code; users find it by either.

    Subclasses may set _code_scope to the names of the columns within which
    the code is unique (e.g. the company) and _code_unique_message.
    """
    __slots__ = ()
    _code_scope = ()
    _code_unique_message = 'crm_plus.msg_code_unique'

    code = fields.Char("Code", strip=True)

    @classmethod
    def __setup__(cls):
        cls.code.search_unaccented = False
        super().__setup__()
        t = cls.__table__()
        scope = [Column(t, name) for name in cls._code_scope]
        cls._sql_constraints += [
            ('code_unique', Unique(t, *scope, t.code),
                cls._code_unique_message),
            ]
        cls._sql_indexes.add(Index(t, (t.name, Index.Similarity())))
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def search_rec_name(cls, name, clause):
        if clause[1].startswith('!') or clause[1].startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            super().search_rec_name(name, clause),
            ('code', *clause[1:]),
            ]
