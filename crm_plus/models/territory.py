# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Sales territories: a hierarchy used to organise partners and report on them."
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields, tree)


class Territory(DeactivableMixin, tree(separator=' / '), ModelSQL, ModelView):
    "Sales territory"
    __name__ = 'crm.territory'

    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code", strip=True)
    parent = fields.Many2One(
        'crm.territory', "Parent", ondelete='RESTRICT',
        help="The larger territory this one belongs to.")
    children = fields.One2Many('crm.territory', 'parent', "Children")
    manager = fields.Many2One(
        'company.employee', "Manager",
        help="The employee who answers for the territory.")
    description = fields.Text("Description")

    @classmethod
    def __setup__(cls):
        cls.code.search_unaccented = False
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'crm_plus.msg_territory_code_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.parent, Index.Range())),
                Index(t, (t.name, Index.Similarity())),
                })
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
