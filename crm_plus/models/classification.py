# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Configurable lists that classify partners: industries and company types."
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields

from .mixins import CodeMixin


class _ClassificationMixin(
        CodeMixin, DeactivableMixin, ModelSQL, ModelView):
    __slots__ = ()
    name = fields.Char("Name", required=True, translate=True)

    def get_rec_name(self, name):
        if self.code:
            return f'[{self.code}] {self.name}'
        return self.name


class Industry(_ClassificationMixin):
    "Industry (line of business) a partner works in"
    __name__ = 'crm.industry'
    __string__ = "Industry"


class CompanyType(_ClassificationMixin):
    "Kind of company, e.g. distributor, end customer, public body"
    __name__ = 'crm.company_type'
    __string__ = "Company Type"
