# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Sales teams.

Administrative teams form the reporting hierarchy (each employee belongs to
at most one); cross-functional teams cut across it, so an employee may sit
in any number of them (the M x N matrix of the sales organisation).
"""
from sql import Literal
from sql.aggregate import Count

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields, tree)
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .mixins import CodeMixin

KINDS = [
    ('administrative', "Administrative"),
    ('cross_functional', "Cross-Functional"),
    ]


class Team(
        CodeMixin, DeactivableMixin, tree(separator=' / '),
        ModelSQL, ModelView):
    "Sales team"
    __name__ = 'crm.team'
    __string__ = "Sales Team"
    _code_scope = ('company',)
    _code_unique_message = 'crm_plus.msg_team_code_unique'

    name = fields.Char("Name", required=True, translate=True)
    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={
            'readonly': Eval('members', [0]) | Eval('children', [0]),
            })
    kind = fields.Selection(
        KINDS, "Kind", required=True, sort=False,
        help="Administrative teams form the hierarchy; "
        "cross-functional teams sit across it.")
    parent = fields.Many2One(
        'crm.team', "Parent", ondelete='RESTRICT',
        domain=[
            ('kind', '=', 'administrative'),
            ('company', '=', Eval('company', -1)),
            ],
        states={
            'invisible': Eval('kind') != 'administrative',
            })
    children = fields.One2Many(
        'crm.team', 'parent', "Sub-Teams",
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        states={
            'invisible': Eval('kind') != 'administrative',
            })
    leader = fields.Many2One(
        'company.employee', "Leader",
        domain=[('company', '=', Eval('company', -1))])
    members = fields.Many2Many(
        'crm.team.member', 'team', 'employee', "Members",
        domain=[('company', '=', Eval('company', -1))])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.parent, Index.Range())),
                Index(t, (t.leader, Index.Range())),
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def default_kind(cls):
        return 'administrative'

    @fields.depends('kind')
    def on_change_kind(self):
        if self.kind != 'administrative':
            self.parent = None

    @classmethod
    def validate_fields(cls, teams, field_names):
        super().validate_fields(teams, field_names)
        cls.check_kind(teams, field_names)

    @classmethod
    def check_kind(cls, teams, field_names=None):
        if field_names and not (field_names & {'kind', 'parent', 'children'}):
            return
        for team in teams:
            if team.kind != 'administrative' and (
                    team.parent or team.children):
                raise ValidationError(gettext(
                        'crm_plus.msg_team_cross_functional_hierarchy',
                        team=team.rec_name))
        # Turning an administrative team into a cross-functional one may make
        # two administrative memberships of the same employee collide.
        TeamMember = Pool().get('crm.team.member')
        TeamMember.check_one_administrative_team(
            TeamMember.search([('team', 'in', [t.id for t in teams])]))


class TeamMember(ModelSQL):
    "Sales team member"
    __name__ = 'crm.team.member'
    __string__ = "Sales Team Member"

    team = fields.Many2One(
        'crm.team', "Team", required=True, ondelete='CASCADE')
    employee = fields.Many2One(
        'company.employee', "Employee", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('team_employee_unique', Unique(t, t.team, t.employee),
                'crm_plus.msg_team_member_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.employee, Index.Range())))

    @classmethod
    def validate(cls, members):
        super().validate(members)
        cls.check_one_administrative_team(members)

    @classmethod
    def check_one_administrative_team(cls, members):
        "An employee reports into one administrative team only"
        pool = Pool()
        Team = pool.get('crm.team')
        employees = {m.employee.id for m in members}
        if not employees:
            return
        member, team = cls.__table__(), Team.__table__()
        cursor = Transaction().connection.cursor()
        query = member.join(team, condition=member.team == team.id).select(
            member.employee,
            where=member.employee.in_(list(employees))
            & (team.kind == 'administrative')
            & (team.active == Literal(True)),
            group_by=[member.employee],
            having=Count(member.team) > 1)
        cursor.execute(*query)
        row = cursor.fetchone()
        if row:
            Employee = pool.get('company.employee')
            raise ValidationError(gettext(
                    'crm_plus.msg_employee_one_administrative_team',
                    employee=Employee(row[0]).rec_name))


class Employee(metaclass=PoolMeta):
    __name__ = 'company.employee'

    crm_teams = fields.Many2Many(
        'crm.team.member', 'employee', 'team', "Sales Teams",
        domain=[('company', '=', Eval('company', -1))])
    administrative_team = fields.Function(
        fields.Many2One('crm.team', "Administrative Team"),
        'get_administrative_team', searcher='search_administrative_team')

    @classmethod
    def get_administrative_team(cls, employees, name):
        pool = Pool()
        Team = pool.get('crm.team')
        TeamMember = pool.get('crm.team.member')
        member, team = TeamMember.__table__(), Team.__table__()
        cursor = Transaction().connection.cursor()
        result = dict.fromkeys(map(int, employees))
        cursor.execute(*member.join(
                team, condition=member.team == team.id).select(
                member.employee, member.team,
                where=member.employee.in_(list(result))
                & (team.kind == 'administrative')
                & (team.active == Literal(True))))
        result.update(cursor)
        return result

    @classmethod
    def search_administrative_team(cls, name, clause):
        _, operator, operand, *extra = clause
        administrative = ('kind', '=', 'administrative')
        if operand is None and operator in {'=', '!='}:
            return [('crm_teams',
                    'not where' if operator == '=' else 'where',
                    [administrative])]
        field = clause[0][len(name) + 1:]
        if not field:
            field = 'rec_name' if isinstance(operand, str) else 'id'
        return [('crm_teams', 'where', [
                    administrative,
                    (field, operator, operand, *extra),
                    ])]

    @classmethod
    def copy(cls, employees, default=None):
        default = default.copy() if default is not None else {}
        # Copying an employee must not put the copy in the same
        # administrative team as the original.
        default.setdefault('crm_teams')
        return super().copy(employees, default=default)
