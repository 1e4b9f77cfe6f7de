# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Who sees which CRM records: record rules by sales team.

The rules themselves are data (security/visibility.xml): a CRM user reads
and writes the records of the employees and the teams that the context of
the rules lists for them, a CRM manager everything of their companies, a
CRM accountant the opportunities converted to a sale or won. This file
gives the rules that context: which employees' and teams' records the user
sees, computed once per user and set of companies, and which of the user's
companies turned team visibility off. Reports that read opportunities in
SQL restrict their rows with `readable_opportunities`; exports check in SQL
the rules that go through a relation.
"""
from sql import Literal

from trytond.cache import Cache
from trytond.model import ModelSQL, fields
from trytond.modules.company.model import (
    CompanyMultiValueMixin, CompanyValueMixin)
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.tools.domain_inversion import is_leaf, simplify
from trytond.transaction import Transaction, without_check_access

# The models whose record rules use the context below: the opportunities
# (and through the host's access path their lines) and the CRM records
# hanging on them.
VISIBILITY_MODELS = {
    'sale.opportunity',
    'sale.opportunity.competitor',
    'sale.opportunity.influencer',
    'crm.activity',
    'crm.expense',
    'crm.scorecard.evaluation',
    'crm.scorecard.evaluation.answer',
    'crm.stage.history',
    }

# Per user and companies: the lists of the rules' context. Cleared with the
# rules' own cache whenever teams, their members, the employees of users or
# the setting change.
_visibility_cache = Cache('crm_plus.visibility', context=False)


def clear_visibility_cache():
    Rule = Pool().get('ir.rule')
    _visibility_cache.clear()
    Rule._domain_get_cache.clear()


def _visibility_context():
    """The employees and teams whose records the user sees and the
    companies of the user without team visibility"""
    pool = Pool()
    User = pool.get('res.user')
    transaction = Transaction()
    user_id = transaction.user
    companies = tuple(User.get_companies())
    key = (user_id, companies)
    cached = _visibility_cache.get(key)
    if cached is None:
        with without_check_access():
            cached = _compute_visibility(user_id, companies)
        _visibility_cache.set(key, cached)
    return {name: list(value) for name, value in cached.items()}


def _compute_visibility(user_id, companies):
    pool = Pool()
    Team = pool.get('crm.team')
    TeamMember = pool.get('crm.team.member')
    UserEmployee = pool.get('res.user-company.employee')
    Configuration = pool.get('crm.configuration')
    cursor = Transaction().connection.cursor()
    team, member = Team.__table__(), TeamMember.__table__()
    user_employee = UserEmployee.__table__()

    cursor.execute(*user_employee.select(
            user_employee.employee,
            where=user_employee.user == user_id))
    own = {e for e, in cursor}

    # The active teams the user's employees belong to or lead.
    kinds = {}
    administrative, cross_functional, led = set(), set(), set()
    if own:
        cursor.execute(*member.join(team,
                condition=member.team == team.id).select(
                team.id, team.kind,
                where=member.employee.in_(list(own))
                & (team.active == Literal(True))))
        for team_id, kind in cursor:
            kinds[team_id] = kind
            if kind == 'administrative':
                administrative.add(team_id)
            else:
                cross_functional.add(team_id)
        cursor.execute(*team.select(team.id, team.kind,
                where=team.leader.in_(list(own))
                & (team.active == Literal(True))))
        for team_id, kind in cursor:
            kinds[team_id] = kind
            led.add(team_id)
            if kind != 'administrative':
                cross_functional.add(team_id)

    # A member sees their administrative team; a leader the subtree of the
    # administrative teams they lead.
    people_teams = set(administrative)
    led_administrative = [t for t in led if kinds[t] == 'administrative']
    if led_administrative:
        people_teams.update(t.id for t in Team.search([
                    ('parent', 'child_of', led_administrative),
                    ('kind', '=', 'administrative'),
                    ]))

    # The people of a team are its members and its leader.
    employees = set(own)
    for sub_ids in grouped_slice(list(people_teams)):
        sub_ids = list(sub_ids)
        cursor.execute(*member.select(
                member.employee, where=member.team.in_(sub_ids)))
        employees.update(e for e, in cursor)
        cursor.execute(*team.select(
                team.leader,
                where=team.id.in_(sub_ids) & (team.leader != None)))  # noqa
        employees.update(e for e, in cursor)

    # Cross-functional teams share the records tagged with them only.
    teams = people_teams | cross_functional

    configuration = Configuration(1)
    open_companies = [c for c in companies
        if not configuration.get_multivalue('team_visibility', company=c)]
    return {
        'crm_employees': tuple(sorted(employees)),
        'crm_teams': tuple(sorted(teams)),
        'crm_open_companies': tuple(sorted(open_companies)),
        }


def readable_opportunities(table):
    """The condition on table, the SQL table of sale.opportunity, that keeps
    the opportunities the record rules let the user read, or None when they
    restrict nothing

    For reports that read opportunities in SQL, bypassing the rules that
    searches apply."""
    pool = Pool()
    Rule = pool.get('ir.rule')
    Opportunity = pool.get('sale.opportunity')
    domain = Rule.domain_get(Opportunity.__name__, mode='read')
    if not domain:
        return None
    # On the report's own table when the rules need no join: a filter of
    # its rows instead of a second scan of the opportunities.
    tables, expression = Opportunity.search_domain(
        domain, active_test=False, tables={None: (table, None)})
    if len(tables) > 1:
        return table.id.in_(Rule.query_get(Opportunity.__name__, mode='read'))
    return expression


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.domain.help += (
            '\n- "crm_employees" as list of ids of the employees whose '
            'CRM records the user sees'
            '\n- "crm_teams" as list of ids of the sales teams whose CRM '
            'records the user sees'
            '\n- "crm_open_companies" as list of ids of the companies of the '
            'user without team visibility')

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name in VISIBILITY_MODELS:
            context.update(_visibility_context())
            context['user_id'] = Transaction().user
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if VISIBILITY_MODELS.intersection(model_names):
            key = (*key, Transaction().user)
        return key

    @classmethod
    def get(cls, model_name, mode='read'):
        clause, clause_global = super().get(model_name, mode=mode)
        # The groups' rules are alternatives: when one lets the user see
        # everything (the managers'), the others would only slow down every
        # query.
        if (model_name in VISIBILITY_MODELS
                and any(not simplify(c) for c in clause.values())):
            clause.clear()
        return clause, clause_global


class Configuration(CompanyMultiValueMixin, metaclass=PoolMeta):
    __name__ = 'crm.configuration'

    team_visibility = fields.MultiValue(fields.Boolean(
            "Team Visibility",
            help="CRM users see and edit only their own records and those "
            "of their sales teams; when unchecked, every CRM user of the "
            "company sees everything."))

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field == 'team_visibility':
            return pool.get('crm.configuration.visibility')
        return super().multivalue_model(field)

    @classmethod
    def default_team_visibility(cls, **pattern):
        return Pool().get(
            'crm.configuration.visibility').default_team_visibility()


class VisibilityCacheMixin:
    "A model whose changes change who sees what: the setting, the teams"
    __slots__ = ()

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        clear_visibility_cache()


class ConfigurationVisibility(
        VisibilityCacheMixin, ModelSQL, CompanyValueMixin):
    "CRM configuration of visibility"
    __name__ = 'crm.configuration.visibility'
    __string__ = "CRM Configuration Visibility"

    team_visibility = fields.Boolean("Team Visibility")

    @classmethod
    def default_team_visibility(cls):
        return True


class Team(VisibilityCacheMixin, metaclass=PoolMeta):
    __name__ = 'crm.team'


class TeamMember(VisibilityCacheMixin, metaclass=PoolMeta):
    __name__ = 'crm.team.member'


class UserEmployee(VisibilityCacheMixin, metaclass=PoolMeta):
    __name__ = 'res.user-company.employee'


class OpportunityReportingMixin:
    "The host's opportunity reports count only the readable opportunities"
    __slots__ = ()

    @classmethod
    def _where(cls, tables, withs):
        where = super()._where(tables, withs)
        readable = readable_opportunities(tables['opportunity'])
        if readable is not None:
            where &= readable
        return where


class OpportunityReportingMain(
        OpportunityReportingMixin, metaclass=PoolMeta):
    __name__ = 'sale.opportunity.reporting.main'


class OpportunityReportingMainTimeseries(
        OpportunityReportingMixin, metaclass=PoolMeta):
    __name__ = 'sale.opportunity.reporting.main.time_series'


class OpportunityReportingWinRateMixin:
    """The win rate of the conversion reports: the share of the
    opportunities won among those decided, won or lost. The host's winning
    rate, kept as it is, divides by all of them, the open ones included
    unless the dates leave them out."""
    __slots__ = ()
    win_rate = fields.Function(fields.Float(
            "Win Rate", digits=(1, 4),
            help="The opportunities won among those won or lost."),
        'get_win_rate')

    def get_win_rate(self, name):
        decided = (self.won or 0) + (self.lost or 0)
        if decided:
            digits = self.__class__.win_rate.digits[1]
            return round(self.won / decided, digits)


class OpportunityReportingConversion(
        OpportunityReportingWinRateMixin, OpportunityReportingMixin,
        metaclass=PoolMeta):
    __name__ = 'sale.opportunity.reporting.conversion'


class OpportunityReportingConversionTimeseries(
        OpportunityReportingWinRateMixin, OpportunityReportingMixin,
        metaclass=PoolMeta):
    __name__ = 'sale.opportunity.reporting.conversion.time_series'


class OpportunityReportingConversionEmployee(
        OpportunityReportingWinRateMixin, OpportunityReportingMixin,
        metaclass=PoolMeta):
    __name__ = 'sale.opportunity.reporting.conversion.employee'


class OpportunityReportingConversionEmployeeTimeseries(
        OpportunityReportingWinRateMixin, OpportunityReportingMixin,
        metaclass=PoolMeta):
    __name__ = 'sale.opportunity.reporting.conversion.employee.time_series'


# The operators that the host's Python evaluation of domains takes as
# always true
_UNEVALUATED_OPERATORS = {
    'where', 'not where', 'child_of', 'not child_of', 'parent_of',
    'not parent_of'}


def _through_relation(domain):
    "Whether the domain has a condition through a relation"
    if is_leaf(domain):
        return '.' in domain[0] or domain[1] in _UNEVALUATED_OPERATORS
    elif isinstance(domain, str):
        return False
    return any(_through_relation(d) for d in domain)


class ExportRuleMixin:
    """The host checks the record rules of each exported record in Python,
    where a condition through a relation (the opportunity of an activity)
    always holds: the records whose rules have one are checked in SQL, as
    reads are."""
    __slots__ = ()

    def _ModelStorage__export_row(self, fields_names):
        Rule = Pool().get('ir.rule')
        domain = Rule.domain_get(self.__name__, mode='read')
        if domain and _through_relation(domain):
            Rule.check(self.__name__, [self.id], mode='read')
        return super()._ModelStorage__export_row(fields_names)


class Opportunity(ExportRuleMixin, metaclass=PoolMeta):
    __name__ = 'sale.opportunity'


class OpportunityLine(ExportRuleMixin, metaclass=PoolMeta):
    __name__ = 'sale.opportunity.line'


class OpportunityCompetitor(ExportRuleMixin, metaclass=PoolMeta):
    __name__ = 'sale.opportunity.competitor'


class OpportunityInfluencer(ExportRuleMixin, metaclass=PoolMeta):
    __name__ = 'sale.opportunity.influencer'


class Activity(ExportRuleMixin, metaclass=PoolMeta):
    __name__ = 'crm.activity'


class Expense(ExportRuleMixin, metaclass=PoolMeta):
    __name__ = 'crm.expense'


class Evaluation(ExportRuleMixin, metaclass=PoolMeta):
    __name__ = 'crm.scorecard.evaluation'


class EvaluationAnswer(ExportRuleMixin, metaclass=PoolMeta):
    __name__ = 'crm.scorecard.evaluation.answer'


class StageHistory(ExportRuleMixin, metaclass=PoolMeta):
    __name__ = 'crm.stage.history'
