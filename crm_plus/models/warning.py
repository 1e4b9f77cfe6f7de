# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Early warnings on the open opportunities.

Each kind of warning is one SQL query selecting the flagged opportunities,
so that lists compute and search them for any number of records with one
query per kind. Other areas add kinds by extending _warning_kinds and
_warning_queries. A daily cron notifies the users of the employee of each
opportunity newly flagged since its last run.
"""
import datetime
from collections import defaultdict

from sql import Literal, Null, Union
from sql.aggregate import Max
from sql.conditionals import Coalesce

from trytond import backend
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

from .mixins import NotifyEmployeesMixin
from .scorecard import OPEN_STATES


class Opportunity(NotifyEmployeesMixin, metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    warnings = fields.Function(
        fields.MultiSelection(
            [], "Warnings", sort=False,
            help="The early warnings raised on the open opportunity."),
        'get_warnings', searcher='search_warnings')
    warning_count = fields.Function(
        fields.Integer("Warning Count"), 'get_warnings')
    warnings_notified = fields.MultiSelection(
        [], "Warnings Notified", sort=False, readonly=True,
        help="The warnings already notified to the employee.")

    @classmethod
    def view_attributes(cls):
        # One rule for the rows of the list, since the last one given wins:
        # warnings first, then deals set aside (cancelled or on hold).
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('warning_count', 0) > 0, 'warning',
                    If(Eval('state').in_(['cancelled', 'frozen']),
                        'muted', ''))),
            ]

    @classmethod
    def _warning_kinds(cls):
        "Return the selection of the kinds of warning"
        return [
            ('inactive', "Inactive"),
            ('overdue', "Overdue"),
            ('low_score', "Low Score"),
            ('stage_overdue', "Stage Overdue"),
            ]

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # Set here for the kinds added by extensions of _warning_kinds.
        cls.warnings.selection = cls._warning_kinds()
        cls.warnings_notified.selection = cls._warning_kinds()

    @classmethod
    def _warning_queries(cls, ids=None):
        """Return by kind the query selecting the ids of the flagged
        opportunities among ids, or among all when ids is None"""
        pool = Pool()
        Activity = pool.get('crm.activity')
        Configuration = pool.get('crm.configuration')
        Date = pool.get('ir.date')
        Scorecard = pool.get('crm.scorecard')
        Stage = pool.get('crm.stage')
        config = Configuration(1)
        now = datetime.datetime.now()
        today = Date.today()

        def opportunities():
            table = cls.__table__()
            where = table.state.in_(OPEN_STATES)
            if ids is not None:
                where &= reduce_ids(table.id, ids)
            return table, where

        queries = {}

        # Inactive: no activity done since the limit, none planned ahead.
        opportunity, where = opportunities()
        done = Activity.__table__()
        planned = Activity.__table__()
        done_where = (done.state == 'done') & (done.opportunity != Null)
        planned_where = ((planned.state == 'planned')
            & (planned.opportunity != Null)
            & (Coalesce(planned.end, planned.start) >= now))
        if ids is not None:
            # Only the activities of the page: the index on the opportunity
            # spares the aggregation of every activity of the database.
            done_where &= reduce_ids(done.opportunity, ids)
            planned_where &= reduce_ids(planned.opportunity, ids)
        last_done = done.select(
            done.opportunity,
            Max(Coalesce(done.end, done.start)).as_('last'),
            where=done_where,
            group_by=done.opportunity)
        ahead = planned.select(planned.opportunity, where=planned_where)
        limit = now - datetime.timedelta(days=config.warning_inactive_days)
        queries['inactive'] = opportunity.join(
            last_done, 'LEFT',
            condition=last_done.opportunity == opportunity.id
            ).select(
                opportunity.id,
                where=where
                & (Coalesce(last_done.last, opportunity.create_date) < limit)
                & ~opportunity.id.in_(ahead))

        # Overdue: the expected closing date is passed.
        opportunity, where = opportunities()
        queries['overdue'] = opportunity.select(
            opportunity.id,
            where=where & (opportunity.end_date < today))

        # Low score: below the threshold, or dropped too much.
        opportunity, where = opportunities()
        scorecard = Scorecard.__table__()
        queries['low_score'] = opportunity.join(
            scorecard, 'LEFT',
            condition=opportunity.scorecard == scorecard.id
            ).select(
                opportunity.id,
                where=where & (opportunity.score != Null)
                & ((opportunity.score < scorecard.threshold)
                    | ((opportunity.previous_score - opportunity.score)
                        > config.warning_score_drop)))

        # Stage overdue: in the stage longer than its expected duration.
        # Stages are few, so their limits are computed here and the query
        # compares each opportunity's stage start with its stage's limit.
        opportunity, where = opportunities()
        stages_by_days = defaultdict(list)
        for stage in Stage.search([('expected_days', '!=', None)]):
            stages_by_days[stage.expected_days].append(stage.id)
        stalled = Literal(False)
        for days, stage_ids in stages_by_days.items():
            stalled |= (opportunity.stage.in_(stage_ids)
                & (opportunity.stage_since
                    < now - datetime.timedelta(days=days)))
        queries['stage_overdue'] = opportunity.select(
            opportunity.id, where=where & stalled)
        return queries

    @classmethod
    def get_warnings(cls, opportunities, names):
        cursor = Transaction().connection.cursor()
        order = [k for k, _ in cls._warning_kinds()]
        flags = defaultdict(set)
        for sub_ids in grouped_slice(
                [o.id for o in opportunities],
                backend.MAX_QUERY_PARAMS - 10):
            sub_ids = list(sub_ids)
            for kind, query in cls._warning_queries(sub_ids).items():
                cursor.execute(*query)
                for opportunity_id, in cursor:
                    flags[opportunity_id].add(kind)
        result = {}
        for name in names:
            result[name] = {}
            for opportunity in opportunities:
                kinds = [k for k in order if k in flags[opportunity.id]]
                if name == 'warnings':
                    result[name][opportunity.id] = kinds
                else:
                    result[name][opportunity.id] = len(kinds)
        return result

    @classmethod
    def search_warnings(cls, name, clause):
        """Search by kinds of warning

        'in' a list of kinds finds the opportunities flagged with any of
        them; '=' a kind those flagged with it; '=' None (or an empty list)
        those without warning and '!=' None those with any.
        """
        _, operator, value = clause[:3]
        queries = cls._warning_queries()
        if value is None or value == []:
            kinds = list(queries)
            operator = {'=': 'not in', '!=': 'in'}[operator]
        else:
            kinds = [value] if isinstance(value, str) else list(value)
            operator = {
                '=': 'in', 'in': 'in', '!=': 'not in', 'not in': 'not in',
                }[operator]
        kinds = [k for k in kinds if k in queries]
        if not kinds:
            return [('id', '=', -1)] if operator == 'in' else []
        query = queries[kinds[0]]
        if len(kinds) > 1:
            query = Union(*(queries[k] for k in kinds))
        return [('id', operator, query)]

    @classmethod
    def copy(cls, opportunities, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('warnings_notified')
        return super().copy(opportunities, default=default)

    @classmethod
    def _notification_texts(cls, opportunities, lang):
        kinds = dict(cls.fields_get(['warnings'])['warnings']['selection'])
        return {
            o.id: ({'opportunity': o.rec_name},
                ', '.join(kinds[k] for k in o.warnings))
            for o in opportunities}

    @classmethod
    def notify_warnings(cls):
        """Notify the users of the employee of the opportunities newly
        flagged since the last run; a flag that clears and comes back is
        notified again."""
        opportunities = cls.search([
                cls._cron_company_domain(),
                ['OR',
                    [
                        ('state', 'in', OPEN_STATES),
                        ('warnings', '!=', None),
                        ],
                    ('warnings_notified', '!=', None),
                    ],
                ])
        users = cls._users_of_employees(o.employee for o in opportunities)
        notices = []
        to_write = defaultdict(list)
        for opportunity in opportunities:
            current = tuple(opportunity.warnings)
            notified = set(opportunity.warnings_notified or ())
            if set(current) - notified and opportunity.employee:
                for user in users.get(opportunity.employee.id, []):
                    notices.append((
                            opportunity, user,
                            'crm_plus.msg_opportunity_warning_notification'))
            if set(current) != notified:
                to_write[current].append(opportunity)
        cls._notify(notices, 'tryton-warning')
        if to_write:
            args = []
            for kinds, records in to_write.items():
                args.extend((records, {'warnings_notified': kinds or None}))
            cls.write(*args)


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('sale.opportunity|notify_warnings',
                "Notify Opportunity Warnings"))
