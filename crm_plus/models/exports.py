# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Export of opportunities to an XML document of the published schema
reports/opportunity.xsd: the opportunities selected in the list, or all
those of a filter"""
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.report import Report
from trytond.transaction import Transaction
from trytond.wizard import Button, StateReport, StateView, Wizard

from ..reports import forecast_xml, opportunity_xml
from ..reports.forecast_xlsx import forecast_ids
from ..reports.xlsx_tools import report_action
from .mixins import OrganisationFilterMixin, ReportContextMixin, subtree_ids


class OpportunityXmlExportStart(
        OrganisationFilterMixin, ReportContextMixin, ModelView):
    "Export Opportunities to XML"
    __name__ = 'crm.opportunity.xml.export.start'
    __string__ = "Export Opportunities to XML"

    rows = fields.Selection([
            ('selected', "The selected opportunities"),
            ('filter', "All the opportunities of the filter"),
            ], "Export", required=True)
    selected_count = fields.Integer("Selected Opportunities", readonly=True)
    filter_count = fields.Function(fields.Integer(
            "Opportunities of the Filter",
            help="The opportunities that you can read that the filter "
            "gives."),
        'on_change_with_filter_count')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # The filter matters only when exporting by filter.
        for name in ['company', 'from_date', 'to_date', 'team', 'territory',
                'employee']:
            field = getattr(cls, name)
            field.states = field.states.copy()
            field.states['invisible'] = Eval('rows') != 'filter'
        cls.company.required = False
        cls.company.states['required'] = Eval('rows') == 'filter'
        cls.from_date.help = ("Only the opportunities started on this date "
            "or after.")
        cls.to_date.help = ("Only the opportunities started on this date "
            "or before.")

    @classmethod
    def default_selected_count(cls):
        return 0

    def filter_domain(self):
        """The domain of the opportunities of the filter: a team or a
        territory stands for its whole subtree, as in the reports"""
        domain = [('company', '=', self.company.id if self.company else -1)]
        if self.from_date:
            domain.append(('start_date', '>=', self.from_date))
        if self.to_date:
            domain.append(('start_date', '<=', self.to_date))
        if self.team:
            domain.append(
                ('team', 'in', subtree_ids('crm.team', self.team.id)))
        if self.territory:
            domain.append(('territory', 'in',
                    subtree_ids('crm.territory', self.territory.id)))
        if self.employee:
            domain.append(('employee', '=', self.employee.id))
        return domain

    @fields.depends(
        'company', 'from_date', 'to_date', 'team', 'territory', 'employee')
    def on_change_with_filter_count(self, name=None):
        Opportunity = Pool().get('sale.opportunity')
        if not self.company:
            return 0
        return Opportunity.search(self.filter_domain(), count=True)


class OpportunityXmlExport(Wizard):
    """Export opportunities to an XML file of the schema that crm_plus
    publishes"""
    __name__ = 'crm.opportunity.xml.export'
    start = StateView(
        'crm.opportunity.xml.export.start',
        'crm_plus.opportunity_xml_export_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Export", 'export', 'tryton-save', default=True),
            ])
    export = StateReport('crm.opportunity.xml')

    def selected_ids(self):
        context = Transaction().context
        if context.get('active_model') == 'sale.opportunity':
            return [i for i in context.get('active_ids') or [] if i >= 0]
        return []

    def default_start(self, fields):
        selected = self.selected_ids()
        return {
            'rows': 'selected' if selected else 'filter',
            'selected_count': len(selected),
            'company': Transaction().context.get('company'),
            }

    def do_export(self, action):
        data = {'model': 'sale.opportunity'}
        if self.start.rows == 'selected':
            data['ids'] = self.selected_ids()
        else:
            data['ids'] = []
            data['domain'] = self.start.filter_domain()
        return action, data


class OpportunityXml(Report):
    "Opportunities as an XML file validated against the published schema"
    __name__ = 'crm.opportunity.xml'

    @classmethod
    def execute(cls, ids, data):
        Opportunity = Pool().get('sale.opportunity')
        action_report = report_action(cls.__name__, data)
        if data.get('domain') is not None:
            # Searched as the user: the record rules choose what is read.
            ids = [o.id for o in Opportunity.search(
                    data['domain'], order=[('id', 'ASC')])]
        ids = list(map(int, ids))
        cls.check_access(action_report, 'sale.opportunity', ids)
        content = checked_xml(opportunity_xml, opportunity_xml.build(
                Opportunity.browse(ids), _company_name()),
            'crm_plus.msg_exports_xml_invalid')
        return ('xml', content, False, action_report.name)


def _company_name():
    Company = Pool().get('company.company')
    company_id = Transaction().context.get('company')
    return Company(company_id).rec_name if company_id else ''


def checked_xml(module, document, message):
    """The bytes of document, refused with message when they do not follow
    the schema of the export module"""
    content = module.serialize(document)
    errors = module.validation_errors(content)
    if errors:
        raise UserError(gettext(message, errors='\n'.join(errors[:10])))
    return content


class ForecastXml(Report):
    "Forecasts as an XML file validated against the published schema"
    __name__ = 'crm.forecast.xml'

    @classmethod
    def execute(cls, ids, data):
        Forecast = Pool().get('crm.forecast')
        action_report = report_action(cls.__name__, data)
        ids = forecast_ids(ids)
        cls.check_access(action_report, 'crm.forecast', ids)
        content = checked_xml(forecast_xml, forecast_xml.build(
                Forecast.browse(ids), _company_name()),
            'crm_plus.msg_exports_forecast_xml_invalid')
        return ('xml', content, False, action_report.name)
