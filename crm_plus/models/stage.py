# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Sales methods, their stages, the stage history and the funnel.

A sales method is an ordered list of stages (Qualification, Proposal, ...)
each with a probability, an ideal share of the funnel, an expected duration
and a checklist of opportunity fields to fill before moving on. Every stage
change of an opportunity is recorded in its stage history, from which the
days in the current stage and in the preparation and realization phases are
computed in SQL for a whole batch of opportunities.
"""
import datetime
from collections import defaultdict

from sql import Literal, Null, Window
from sql.aggregate import Count, Sum
from sql.conditionals import Case, Coalesce, NullIf
from sql.functions import Extract, Function

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, fields, sequence_ordered)
from trytond.model.exceptions import ValidationError
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .mixins import OrganisationFilterMixin, organisation_where
from .visibility import readable_opportunities

PHASES = [
    ('preparation', "Preparation"),
    ('realization', "Realization"),
    ]
# The states of an opportunity still in the funnel
OPEN_STATES = ['lead', 'opportunity', 'converted']
ENDED_STATES = {'won', 'lost', 'cancelled'}
SECONDS_PER_DAY = 24 * 60 * 60


class _JulianDay(Function):
    __slots__ = ()
    _function = 'JULIANDAY'


def days_between(start, end):
    "SQL expression of the days (with fraction) from start to end"
    if backend.name == 'sqlite':
        # SQLite's own day numbers: trytond's EXTRACT for SQLite is a
        # Python function, called for every row.
        return _JulianDay(end) - _JulianDay(start)
    return (Extract('EPOCH', end) - Extract('EPOCH', start)) / SECONDS_PER_DAY


class SalesMethod(DeactivableMixin, ModelSQL, ModelView):
    "Sales method"
    __name__ = 'crm.sales_method'
    __string__ = "Sales Method"

    name = fields.Char("Name", required=True, translate=True)
    company = fields.Many2One(
        'company.company', "Company",
        help="Leave empty to use the method in every company.")
    description = fields.Text("Description", translate=True)
    stages = fields.One2Many(
        'crm.stage', 'sales_method', "Stages",
        order=[('sequence', 'ASC NULLS FIRST'), ('id', 'ASC')])

    @classmethod
    def validate(cls, methods):
        super().validate(methods)
        cls.check_funnel_shares(methods)

    @classmethod
    def check_funnel_shares(cls, methods):
        "The ideal funnel of a method cannot exceed the whole funnel"
        for method in methods:
            total = sum(s.funnel_share or 0 for s in method.stages)
            # Shares are stored with 4 digits
            if round(total, 4) > 1:
                raise ValidationError(gettext(
                        'crm_plus.msg_sales_method_funnel_share',
                        method=method.rec_name,
                        share='%g' % round(total * 100, 2)))

    def first_stage(self):
        return self.stages[0] if self.stages else None


class Stage(sequence_ordered(), ModelSQL, ModelView):
    "Stage of a sales method"
    __name__ = 'crm.stage'
    __string__ = "Stage"

    sales_method = fields.Many2One(
        'crm.sales_method', "Sales Method", required=True,
        ondelete='CASCADE')
    name = fields.Char("Name", required=True, translate=True)
    probability = fields.Float(
        "Probability", digits=(1, 4), required=True,
        domain=[
            ('probability', '>=', 0),
            ('probability', '<=', 1),
            ],
        help="The conversion probability of opportunities in this stage.")
    funnel_share = fields.Float(
        "Funnel Share", digits=(1, 4),
        domain=['OR',
            ('funnel_share', '=', None),
            [
                ('funnel_share', '>=', 0),
                ('funnel_share', '<=', 1),
                ],
            ],
        help="The share of the open opportunities that should be "
        "in this stage in an ideal funnel.")
    expected_days = fields.Integer(
        "Expected Days",
        domain=['OR',
            ('expected_days', '=', None),
            ('expected_days', '>=', 0),
            ],
        help="How long an opportunity is expected to stay in this stage.")
    phase = fields.Selection(
        PHASES, "Phase", required=True, sort=False,
        help="The days spent in the stages of each phase "
        "sum up to the days in preparation and in realization.")
    required_fields = fields.Many2Many(
        'crm.stage.required_field', 'stage', 'field', "Required Fields",
        domain=[('model', '=', 'sale.opportunity')],
        help="The fields of the opportunity to fill "
        "before it moves past this stage.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.sales_method, Index.Range())))
        cls._order.insert(0, ('sales_method', 'ASC'))

    @classmethod
    def default_probability(cls):
        return 0

    @classmethod
    def default_phase(cls):
        return 'preparation'

    def get_rec_name(self, name):
        if self.probability is not None:
            return '%s (%g %%)' % (self.name, round(self.probability * 100, 2))
        return self.name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('name',) + tuple(clause[1:])]

    @classmethod
    def validate(cls, stages):
        super().validate(stages)
        SalesMethod = Pool().get('crm.sales_method')
        SalesMethod.check_funnel_shares(
            SalesMethod.browse({s.sales_method.id for s in stages}))


class StageRequiredField(ModelSQL):
    "Field required to leave a stage"
    __name__ = 'crm.stage.required_field'
    __string__ = "Stage Required Field"

    stage = fields.Many2One(
        'crm.stage', "Stage", required=True, ondelete='CASCADE')
    field = fields.Many2One(
        'ir.model.field', "Field", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.stage, Index.Range())))


class StageHistory(ModelSQL, ModelView):
    "Stage history of an opportunity"
    __name__ = 'crm.stage.history'
    __string__ = "Stage History"

    opportunity = fields.Many2One(
        'sale.opportunity', "Opportunity", required=True, readonly=True,
        ondelete='CASCADE')
    stage = fields.Many2One(
        'crm.stage', "Stage", required=True, readonly=True,
        ondelete='RESTRICT')
    phase = fields.Function(
        fields.Selection(PHASES, "Phase"), 'get_phase')
    start = fields.DateTime("Start", required=True, readonly=True)
    end = fields.DateTime("End", readonly=True)
    user = fields.Many2One(
        'res.user', "User", readonly=True, ondelete='SET NULL',
        help="Who moved the opportunity into the stage.")
    # Rounded by the getter: digits would be validated on every write.
    days = fields.Function(fields.Float("Days"), 'get_days')
    expected_days = fields.Function(
        fields.Integer("Expected Days"), 'get_expected_days')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.opportunity, Index.Range())),
                Index(t, (t.stage, Index.Range())),
                })
        cls._order = [('start', 'DESC'), ('id', 'DESC')]

    def get_phase(self, name):
        return self.stage.phase

    def get_expected_days(self, name):
        return self.stage.expected_days

    @classmethod
    def get_days(cls, records, name):
        Opportunity = Pool().get('sale.opportunity')
        now = Opportunity._stage_now()
        return {
            r.id: round(
                ((r.end or now) - r.start).total_seconds() / SECONDS_PER_DAY,
                2)
            for r in records}

    @classmethod
    def _open(cls, opportunities, at):
        "Open a row for the current stage of each opportunity"
        user = Transaction().user
        to_create = [{
                'opportunity': o.id,
                'stage': o.stage.id,
                'start': at,
                'user': user,
                } for o in opportunities if o.stage]
        if to_create:
            with without_check_access():
                cls.create(to_create)

    @classmethod
    def _close(cls, opportunities, at):
        "Close the open rows of the opportunities"
        ids = [o.id for o in opportunities]
        rows = []
        for sub_ids in _chunks(ids):
            rows.extend(cls.search([
                        ('opportunity', 'in', sub_ids),
                        ('end', '=', None),
                        ], order=[]))
        if rows:
            with without_check_access():
                cls.write(rows, {'end': at})


def _chunks(ids):
    # A few parameters are kept for the rest of the query.
    for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS - 10):
        yield list(sub_ids)


class Team(metaclass=PoolMeta):
    __name__ = 'crm.team'

    sales_method = fields.Many2One(
        'crm.sales_method', "Sales Method", ondelete='RESTRICT',
        domain=[
            ('company', 'in', [None, Eval('company', -1)]),
            ],
        help="The sales method of the opportunities of the team.")


class Configuration(metaclass=PoolMeta):
    __name__ = 'crm.configuration'

    default_sales_method = fields.Many2One(
        'crm.sales_method', "Default Sales Method", ondelete='RESTRICT',
        help="The sales method of opportunities "
        "whose sales team has none.")


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    _stage_states = {
        'readonly': Eval('state').in_(list(ENDED_STATES)),
        }

    sales_method = fields.Many2One(
        'crm.sales_method', "Sales Method", ondelete='RESTRICT',
        domain=[
            ('company', 'in', [None, Eval('company', -1)]),
            ],
        states=_stage_states,
        help="Defaults to the sales method of the sales team, "
        "else to the one of the configuration.")
    stage = fields.Many2One(
        'crm.stage', "Stage", ondelete='RESTRICT',
        domain=[
            ('sales_method', '=', Eval('sales_method', -1)),
            ],
        states={
            'readonly': (_stage_states['readonly']
                | ~Eval('sales_method')),
            },
        help="Moving the stage sets the conversion probability "
        "unless it was entered by hand.")
    probability_manual = fields.Boolean(
        "Manual Probability",
        states=_stage_states,
        help="The conversion probability was entered by hand "
        "and no longer follows the stage.")
    stage_since = fields.DateTime(
        "In Stage Since", readonly=True,
        help="When the opportunity entered its current stage.")
    stage_history = fields.One2Many(
        'crm.stage.history', 'opportunity', "Stage History", readonly=True)
    # Without digits: the validation of every create and write would
    # compute them. The getter rounds them to hundredths of a day.
    days_in_stage = fields.Function(
        fields.Float("Days in Stage"), 'get_stage_days')
    preparation_days = fields.Function(
        fields.Float("Days in Preparation"), 'get_stage_days')
    realization_days = fields.Function(
        fields.Float("Days in Realization"), 'get_stage_days')
    expected_days = fields.Function(
        fields.Integer("Expected Days in Stage"), 'get_expected_days')

    del _stage_states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.stage, Index.Range())),
                # Early warnings look for opportunities long in a stage.
                Index(t, (t.stage_since, Index.Range())),
                })
        movable = Eval('state').in_(OPEN_STATES) & Bool(Eval('stage'))
        cls._buttons.update({
                'previous_stage': {
                    'invisible': ~movable,
                    'icon': 'tryton-back',
                    'depends': ['state', 'stage'],
                    },
                'next_stage': {
                    'invisible': ~movable,
                    'icon': 'tryton-forward',
                    'depends': ['state', 'stage'],
                    },
                'stage_probability': {
                    'invisible': (~Eval('probability_manual')
                        | ~Eval('state').in_(OPEN_STATES)),
                    'icon': 'tryton-refresh',
                    'depends': ['state', 'probability_manual'],
                    },
                })

    @classmethod
    def _stage_now(cls):
        "The time of stage changes (tests replace it)"
        return datetime.datetime.now()

    @classmethod
    def default_probability_manual(cls):
        return False

    @classmethod
    def default_sales_method(cls):
        method = cls._configured_sales_method()
        return method.id if method else None

    @classmethod
    def default_stage(cls):
        method = cls._configured_sales_method()
        if method:
            stage = method.first_stage()
            return stage.id if stage else None

    @classmethod
    def default_conversion_probability(cls):
        # Clients run the on_change of default values: a probability that
        # is not the default stage's would count as entered by hand.
        Stage = Pool().get('crm.stage')
        stage = cls.default_stage()
        if stage is not None:
            return Stage(stage).probability
        return super().default_conversion_probability()

    @classmethod
    def _configured_sales_method(cls):
        Configuration = Pool().get('crm.configuration')
        return Configuration(1).default_sales_method

    @fields.depends(methods=['on_change_team'])
    def on_change_party(self):
        super().on_change_party()
        # The party may have given the team
        self.on_change_team()

    @fields.depends(methods=['on_change_team'])
    def on_change_employee(self):
        super().on_change_employee()
        self.on_change_team()

    @fields.depends('team', 'sales_method', 'stage', 'state',
        methods=['on_change_sales_method'])
    def on_change_team(self):
        if (self.team and self.team.sales_method
                and self.team.sales_method != self.sales_method
                and (self.state or 'lead') in {'lead', 'opportunity'}):
            self.sales_method = self.team.sales_method
            self.on_change_sales_method()

    @fields.depends('sales_method', 'stage',
        methods=['on_change_stage'])
    def on_change_sales_method(self):
        if self.stage and self.stage.sales_method != self.sales_method:
            self.stage = None
        if not self.stage and self.sales_method:
            self.stage = self.sales_method.first_stage()
        self.on_change_stage()

    @fields.depends('stage', 'probability_manual', 'conversion_probability')
    def on_change_stage(self):
        if self.stage and not self.probability_manual:
            self.conversion_probability = self.stage.probability

    @fields.depends('stage', 'conversion_probability')
    def on_change_conversion_probability(self):
        self.probability_manual = self._is_probability_manual(
            self.stage, self.conversion_probability)

    @fields.depends('stage', 'probability_manual', 'conversion_probability')
    def on_change_probability_manual(self):
        if not self.probability_manual and self.stage:
            self.conversion_probability = self.stage.probability

    @staticmethod
    def _is_probability_manual(stage, probability):
        return bool(stage and probability is not None
            and round(probability, 4) != round(stage.probability, 4))

    def _default_sales_method(self):
        if self.team and self.team.sales_method:
            return self.team.sales_method
        return self._configured_sales_method()

    @classmethod
    def get_stage_days(cls, opportunities, names):
        "Days in the current stage and per phase, for all ids at once"
        pool = Pool()
        History = pool.get('crm.stage.history')
        Stage = pool.get('crm.stage')
        history = History.__table__()
        stage = Stage.__table__()
        opportunity = cls.__table__()
        cursor = Transaction().connection.cursor()
        now = cls._stage_now()

        result = {n: {o.id: None for o in opportunities} for n in names}
        ids = [o.id for o in opportunities]
        days = days_between(history.start, Coalesce(history.end, now))
        for sub_ids in _chunks(ids):
            # One query gives the three figures: the current stage's row is
            # the one that started when the opportunity entered the stage.
            query = (history
                .join(stage, condition=history.stage == stage.id)
                .join(opportunity,
                    condition=history.opportunity == opportunity.id)
                .select(
                    history.opportunity,
                    Sum(Case(
                            ((history.start == opportunity.stage_since)
                                & (history.stage == opportunity.stage),
                                days),
                            else_=Null)),
                    Sum(Case(
                            (stage.phase == 'preparation', days),
                            else_=Literal(0))),
                    Sum(Case(
                            (stage.phase == 'realization', days),
                            else_=Literal(0))),
                    where=history.opportunity.in_(sub_ids),
                    group_by=[history.opportunity]))
            cursor.execute(*query)
            for id_, in_stage, preparation, realization in cursor:
                values = {
                    'days_in_stage': in_stage,
                    'preparation_days': preparation,
                    'realization_days': realization,
                    }
                for name in names:
                    value = values[name]
                    result[name][id_] = (
                        round(float(value), 2) if value is not None
                        else None)
        return result

    def get_expected_days(self, name):
        return self.stage.expected_days if self.stage else None

    @classmethod
    @ModelView.button
    def previous_stage(cls, opportunities):
        cls._move_stage(opportunities, -1)

    @classmethod
    @ModelView.button
    def next_stage(cls, opportunities):
        cls._move_stage(opportunities, 1)

    @classmethod
    def _move_stage(cls, opportunities, step):
        to_write = defaultdict(list)
        for opportunity in opportunities:
            if not opportunity.stage or opportunity.state not in OPEN_STATES:
                continue
            stages = list(opportunity.stage.sales_method.stages)
            index = stages.index(opportunity.stage) + step
            if 0 <= index < len(stages):
                to_write[stages[index]].append(opportunity)
        args = []
        for stage, records in to_write.items():
            args.extend((records, {'stage': stage.id}))
        if args:
            cls.write(*args)

    @classmethod
    @ModelView.button
    def stage_probability(cls, opportunities):
        cls.write(opportunities, {'probability_manual': False})

    @classmethod
    def create(cls, vlist):
        # The team may only be known once created (from party or employee):
        # its method then wins over the configuration's default.
        defaulted = ['sales_method' not in v for v in vlist]
        staged = [bool(v.get('stage')) for v in vlist]
        opportunities = super().create(vlist)
        # Whatever the client, a new opportunity gets its method and first
        # stage, follows the stage's probability and starts its history.
        now = cls._stage_now()
        to_write = defaultdict(list)
        for opportunity, default in zip(opportunities, defaulted):
            values = {}
            method = opportunity.sales_method
            if default or not method:
                method = opportunity._default_sales_method()
                if method != opportunity.sales_method:
                    values['sales_method'] = method.id if method else None
            stage = opportunity.stage
            if stage and stage.sales_method != method:
                stage = None
            if not stage and method:
                stage = method.first_stage()
            if stage != opportunity.stage:
                values['stage'] = stage.id if stage else None
            if stage:
                values['stage_since'] = now
                if (not opportunity.probability_manual
                        and opportunity.conversion_probability
                        != stage.probability):
                    values['conversion_probability'] = stage.probability
            if values:
                to_write[tuple(sorted(values.items()))].append(opportunity)
        if to_write:
            args = []
            for values, records in to_write.items():
                args.extend((records, dict(values)))
            with without_check_access():
                super().write(*args)
            History = Pool().get('crm.stage.history')
            History._open(
                [o for o in cls.browse(opportunities) if o.stage], now)
        # Created in a later stage, it passed the earlier ones.
        cls.check_stage_required_fields(
            cls.browse([o for o, s in zip(opportunities, staged) if s]), {})
        return opportunities

    @classmethod
    def write(cls, *args):
        pool = Pool()
        History = pool.get('crm.stage.history')
        now = cls._stage_now()

        actions = iter(args)
        args = []
        # Opportunities by what happens to their history
        moved, ended, reopened = set(), set(), set()
        previous_stages = {}
        for records, values in zip(actions, actions):
            values = values.copy()
            if 'stage' in values:
                for record in records:
                    previous_stages[record.id] = record.stage
            args.extend(cls._stage_write_args(records, values, now))
            for record in records:
                if 'stage' in values and values['stage'] != (
                        record.stage.id if record.stage else None):
                    moved.add(record.id)
                if 'state' in values:
                    if (values['state'] in ENDED_STATES
                            and record.state not in ENDED_STATES):
                        ended.add(record.id)
                    elif (values['state'] not in ENDED_STATES
                            and record.state in ENDED_STATES):
                        reopened.add(record.id)
        if not args:
            return
        super().write(*args)

        if moved:
            cls.check_stage_required_fields(
                cls.browse(list(moved)), previous_stages)
        to_close = moved | ended
        # A reopened opportunity is back in its stage from now on.
        to_open = (moved | reopened) - ended
        if to_close or to_open:
            History._close(cls.browse(list(to_close | to_open)), now)
        if to_open:
            records = [o for o in cls.browse(list(to_open))
                if o.state not in ENDED_STATES]
            if records:
                with without_check_access():
                    super().write(records, {'stage_since': now})
                History._open(records, now)

    @classmethod
    def _stage_write_args(cls, records, values, now):
        """Split the write per record when the probability must follow the
        stage or the manual flag depends on the record's stage

        Unless it is manual, the probability takes the stage's when the
        stage changes or when the manual flag is cleared; a probability
        written without the flag is manual when it is not the stage's."""
        pool = Pool()
        Stage = pool.get('crm.stage')
        if not ({'stage', 'conversion_probability', 'probability_manual'}
                & values.keys()):
            return [records, values]
        if 'stage' in values:
            if not values['stage']:
                values['stage_since'] = None
        args = defaultdict(list)
        for record in records:
            record_values = values.copy()
            if 'stage' in values:
                stage = Stage(values['stage']) if values['stage'] else None
            else:
                stage = record.stage
            manual = values.get('probability_manual', None)
            if manual is None:
                if 'conversion_probability' in values:
                    manual = cls._is_probability_manual(
                        stage, values['conversion_probability'])
                    record_values['probability_manual'] = manual
                else:
                    manual = record.probability_manual
            moved = 'stage' in values and stage != record.stage
            cleared = (values.get('probability_manual') is False
                and 'conversion_probability' not in values)
            given = ('conversion_probability' in values
                and 'probability_manual' not in values)
            if stage and not manual and (moved or cleared or given):
                record_values['conversion_probability'] = stage.probability
            args[tuple(sorted(record_values.items()))].append(record)
        result = []
        for record_values, records in args.items():
            result.extend((records, dict(record_values)))
        return result

    @classmethod
    def check_stage_required_fields(cls, opportunities, previous):
        """The checklists of every stage before the one reached must be
        filled: a move back is free, any other move checks them all, so
        that no path of writes (through no stage, another method or a
        creation in a later stage) skips one"""
        # The stages of each method in their order, and the checklists of
        # the stages before each stage reached
        methods, passed = {}, {}
        for opportunity in opportunities:
            old, new = previous.get(opportunity.id), opportunity.stage
            if not new or not new.sales_method:
                continue
            method = new.sales_method
            if method.id not in methods:
                methods[method.id] = list(method.stages)
            stages = methods[method.id]
            if new.id not in passed:
                passed[new.id] = [
                    (stage, [f.name for f in stage.required_fields])
                    for stage in stages[:stages.index(new)]]
            if (old and old in stages
                    and stages.index(old) > stages.index(new)):
                continue
            for stage, names in passed[new.id]:
                missing = [n for n in names
                    if getattr(opportunity, n, None) in {None, '', ()}]
                if missing:
                    fields_ = cls.fields_get(missing)
                    raise ValidationError(gettext(
                            'crm_plus.msg_stage_required_fields',
                            opportunity=opportunity.rec_name,
                            stage=stage.name,
                            fields=', '.join(
                                fields_[n]['string'] for n in missing)))

    @classmethod
    def copy(cls, opportunities, default=None):
        default = default.copy() if default is not None else {}
        # A copy starts its own history in the stage it is created in.
        default.setdefault('stage_history', None)
        default.setdefault('stage_since', None)
        return super().copy(opportunities, default=default)


class FunnelContext(OrganisationFilterMixin, ModelView):
    "Funnel context"
    __name__ = 'crm.funnel.context'
    __string__ = "Funnel Context"

    company = fields.Many2One('company.company', "Company", required=True)
    sales_method = fields.Many2One(
        'crm.sales_method', "Sales Method",
        domain=[
            ('company', 'in', [None, Eval('company', -1)]),
            ],
        help="Leave empty to show the funnels of all methods.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_sales_method(cls):
        Configuration = Pool().get('crm.configuration')
        method = Configuration(1).default_sales_method
        if 'sales_method' in Transaction().context:
            return Transaction().context['sales_method']
        return method.id if method else None


class Funnel(ModelSQL, ModelView):
    "Funnel"
    __name__ = 'crm.funnel'
    __string__ = "Funnel"

    sales_method = fields.Many2One('crm.sales_method', "Sales Method")
    stage = fields.Many2One('crm.stage', "Stage")
    sequence = fields.Integer("Sequence")
    number = fields.Integer(
        "Number", help="The open opportunities in the stage.")
    amount = Monetary(
        "Amount", currency='currency', digits='currency',
        help="The amount of the open opportunities in the stage, "
        "in the currency of the company.")
    share = fields.Float(
        "Share", digits=(1, 4),
        help="The share of the open opportunities of the method "
        "that are in the stage.")
    ideal_share = fields.Float(
        "Ideal Share", digits=(1, 4),
        help="The funnel share of the stage.")
    ideal_number = fields.Float(
        "Ideal Number", digits=(16, 1),
        help="The number of opportunities the stage should have: "
        "its ideal share of the open opportunities of the method.")
    gap = fields.Float(
        "Gap", digits=(16, 1),
        help="The number minus the ideal number: "
        "positive when the stage holds more than its share.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"), 'get_currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('sales_method', 'ASC'),
            ('sequence', 'ASC NULLS FIRST'),
            ('id', 'ASC'),
            ]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        Stage = pool.get('crm.stage')
        context = Transaction().context

        stage = Stage.__table__()
        stage_where = Literal(True)
        if context.get('sales_method'):
            stage_where &= stage.sales_method == context['sales_method']
        if not context.get('_funnel_counts', True):
            # A search that neither filters nor sorts on the figures: the
            # rows are the stages, the figures come with the read.
            zero = Literal(0)
            return stage.select(
                stage.id.as_('id'),
                stage.id.as_('stage'),
                stage.sales_method.as_('sales_method'),
                stage.sequence.as_('sequence'),
                zero.as_('number'),
                cls.amount.sql_cast(zero).as_('amount'),
                cls.share.sql_cast(zero).as_('share'),
                cls.share.sql_cast(zero).as_('ideal_share'),
                cls.share.sql_cast(zero).as_('ideal_number'),
                cls.share.sql_cast(zero).as_('gap'),
                where=stage_where)

        opportunity = Opportunity.__table__()
        where = (opportunity.state.in_(OPEN_STATES)
            & (opportunity.company == context.get('company', -1)))
        where &= organisation_where(opportunity)
        readable = readable_opportunities(opportunity)
        if readable is not None:
            where &= readable
        counts = cls._counts(opportunity, where & (opportunity.stage != Null))

        number = Coalesce(counts.number, 0)
        per_stage = (stage
            .join(counts, 'LEFT', condition=counts.stage == stage.id)
            .select(
                stage.id.as_('id'),
                stage.sales_method.as_('sales_method'),
                stage.sequence.as_('sequence'),
                number.as_('number'),
                Coalesce(counts.amount, 0).as_('amount'),
                Coalesce(stage.funnel_share, 0).as_('ideal_share'),
                Sum(number, window=Window([stage.sales_method])).as_('total'),
                where=stage_where))

        float_ = cls.share.sql_cast
        total = float_(per_stage.total)
        ideal_number = float_(per_stage.ideal_share) * total
        return per_stage.select(
            per_stage.id.as_('id'),
            per_stage.id.as_('stage'),
            per_stage.sales_method.as_('sales_method'),
            per_stage.sequence.as_('sequence'),
            per_stage.number.as_('number'),
            cls.amount.sql_cast(per_stage.amount).as_('amount'),
            Coalesce(
                float_(per_stage.number) / NullIf(total, 0), 0).as_('share'),
            float_(per_stage.ideal_share).as_('ideal_share'),
            ideal_number.as_('ideal_number'),
            (float_(per_stage.number) - ideal_number).as_('gap'))

    @classmethod
    def _counts(cls, opportunity, where):
        """The number and the amount in the currency of the company of the
        context of the opportunities per stage

        Amounts in another currency are converted at the rates of the
        opportunity's start date; the company's own are summed as they are,
        without a rate."""
        pool = Pool()
        Company = pool.get('company.company')
        company_id = Transaction().context.get('company')
        amount = Coalesce(opportunity.amount, 0)
        if company_id is None or company_id < 0:
            return opportunity.select(
                opportunity.stage.as_('stage'),
                Count(opportunity.id).as_('number'),
                Sum(amount).as_('amount'),
                where=where, group_by=[opportunity.stage])
        currency = Company(company_id).currency.id
        if backend.name != 'postgresql':
            converted = Case(
                (opportunity.currency == currency, amount),
                else_=amount * cls._rate(currency, opportunity.start_date)
                / cls._rate(opportunity.currency, opportunity.start_date))
            return opportunity.select(
                opportunity.stage.as_('stage'),
                Count(opportunity.id).as_('number'),
                Sum(converted).as_('amount'),
                where=where, group_by=[opportunity.stage])
        # PostgreSQL estimates a sub-query per row as if it ran for every
        # row, even when it never does, and then compiles the query, which
        # takes longer than the counting: the rates are looked up per group.
        date = Case(
            (opportunity.currency == currency, Null),
            else_=opportunity.start_date)
        rows = opportunity.select(
            opportunity.id.as_('id'),
            opportunity.stage.as_('stage'),
            opportunity.currency.as_('currency'),
            date.as_('date'),
            amount.as_('amount'),
            where=where)
        groups = rows.select(
            rows.stage.as_('stage'),
            rows.currency.as_('currency'),
            rows.date.as_('date'),
            Count(rows.id).as_('number'),
            Sum(rows.amount).as_('amount'),
            group_by=[rows.stage, rows.currency, rows.date])

        converted = Case(
            (groups.currency == currency, groups.amount),
            else_=groups.amount * cls._rate(currency, groups.date)
            / cls._rate(groups.currency, groups.date))
        return groups.select(
            groups.stage.as_('stage'),
            # A sum of counts is a decimal number on PostgreSQL.
            cls.number.sql_cast(Sum(groups.number)).as_('number'),
            Sum(converted).as_('amount'),
            group_by=[groups.stage])

    @classmethod
    def _rate(cls, currency, date):
        "The SQL sub-query of the rate of the currency at the date"
        Rate = Pool().get('currency.currency.rate')
        rate = Rate.__table__()
        return rate.select(rate.rate,
            where=(rate.currency == currency) & (rate.date <= date),
            order_by=[rate.date.desc], limit=1)

    @classmethod
    def search(cls, domain, offset=0, limit=None, order=None, count=False,
            query=False):
        # The rows and their order are the stages' unless the search uses
        # the figures: these are then computed by the read only, once.
        with Transaction().set_context(
                _funnel_counts=cls._searches_figures(domain, order)):
            if count or query:
                return super().search(domain, offset=offset, limit=limit,
                    order=order, count=count, query=query)
            # Only the ids: the host would keep the empty figures of the
            # rows in the transaction's cache.
            select = super().search(domain, offset=offset, limit=limit,
                order=order, query=True)
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        cursor.execute(*select)
        ids = [i for i, in cursor]
        # The figures depend on the context, which does not key the
        # transaction's cache: those that an earlier search of the same
        # rows left in it are forgotten, as the host's search replaces them.
        cache = transaction.get_cache()[cls.__name__]
        for id_ in ids:
            cache.pop(id_, None)
        return cls.browse(ids)

    @classmethod
    def _searches_figures(cls, domain, order):
        "Whether a search of domain in order uses the figures of the rows"
        pool = Pool()
        Rule = pool.get('ir.rule')
        stage_fields = {'id', 'stage', 'sales_method', 'sequence'}
        names = set()

        def add_fields(domain):
            for clause in domain or []:
                if (isinstance(clause, (list, tuple)) and clause
                        and isinstance(clause[0], str)
                        and clause[0] not in {'AND', 'OR'}):
                    names.add(clause[0].split('.', 1)[0])
                elif isinstance(clause, (list, tuple)):
                    add_fields(clause)
        add_fields(domain)
        add_fields(Rule.domain_get(cls.__name__, mode='read'))
        for name, _ in (order or cls._order):
            names.add(name.split('.', 1)[0])
        return not names <= stage_fields

    def get_currency(self, name):
        Company = Pool().get('company.company')
        company = Transaction().context.get('company')
        if company is not None and company >= 0:
            return Company(company).currency.id
