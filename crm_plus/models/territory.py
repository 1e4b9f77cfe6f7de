# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Sales territories: a hierarchy used to organise partners and report on them."
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, fields, tree)

from .mixins import CodeMixin


class Territory(
        CodeMixin, DeactivableMixin, tree(separator=' / '),
        ModelSQL, ModelView):
    "Sales territory"
    __name__ = 'crm.territory'
    __string__ = "Sales Territory"

    name = fields.Char("Name", required=True, translate=True)
    parent = fields.Many2One(
        'crm.territory', "Parent", ondelete='RESTRICT',
        help="The larger territory this one belongs to.")
    children = fields.One2Many('crm.territory', 'parent', "Sub-Territories")
    manager = fields.Many2One(
        'company.employee', "Manager",
        help="The employee responsible for the territory.")
    description = fields.Text("Description")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.parent, Index.Range())))
