# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Sales periods: the months and quarters of the fiscal years

Managers open a period, close it, and may reopen it to correct its
forecasts; closing freezes the figures of its forecasts (see forecast.py).
Opening and closing lock the period's row, as do the changes of its
forecasts: a forecast created or changed while another session closes the
period waits for the close and is then refused, never left unfrozen in a
closed period.
"""
import datetime

from dateutil.relativedelta import relativedelta

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.model.exceptions import AccessError, ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .guard import ReadonlyGuardMixin

PERIOD_TYPES = [
    ('month', "Month"),
    ('quarter', "Quarter"),
    ]
PERIOD_STATES = [
    ('draft', "Draft"),
    ('open', "Open"),
    ('closed', "Closed"),
    ]


class SalesPeriod(ReadonlyGuardMixin, Workflow, ModelSQL, ModelView):
    "Sales Period"
    __name__ = 'crm.sales_period'
    __string__ = "Sales Period"
    _closed_states = {'closed'}

    _draft = {'readonly': Eval('state') != 'draft'}

    name = fields.Char("Name", required=True, states=_draft)
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_draft)
    fiscalyear = fields.Many2One(
        'account.fiscalyear', "Fiscal Year", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))], states=_draft)
    type = fields.Selection(PERIOD_TYPES, "Type", required=True, states=_draft)
    start_date = fields.Date(
        "Start Date", required=True, states=_draft,
        domain=[('start_date', '<=', Eval('end_date', None))])
    end_date = fields.Date(
        "End Date", required=True, states=_draft,
        domain=[('end_date', '>=', Eval('start_date', None))])
    state = fields.Selection(PERIOD_STATES, "State", readonly=True,
        required=True, sort=False)
    forecasts = fields.One2Many('crm.forecast', 'period', "Forecasts",
        readonly=True)

    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('period_unique',
                Unique(t, t.company, t.type, t.start_date),
                'crm_plus.msg_sales_period_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.start_date, Index.Range()),
                (t.end_date, Index.Range())))
        cls._order = [
            ('start_date', 'DESC'), ('type', 'ASC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'open'),
            ('open', 'closed'),
            ('closed', 'open'),
            }
        cls._buttons.update({
                'open': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                'reopen': {
                    'invisible': Eval('state') != 'closed',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def default_type(cls):
        return 'month'

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def validate_fields(cls, periods, field_names):
        super().validate_fields(periods, field_names)
        if field_names & {'start_date', 'end_date', 'fiscalyear'}:
            for period in periods:
                fiscalyear = period.fiscalyear
                if fiscalyear and not (
                        fiscalyear.start_date <= period.start_date
                        and period.end_date <= fiscalyear.end_date):
                    raise ValidationError(gettext(
                            'crm_plus.msg_sales_period_fiscalyear',
                            period=period.rec_name,
                            fiscalyear=fiscalyear.rec_name))

    @classmethod
    def delete(cls, periods):
        for period in periods:
            if period.state != 'draft':
                raise AccessError(gettext(
                        'crm_plus.msg_sales_period_delete',
                        period=period.rec_name))
        super().delete(periods)

    @classmethod
    @ModelView.button
    @Workflow.transition('open')
    def open(cls, periods):
        Forecast = Pool().get('crm.forecast')
        cls.lock(periods)
        closed = [p.id for p in periods if p.state == 'closed']
        if closed:
            # A reopened period follows the opportunities again, as they
            # are now: the figures stored at its close are dropped.
            Forecast.thaw(cls._forecasts(closed))

    @classmethod
    @ModelView.button
    def reopen(cls, periods):
        "Open closed periods again, to correct their forecasts"
        cls.open(periods)

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, periods):
        Forecast = Pool().get('crm.forecast')
        cls.lock(periods)
        # Stored while the period is still open (the transition writes the
        # state afterwards), from the opportunities as they are now.
        Forecast.freeze(cls._forecasts([p.id for p in periods]))

    @classmethod
    def _forecasts(cls, period_ids):
        """Every forecast of the periods, whoever opens or closes them: the
        period freezes all its forecasts, not those the user may read"""
        Forecast = Pool().get('crm.forecast')
        with without_check_access():
            return Forecast.search([('period', 'in', period_ids)])

    @classmethod
    def create_periods(cls, fiscalyear):
        """Create the months and quarters of the fiscal year that do not
        exist yet and return them"""
        existing = {(p.type, p.start_date) for p in cls.search([
                    ('company', '=', fiscalyear.company.id),
                    ('start_date', '>=', fiscalyear.start_date),
                    ('start_date', '<=', fiscalyear.end_date),
                    ])}
        months = []
        start = fiscalyear.start_date
        while start <= fiscalyear.end_date:
            end = min(start + relativedelta(months=1, days=-1),
                fiscalyear.end_date)
            months.append((start, end))
            start = end + datetime.timedelta(days=1)
        to_create = []

        def add(type_, name, start, end):
            if (type_, start) not in existing:
                to_create.append({
                        'name': name,
                        'company': fiscalyear.company.id,
                        'fiscalyear': fiscalyear.id,
                        'type': type_,
                        'start_date': start,
                        'end_date': end,
                        })
        for start, end in months:
            add('month', start.strftime('%Y-%m'), start, end)
        # The quarters of the fiscal year, counted from its first month.
        for number, index in enumerate(range(0, len(months), 3), 1):
            quarter = months[index:index + 3]
            add('quarter', '%s Q%s' % (fiscalyear.name, number),
                quarter[0][0], quarter[-1][1])
        return cls.create(to_create)


class SalesPeriodCreateStart(ModelView):
    "Create Sales Periods"
    __name__ = 'crm.sales_period.create.start'
    __string__ = "Create Sales Periods"

    company = fields.Many2One('company.company', "Company", required=True)
    fiscalyear = fields.Many2One(
        'account.fiscalyear', "Fiscal Year", required=True,
        domain=[('company', '=', Eval('company', -1))],
        help="The months and the quarters of this fiscal year are created, "
        "except those that exist.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_fiscalyear(cls):
        context = Transaction().context
        if context.get('active_model') == 'account.fiscalyear':
            return context.get('active_id')


class SalesPeriodCreate(Wizard):
    "Create Sales Periods"
    __name__ = 'crm.sales_period.create'
    start = StateView('crm.sales_period.create.start',
        'crm_plus.sales_period_create_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Create", 'create_', 'tryton-ok', default=True),
            ])
    create_ = StateTransition()

    def transition_create_(self):
        Pool().get('crm.sales_period').create_periods(self.start.fiscalyear)
        return 'end'
