# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The forecasts of a whole sales team for a period, in one step: one per
salesperson of the team and of its sub-teams, and one per team for the
roll-ups"""
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval, PYSONEncoder
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateAction, StateView, Wizard


class ForecastCreateStart(ModelView):
    "Create Forecasts"
    __name__ = 'crm.forecast.create.start'
    __string__ = "Create Forecasts"

    company = fields.Many2One('company.company', "Company", required=True)
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    period = fields.Many2One(
        'crm.sales_period', "Sales Period", required=True,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('state', '!=', 'closed'),
            ])
    team = fields.Many2One(
        'crm.team', "Sales Team", required=True,
        domain=[('company', '=', Eval('company', -1))],
        help="A forecast is created for each member of this team and of "
        "its sub-teams, and for each of these teams.")
    quota = Monetary(
        "Quota per Salesperson", currency='currency', digits='currency',
        domain=['OR', ('quota', '=', None), ('quota', '>=', 0)],
        help="The quota of each salesperson's new forecast; "
        "leave empty to set the quotas one by one.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None


class ForecastCreate(Wizard):
    "Create Forecasts"
    __name__ = 'crm.forecast.create'
    start = StateView('crm.forecast.create.start',
        'crm_plus.forecast_create_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Create", 'create_', 'tryton-ok', default=True),
            ])
    create_ = StateAction('crm_plus.act_forecast_form')

    def default_start(self, fields):
        context = Transaction().context
        values = {'company': context.get('company')}
        if context.get('active_model') == 'crm.sales_period':
            period = Pool().get('crm.sales_period')(context['active_id'])
            if period.state != 'closed':
                values['period'] = period.id
                values['company'] = period.company.id
        return values

    def team_forecasts(self):
        """The values of the forecasts of the team, its sub-teams and
        their members that the period does not have yet"""
        pool = Pool()
        Employee = pool.get('company.employee')
        Forecast = pool.get('crm.forecast')
        Team = pool.get('crm.team')
        period, team = self.start.period, self.start.team
        # The whole subtree, inactive sub-teams included, as the roll-up of
        # the team counts them; read whatever the manager's team rules.
        with without_check_access(), Transaction().set_context(
                active_test=False):
            teams = [t.id for t in Team.search([
                        ('parent', 'child_of', [team.id]),
                        ('company', '=', period.company.id),
                        ])]
            existing = Forecast.search([('period', '=', period.id)])
        # The members in another company have no forecast in this one.
        employees = {e.id for e in Employee.browse(
                Forecast._team_employees([team.id])[team.id])
            if e.company == period.company}
        has_employee = {f.employee.id for f in existing if f.employee}
        has_team = {f.team.id for f in existing if f.team}
        values = [{
                'period': period.id,
                'employee': employee,
                'quota': self.start.quota,
                } for employee in sorted(employees - has_employee)]
        values += [{'period': period.id, 'team': t}
            for t in sorted(set(teams) - has_team)]
        return values

    def do_create_(self, action):
        Forecast = Pool().get('crm.forecast')
        period = self.start.period
        # The client offers open periods only; a posted one is checked.
        if period.state == 'closed':
            raise AccessError(gettext(
                    'crm_plus.msg_forecast_create_closed',
                    period=period.rec_name))
        # As the manager: the access rules of forecasts hold.
        Forecast.create(self.team_forecasts())
        action['pyson_domain'] = PYSONEncoder().encode(
            [('period', '=', self.start.period.id)])
        action['name'] += ' - %s' % self.start.period.rec_name
        # The forecasts of the period, not the tabs of the menu's list
        # (whose first tab holds the manager's own forecasts).
        action['domains'] = []
        return action, {}
