# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Forecasts per sales period and salesperson or team

A forecast per period and salesperson (or per sales team, for the roll-up
of its hierarchy) holds the quota that the manager sets and the commit that
the salesperson submits, beside the figures computed from the opportunities
expected to close in the period. Closing the period stores these figures:
they no longer change, and the forecast can no longer be edited.
"""
from collections import defaultdict
from decimal import Decimal

from sql import Cast, Column, Literal, Null
from sql.aggregate import Sum
from sql.conditionals import Case, Coalesce

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction, without_check_access

from .sales_period import PERIOD_STATES
from .stage import OPEN_STATES
from .visibility import _visibility_context

# The figures computed from the opportunities, stored when the period
# closes under the name prefixed with "frozen_".
FIGURES = ['pipeline', 'weighted_pipeline', 'best_case', 'won']
# The models whose record rules use the forecast context below.
FORECAST_MODELS = {'crm.forecast', 'crm.forecast.line'}


def _amount(value, currency):
    "The Decimal amount of an SQL sum, rounded to the currency"
    if value is None:
        return currency.round(Decimal(0))
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return currency.round(value)


class Forecast(ModelSQL, ModelView):
    "Forecast"
    __name__ = 'crm.forecast'
    __string__ = "Forecast"

    _open = {'readonly': Eval('period_state') == 'closed'}

    period = fields.Many2One(
        'crm.sales_period', "Sales Period", required=True,
        ondelete='RESTRICT',
        states={
            'readonly': Bool(Eval('id', -1) >= 0),
            })
    period_state = fields.Function(
        fields.Selection(PERIOD_STATES, "Period State"),
        'on_change_with_period_state', searcher='search_period_state')
    company = fields.Function(
        fields.Many2One('company.company', "Company"),
        'on_change_with_company', searcher='search_company')
    employee = fields.Many2One(
        'company.employee', "Salesperson", ondelete='RESTRICT',
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        states={
            'readonly': Bool(Eval('id', -1) >= 0),
            'required': ~Eval('team'),
            'invisible': Bool(Eval('team')),
            },
        help="The salesperson whose opportunities the forecast counts.")
    team = fields.Many2One(
        'crm.team', "Sales Team", ondelete='RESTRICT',
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        states={
            'readonly': Bool(Eval('id', -1) >= 0),
            'required': ~Eval('employee'),
            'invisible': Bool(Eval('employee')),
            },
        help="The roll-up of the members of the team and of its sub-teams.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    quota = Monetary(
        "Quota", currency='currency', digits='currency', states=_open,
        domain=['OR', ('quota', '=', None), ('quota', '>=', 0)],
        help="The sales target set by the manager for the period.")
    commit_submitted = Monetary(
        "Commit Submitted", currency='currency', digits='currency',
        states=_open,
        domain=['OR',
            ('commit_submitted', '=', None),
            ('commit_submitted', '>=', 0),
            ],
        help="What the salesperson commits to win in the period; "
        "follows the total of the committed opportunities "
        "until it is entered by hand.")
    commit_adjusted = Monetary(
        "Commit Adjusted", currency='currency', digits='currency',
        states=_open,
        domain=['OR',
            ('commit_adjusted', '=', None),
            ('commit_adjusted', '>=', 0),
            ],
        help="The commit as the manager adjusts it; "
        "the submitted one is kept.")
    commit = fields.Function(Monetary(
            "Commit", currency='currency', digits='currency',
            help="The adjusted commit, else the submitted one."),
        'get_commit')
    lines = fields.One2Many(
        'crm.forecast.line', 'forecast', "Committed Opportunities",
        states={
            'readonly': (Eval('period_state') == 'closed') | Bool(
                Eval('team')),
            'invisible': Bool(Eval('team')),
            })
    lines_amount = fields.Function(Monetary(
            "Committed Amount", currency='currency', digits='currency',
            help="The total of the committed opportunities."),
        'get_lines_amount')
    pipeline = fields.Function(Monetary(
            "Pipeline", currency='currency', digits='currency',
            help="The amount of the open opportunities "
            "expected to close in the period."),
        'get_figures')
    weighted_pipeline = fields.Function(Monetary(
            "Weighted Pipeline", currency='currency', digits='currency',
            help="The amount of each open opportunity expected to close "
            "in the period times its conversion probability."),
        'get_figures')
    best_case = fields.Function(Monetary(
            "Best Case", currency='currency', digits='currency',
            help="The won amount plus the whole pipeline."),
        'get_figures')
    won = fields.Function(Monetary(
            "Won", currency='currency', digits='currency',
            help="The amount of the opportunities won "
            "with their end date in the period."),
        'get_figures')
    frozen_pipeline = fields.Numeric("Frozen Pipeline", readonly=True)
    frozen_weighted_pipeline = fields.Numeric(
        "Frozen Weighted Pipeline", readonly=True)
    frozen_best_case = fields.Numeric("Frozen Best Case", readonly=True)
    frozen_won = fields.Numeric("Frozen Won", readonly=True)

    del _open

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('employee_unique', Unique(t, t.period, t.employee),
                'crm_plus.msg_forecast_employee_unique'),
            ('team_unique', Unique(t, t.period, t.team),
                'crm_plus.msg_forecast_team_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.employee, Index.Range())),
                Index(t, (t.team, Index.Range())),
                })
        cls._order = [('period', 'DESC'), ('id', 'ASC')]

    @fields.depends('period')
    def on_change_with_period_state(self, name=None):
        return self.period.state if self.period else None

    @classmethod
    def search_period_state(cls, name, clause):
        return [('period.state', *clause[1:])]

    @fields.depends('period')
    def on_change_with_company(self, name=None):
        return self.period.company if self.period else None

    @classmethod
    def search_company(cls, name, clause):
        return [('period.company', *clause[1:])]

    @fields.depends('period')
    def on_change_with_currency(self, name=None):
        return self.period.company.currency if self.period else None

    def get_rec_name(self, name):
        who = self.employee or self.team
        return '%s - %s' % (self.period.rec_name, who.rec_name if who else '')

    @classmethod
    def search_rec_name(cls, name, clause):
        if clause[1].startswith('!') or clause[1].startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('period.rec_name', *clause[1:]),
            ('employee.rec_name', *clause[1:]),
            ('team.rec_name', *clause[1:]),
            ]

    def get_commit(self, name):
        if self.commit_adjusted is not None:
            return self.commit_adjusted
        return self.commit_submitted

    @classmethod
    def validate_fields(cls, forecasts, field_names):
        super().validate_fields(forecasts, field_names)
        if field_names & {'period', 'employee', 'team'}:
            for forecast in forecasts:
                if bool(forecast.employee) == bool(forecast.team):
                    raise ValidationError(gettext(
                            'crm_plus.msg_forecast_employee_or_team',
                            forecast=forecast.rec_name))
                who = forecast.employee or forecast.team
                if who.company != forecast.period.company:
                    raise ValidationError(gettext(
                            'crm_plus.msg_forecast_company',
                            forecast=forecast.rec_name))

    @classmethod
    def check_open(cls, forecasts):
        "Refuse the changes of forecasts whose period is closed"
        Period = Pool().get('crm.sales_period')
        # Locked as the period's close locks it (see sales_period.py).
        Period.lock(list({f.period for f in forecasts}))
        for forecast in forecasts:
            if forecast.period.state == 'closed':
                raise AccessError(gettext(
                        'crm_plus.msg_forecast_closed',
                        forecast=forecast.rec_name))

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Period = pool.get('crm.sales_period')
        periods = Period.browse(
            list({v['period'] for v in vlist if v.get('period')}))
        Period.lock(periods)
        for period in periods:
            if period.state == 'closed':
                raise AccessError(gettext(
                        'crm_plus.msg_forecast_closed',
                        forecast=period.rec_name))
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        for forecasts, values in zip(actions, actions):
            cls.check_open(forecasts)
        super().write(*args)

    @classmethod
    def delete(cls, forecasts):
        cls.check_open(forecasts)
        super().delete(forecasts)

    @classmethod
    def copy(cls, forecasts, default=None):
        default = default.copy() if default is not None else {}
        for name in FIGURES:
            default.setdefault('frozen_' + name, None)
        return super().copy(forecasts, default=default)

    @classmethod
    def get_lines_amount(cls, forecasts, name):
        amounts = {f.id: Decimal(0) for f in forecasts}
        for forecast in forecasts:
            amounts[forecast.id] = forecast.currency.round(
                sum((l.amount or 0 for l in forecast.lines), Decimal(0)))
        return amounts

    @classmethod
    def get_figures(cls, forecasts, names):
        result = {n: {} for n in names}
        live = []
        for forecast in forecasts:
            if forecast.period.state == 'closed':
                for name in names:
                    value = getattr(forecast, 'frozen_' + name)
                    result[name][forecast.id] = (
                        forecast.currency.round(value)
                        if value is not None else None)
            else:
                live.append(forecast)
        if live:
            figures = cls.compute_figures(live)
            for name in names:
                for forecast in live:
                    result[name][forecast.id] = figures[forecast.id][name]
        return result

    @classmethod
    def freeze(cls, forecasts):
        "Store the figures of the forecasts as they are now"
        figures = cls.compute_figures(forecasts)
        to_write = []
        for forecast in forecasts:
            to_write.extend(([forecast], {
                        'frozen_' + n: figures[forecast.id][n]
                        for n in FIGURES}))
        if to_write:
            with without_check_access():
                cls.write(*to_write)

    @classmethod
    def thaw(cls, forecasts):
        "Drop the figures stored at the close: they follow the deals again"
        # In SQL: the period is still closed while it reopens, and a
        # forecast of a closed period refuses every write.
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        for sub_ids in grouped_slice([f.id for f in forecasts]):
            cursor.execute(*table.update(
                    [Column(table, 'frozen_' + n) for n in FIGURES],
                    [Null] * len(FIGURES),
                    where=reduce_ids(table.id, sub_ids)))

    @classmethod
    def _team_employees(cls, team_ids):
        """The employees counted by each team: the members of the team and
        of all the teams below it"""
        pool = Pool()
        Team = pool.get('crm.team')
        TeamMember = pool.get('crm.team.member')
        if not team_ids:
            return {}
        cursor = Transaction().connection.cursor()
        team, member = Team.__table__(), TeamMember.__table__()
        # The whole hierarchy in one query: the trees are small beside the
        # opportunities, and inactive sub-teams still hold their members.
        cursor.execute(*team.select(team.id, team.parent))
        children = defaultdict(list)
        for team_id, parent in cursor:
            if parent:
                children[parent].append(team_id)
        subtrees = {}
        for team_id in team_ids:
            subtree, todo = set(), [team_id]
            while todo:
                current = todo.pop()
                if current not in subtree:
                    subtree.add(current)
                    todo.extend(children[current])
            subtrees[team_id] = subtree
        all_teams = set().union(*subtrees.values())
        members = defaultdict(set)
        cursor.execute(*member.select(member.team, member.employee,
                where=member.team.in_(list(all_teams))))
        for team_id, employee in cursor:
            members[team_id].add(employee)
        return {t: set().union(*(members[s] for s in subtree))
            for t, subtree in subtrees.items()}

    @classmethod
    def compute_figures(cls, forecasts):
        """The figures of the forecasts from the opportunities, in one query
        per company: by forecast id, a dictionary of FIGURES"""
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Period = pool.get('crm.sales_period')
        Funnel = pool.get('crm.funnel')
        cursor = Transaction().connection.cursor()

        team_employees = cls._team_employees(
            list({f.team.id for f in forecasts if f.team}))
        employees = {f.id: ({f.employee.id} if f.employee
                else team_employees[f.team.id]) for f in forecasts}
        by_company = defaultdict(list)
        for forecast in forecasts:
            by_company[forecast.period.company].append(forecast)

        # (period, employee): figures
        sums = {}
        for company, company_forecasts in by_company.items():
            period_ids = list({f.period.id for f in company_forecasts})
            employee_ids = list(set().union(
                    *(employees[f.id] for f in company_forecasts)))
            if not employee_ids:
                continue
            opportunity = Opportunity.__table__()
            period = Period.__table__()
            currency = company.currency.id
            amount = Coalesce(opportunity.amount, 0)
            # Converted as the funnel converts: at the rates of the
            # opportunity's start date.
            amount = Case(
                (opportunity.currency == currency, amount),
                else_=amount * Funnel._rate(currency, opportunity.start_date)
                / Funnel._rate(opportunity.currency, opportunity.start_date))
            numeric = cls.quota.sql_type().base
            probability = Cast(
                Coalesce(opportunity.conversion_probability, 0), numeric)
            open_ = opportunity.state.in_(OPEN_STATES)
            zero = Literal(0)
            query = opportunity.join(period,
                condition=(opportunity.end_date >= period.start_date)
                & (opportunity.end_date <= period.end_date)
                ).select(
                period.id, opportunity.employee,
                Sum(Case((open_, amount), else_=zero)),
                Sum(Case((open_, amount * probability), else_=zero)),
                Sum(Case((opportunity.state == 'won', amount), else_=zero)),
                where=period.id.in_(period_ids)
                & (opportunity.company == company.id)
                & opportunity.employee.in_(employee_ids)
                & (opportunity.end_date != Null),
                group_by=[period.id, opportunity.employee])
            cursor.execute(*query)
            for period_id, employee, pipeline, weighted, won in cursor:
                sums[period_id, employee] = (pipeline, weighted, won)

        figures = {}
        for forecast in forecasts:
            currency = forecast.currency
            pipeline = weighted = won = Decimal(0)
            for employee in employees[forecast.id]:
                values = sums.get((forecast.period.id, employee))
                if values:
                    pipeline += _amount(values[0], currency)
                    weighted += _amount(values[1], currency)
                    won += _amount(values[2], currency)
            figures[forecast.id] = {
                'pipeline': pipeline,
                'weighted_pipeline': weighted,
                'best_case': won + pipeline,
                'won': won,
                }
        return figures


class ForecastLine(ModelSQL, ModelView):
    "Forecast Line"
    __name__ = 'crm.forecast.line'
    __string__ = "Committed Opportunity"

    forecast = fields.Many2One(
        'crm.forecast', "Forecast", required=True, ondelete='CASCADE')
    opportunity = fields.Many2One(
        'sale.opportunity', "Opportunity", required=True,
        ondelete='CASCADE',
        domain=[
            ('company', '=', Eval('company', -1)),
            If(Bool(Eval('employee')),
                ('employee', '=', Eval('employee', -1)),
                ()),
            ])
    company = fields.Function(
        fields.Many2One('company.company', "Company"),
        'on_change_with_company', searcher='search_company')
    employee = fields.Function(
        fields.Many2One('company.employee', "Salesperson"),
        'on_change_with_employee')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    amount = fields.Function(Monetary(
            "Amount", currency='currency', digits='currency',
            help="The amount of the opportunity "
            "in the currency of the company."),
        'on_change_with_amount')
    probability = fields.Function(
        fields.Float("Probability", digits=(1, 4)),
        'on_change_with_probability')
    end_date = fields.Function(
        fields.Date("Expected Close"), 'on_change_with_end_date')
    opportunity_state = fields.Function(
        fields.Selection('get_opportunity_states', "Opportunity State"),
        'on_change_with_opportunity_state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('opportunity_unique', Unique(t, t.forecast, t.opportunity),
                'crm_plus.msg_forecast_line_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.opportunity, Index.Range())))

    @fields.depends('forecast', '_parent_forecast.period')
    def on_change_with_company(self, name=None):
        if self.forecast and self.forecast.period:
            return self.forecast.period.company

    @classmethod
    def search_company(cls, name, clause):
        return [('forecast.period.company', *clause[1:])]

    @fields.depends('forecast', '_parent_forecast.employee')
    def on_change_with_employee(self, name=None):
        if self.forecast:
            return self.forecast.employee

    @fields.depends('forecast', '_parent_forecast.period')
    def on_change_with_currency(self, name=None):
        if self.forecast and self.forecast.period:
            return self.forecast.period.company.currency

    @fields.depends('opportunity', 'forecast', '_parent_forecast.period',
        methods=['on_change_with_currency'])
    def on_change_with_amount(self, name=None):
        Currency = Pool().get('currency.currency')
        currency = self.on_change_with_currency()
        if not self.opportunity or not currency:
            return None
        amount = self.opportunity.amount or Decimal(0)
        if self.opportunity.currency and self.opportunity.currency != currency:
            with Transaction().set_context(
                    date=self.opportunity.start_date):
                return Currency.compute(
                    self.opportunity.currency, amount, currency)
        return currency.round(amount)

    @fields.depends('opportunity')
    def on_change_with_probability(self, name=None):
        if self.opportunity:
            return self.opportunity.conversion_probability

    @fields.depends('opportunity')
    def on_change_with_end_date(self, name=None):
        if self.opportunity:
            return self.opportunity.end_date

    @classmethod
    def get_opportunity_states(cls):
        Opportunity = Pool().get('sale.opportunity')
        return Opportunity.fields_get(['state'])['state']['selection']

    @fields.depends('opportunity')
    def on_change_with_opportunity_state(self, name=None):
        if self.opportunity:
            return self.opportunity.state

    def get_rec_name(self, name):
        return self.opportunity.rec_name

    @classmethod
    def validate_fields(cls, lines, field_names):
        super().validate_fields(lines, field_names)
        if field_names & {'forecast', 'opportunity'}:
            for line in lines:
                forecast, opportunity = line.forecast, line.opportunity
                if (not forecast.employee
                        or opportunity.employee != forecast.employee
                        or opportunity.company != forecast.period.company):
                    raise ValidationError(gettext(
                            'crm_plus.msg_forecast_line_opportunity',
                            opportunity=opportunity.rec_name,
                            forecast=forecast.rec_name))

    @classmethod
    def _follow_lines(cls, forecasts, before):
        """Set the commit submitted of the forecasts that follow their lines
        (none entered, or the total of the lines before the change) to the
        total of their lines"""
        Forecast = Pool().get('crm.forecast')
        forecasts = Forecast.browse([f.id for f in forecasts])
        after = Forecast.get_lines_amount(forecasts, 'lines_amount')
        to_write = []
        for forecast in forecasts:
            if (forecast.commit_submitted is None
                    or forecast.commit_submitted == before.get(forecast.id)):
                if forecast.commit_submitted != after[forecast.id]:
                    to_write.extend(([forecast], {
                                'commit_submitted': after[forecast.id],
                                }))
        if to_write:
            # The salesperson follows their own lines; the manager's
            # changes of them follow as well.
            with without_check_access():
                Forecast.write(*to_write)

    @classmethod
    def _lines_before(cls, forecasts):
        Forecast = Pool().get('crm.forecast')
        Forecast.check_open(forecasts)
        return Forecast.get_lines_amount(forecasts, 'lines_amount')

    @classmethod
    def create(cls, vlist):
        Forecast = Pool().get('crm.forecast')
        forecasts = Forecast.browse(
            list({v['forecast'] for v in vlist if v.get('forecast')}))
        before = cls._lines_before(forecasts)
        lines = super().create(vlist)
        cls._follow_lines(forecasts, before)
        return lines

    @classmethod
    def write(cls, *args):
        Forecast = Pool().get('crm.forecast')
        ids = set()
        actions = iter(args)
        for lines, values in zip(actions, actions):
            ids.update(l.forecast.id for l in lines)
            if values.get('forecast'):
                ids.add(values['forecast'])
        forecasts = Forecast.browse(list(ids))
        before = cls._lines_before(forecasts)
        super().write(*args)
        cls._follow_lines(forecasts, before)

    @classmethod
    def delete(cls, lines):
        Forecast = Pool().get('crm.forecast')
        forecasts = Forecast.browse(list({l.forecast.id for l in lines}))
        before = cls._lines_before(forecasts)
        super().delete(lines)
        cls._follow_lines(forecasts, before)


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.domain.help += (
            '\n- "crm_own_employees" as list of ids of the employees '
            'of the user')

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name in FORECAST_MODELS:
            pool = Pool()
            UserEmployee = pool.get('res.user-company.employee')
            context.update(_visibility_context())
            with without_check_access():
                context['crm_own_employees'] = [
                    r.employee.id for r in UserEmployee.search([
                            ('user', '=', Transaction().user),
                            ])]
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if FORECAST_MODELS.intersection(model_names):
            key = (*key, Transaction().user)
        return key
