# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Configurable lists that classify partners: industries and company types."
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)


class _ClassificationMixin(DeactivableMixin, ModelSQL, ModelView):
    __slots__ = ()
    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code", strip=True)

    @classmethod
    def __setup__(cls):
        cls.code.search_unaccented = False
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'crm_plus.msg_classification_code_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.name, Index.Similarity())))
        cls._order.insert(0, ('name', 'ASC'))

    def get_rec_name(self, name):
        if self.code:
            return f'[{self.code}] {self.name}'
        return self.name

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('name', operator, operand, *extra),
            ('code', operator, operand, *extra),
            ]


class Industry(_ClassificationMixin):
    "Industry (line of business) a partner works in"
    __name__ = 'crm.industry'


class CompanyType(_ClassificationMixin):
    "Kind of company, e.g. distributor, end customer, public body"
    __name__ = 'crm.company_type'
