# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Activities: the interactions with partners and the tasks of opportunities.

Calls, meetings, e-mails, letters, ... are planned, then done or cancelled.
Tasks are activities of a type flagged as task: they have an assignee (the
responsible employee) and a due date. Two crons remind the responsible
users before an activity and raise an alarm once an activity is overdue.
"""
import datetime
import re
from collections import defaultdict

from sql.conditionals import Case
from sql.functions import Extract

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSingleton, ModelSQL, ModelView, Workflow,
    fields, sequence_ordered)
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.tools import timezone as tz
from trytond.transaction import Transaction

from .mixins import CodeMixin, NotifyEmployeesMixin

# Longer activities are mistakes, whose end would fall beyond the dates
# the server can count.
MAX_DURATION = datetime.timedelta(days=3660)

STATES = [
    ('planned', "Planned"),
    ('done', "Done"),
    ('cancelled', "Cancelled"),
    ]
# The colours of the calendar events of the types without their own, picked
# by the id of the type: dark enough for the client's white text.
CALENDAR_COLORS = [
    '#1565c0', '#2e7d32', '#6a1b9a', '#5d4037', '#455a64', '#00838f',
    '#e65100', '#c62828', '#616161', '#ad1457',
    ]
COLOR_PATTERN = re.compile(r'^#[0-9a-fA-F]{6}$')


class ActivityType(
        CodeMixin, DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    "Activity type"
    __name__ = 'crm.activity.type'
    __string__ = "Activity Type"

    name = fields.Char("Name", required=True, translate=True)
    task = fields.Boolean(
        "Task",
        help="Activities of this type are tasks: "
        "they are assigned to an employee and have a due date.")
    default_duration = fields.TimeDelta(
        "Default Duration",
        domain=['OR',
            ('default_duration', '=', None),
            [('default_duration', '>=', datetime.timedelta()),
                ('default_duration', '<=', MAX_DURATION)],
            ],
        help="The duration proposed for new activities of this type.")
    color = fields.Char(
        "Color",
        help="The color of the activities of this type in the calendar, "
        "as #rrggbb.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # Users pick types in the order the administrator chose.
        cls._order.insert(0, ('sequence', 'ASC'))

    @classmethod
    def default_task(cls):
        return False

    @classmethod
    def validate_fields(cls, types, field_names):
        super().validate_fields(types, field_names)
        cls.check_color(types, field_names)

    @classmethod
    def check_color(cls, types, field_names=None):
        if field_names and 'color' not in field_names:
            return
        for type_ in types:
            if type_.color and not COLOR_PATTERN.match(type_.color):
                raise ValidationError(gettext(
                        'crm_plus.msg_activity_type_invalid_color',
                        color=type_.color,
                        type=type_.rec_name))

    @property
    def calendar_color(self):
        "The color of the type, else one of the palette by its id"
        if self.color:
            return self.color
        return CALENDAR_COLORS[self.id % len(CALENDAR_COLORS)]


class Activity(NotifyEmployeesMixin, Workflow, ModelSQL, ModelView):
    "Activity"
    __name__ = 'crm.activity'
    __string__ = "Activity"
    _rec_name = 'subject'

    _states = {
        'readonly': Eval('state') != 'planned',
        }

    type = fields.Many2One(
        'crm.activity.type', "Type", required=True, ondelete='RESTRICT',
        states=_states)
    task = fields.Function(
        fields.Boolean("Task"), 'on_change_with_task', searcher='search_task')
    subject = fields.Char("Subject", required=True, states=_states)
    description = fields.Text("Description")
    start = fields.DateTime("Start", required=True, states=_states)
    end = fields.DateTime("End", states=_states)
    duration = fields.TimeDelta(
        "Duration", states=_states,
        domain=['OR',
            ('duration', '=', None),
            [('duration', '>=', datetime.timedelta()),
                ('duration', '<=', MAX_DURATION)],
            ],
        help="Computed from the start and end; "
        "when entered, it sets the end.")
    due_date = fields.Date(
        "Due Date",
        states={
            'readonly': _states['readonly'],
            'required': Bool(Eval('task')),
            'invisible': ~Eval('task'),
            },
        help="The date by which the task must be done.")
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={
            'readonly': _states['readonly'] | (Eval('id', -1) >= 0),
            })
    employee = fields.Many2One(
        'company.employee', "Responsible", states=_states,
        domain=[('company', '=', Eval('company', -1))],
        help="The employee in charge; for a task, its assignee.")
    party = fields.Many2One(
        'party.party', "Party", ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    contact = fields.Many2One(
        'party.party', "Contact Person", ondelete='RESTRICT',
        domain=[('party_kind', '=', 'person')],
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    # Deleting a lead keeps what was done with the partner.
    opportunity = fields.Many2One(
        'sale.opportunity', "Opportunity", ondelete='SET NULL',
        domain=[('company', '=', Eval('company', -1))])
    reminder = fields.DateTime(
        "Reminder", states=_states,
        help="When to remind the responsible employee.")
    reminder_sent = fields.Boolean("Reminder Sent", readonly=True)
    completed_at = fields.DateTime("Completed at", readonly=True)
    completed_by = fields.Many2One(
        'res.user', "Completed by", readonly=True, ondelete='SET NULL')
    overdue = fields.Boolean(
        "Overdue", readonly=True,
        help="Still planned after its end or due date.")
    overdue_notified = fields.Boolean("Overdue Alarm Sent", readonly=True)
    calendar_color = fields.Function(
        fields.Char("Calendar Color"), 'get_calendar_color')
    agenda = fields.Function(
        fields.Integer(
            "Agenda",
            help="0 for the overdue activities, 1 for the other planned "
            "ones, 2 for those done or cancelled."),
        'get_agenda')

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.start, Index.Range(order='DESC'))),
                Index(t, (t.party, Index.Range())),
                Index(t, (t.contact, Index.Range())),
                Index(t, (t.opportunity, Index.Range())),
                Index(t, (t.employee, Index.Range()), (t.state, Index.Equality(
                            cardinality='low'))),
                Index(t, (t.type, Index.Range())),
                Index(t, (t.subject, Index.Similarity())),
                # The crons only look at planned activities.
                Index(t, (t.reminder, Index.Range()),
                    where=(t.state == 'planned') & ~t.reminder_sent),
                Index(t, (t.end, Index.Range()), (t.due_date, Index.Range()),
                    where=(t.state == 'planned') & ~t.overdue_notified),
                })
        cls._order = [('start', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('planned', 'done'),
            ('planned', 'cancelled'),
            ('done', 'planned'),
            ('cancelled', 'planned'),
            }
        cls._buttons.update({
                'complete': {
                    'invisible': Eval('state') != 'planned',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'planned',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'plan': {
                    'invisible': Eval('state') == 'planned',
                    'icon': If(Eval('state') == 'cancelled',
                        'tryton-undo', 'tryton-back'),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('state') == 'cancelled', 'muted',
                    If(Eval('overdue', False), 'danger',
                        If(Eval('state') == 'done', 'success', '')))),
            ]

    @classmethod
    def default_state(cls):
        return 'planned'

    @classmethod
    def default_start(cls):
        return datetime.datetime.now().replace(second=0, microsecond=0)

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_employee(cls):
        return Transaction().context.get('employee')

    @classmethod
    def default_reminder_sent(cls):
        return False

    @classmethod
    def default_overdue(cls):
        return False

    @classmethod
    def default_overdue_notified(cls):
        return False

    @classmethod
    def get_calendar_color(cls, activities, name):
        return {a.id: a.type.calendar_color for a in activities}

    def get_agenda(self, name):
        if self.state != 'planned':
            return 2
        return 0 if self.overdue else 1

    @classmethod
    def order_agenda(cls, tables):
        """The overdue activities first, then the other planned ones, the
        soonest first; then those done or cancelled, the latest first"""
        table, _ = tables[None]
        planned = table.state == 'planned'
        start = Extract('EPOCH', table.start)
        return [
            Case((planned & table.overdue, 0), (planned, 1), else_=2),
            Case((planned, start), else_=-start),
            ]

    @fields.depends('type')
    def on_change_with_task(self, name=None):
        return bool(self.type and self.type.task)

    @classmethod
    def search_task(cls, name, clause):
        return [('type.task',) + tuple(clause[1:])]

    @fields.depends('type', methods=['on_change_duration'])
    def on_change_type(self):
        if self.type and self.type.default_duration is not None:
            self.duration = self.type.default_duration
            self.on_change_duration()

    @fields.depends('start', 'end', 'duration')
    def on_change_start(self):
        if self.start and self.duration is not None:
            self.end = self.start + self.duration

    @fields.depends('start', 'end')
    def on_change_end(self):
        if self.start and self.end:
            self.duration = self.end - self.start

    @fields.depends('start', 'duration')
    def on_change_duration(self):
        if self.start and self.duration is not None:
            self.end = self.start + self.duration

    @fields.depends(
        'opportunity', '_parent_opportunity.party',
        'party', '_parent_party.id')
    def on_change_opportunity(self):
        if self.opportunity and self.opportunity.party and not self.party:
            self.party = self.opportunity.party

    @fields.depends(
        'contact', 'party', '_parent_party.id', '_parent_contact.id',
        methods=['_party_of_contact'])
    def on_change_contact(self):
        if self.contact and not self.party:
            self.party = self._party_of_contact()

    @fields.depends('contact')
    def _party_of_contact(self):
        """The partner an activity with the contact person is about.

        It is the contact's organisation, so that the activities with its
        people make up the history of the organisation; a person without
        an organisation is a partner in their own right.
        """
        if self.contact:
            return self.contact.organisation or self.contact

    def compute_fields(self, field_names=None):
        values = super().compute_fields(field_names)
        # The form fills end and duration through on_change; other clients
        # give either of them, so the other one is derived here the same
        # way: a new start or duration moves the end, a new end changes the
        # duration.
        changed = field_names is None or field_names & {
            'start', 'end', 'duration'}
        if changed and self.start:
            if (field_names is not None
                    and field_names & {'start', 'duration'}
                    and 'end' not in field_names
                    and self.duration is not None):
                end = self.start + self.duration
                if end != self.end:
                    values['end'] = end
            elif self.end:
                duration = self.end - self.start
                if duration != self.duration:
                    values['duration'] = duration
            else:
                duration = self.duration
                if duration is None and self.type:
                    duration = self.type.default_duration
                if duration is not None:
                    values['end'] = self.start + duration
                    if duration != self.duration:
                        values['duration'] = duration
        # A rescheduled activity or reminder gets its alarms again.
        if field_names and field_names & {'start', 'end', 'due_date'} and (
                self.overdue or self.overdue_notified):
            values.update(overdue=False, overdue_notified=False)
        if field_names and 'reminder' in field_names and self.reminder_sent:
            values['reminder_sent'] = False
        return values

    @classmethod
    def validate_fields(cls, activities, field_names):
        super().validate_fields(activities, field_names)
        cls.check_dates(activities, field_names)

    @classmethod
    def check_dates(cls, activities, field_names=None):
        if field_names and not (field_names & {'start', 'end'}):
            return
        for activity in activities:
            if (activity.start and activity.end
                    and activity.end < activity.start):
                raise ValidationError(gettext(
                        'crm_plus.msg_activity_end_before_start',
                        activity=activity.rec_name))

    @classmethod
    def create(cls, vlist):
        activities = super().create(vlist)
        # Activities created by other clients than the form (RPC, imports,
        # other modules) take the party of their opportunity or contact as
        # well.
        to_write = defaultdict(list)
        for activity in activities:
            if activity.party:
                continue
            if activity.opportunity and activity.opportunity.party:
                to_write[activity.opportunity.party.id].append(activity)
            elif activity.contact:
                party = activity._party_of_contact()
                to_write[party.id].append(activity)
        if to_write:
            args = []
            for party, records in to_write.items():
                args.extend((records, {'party': party}))
            cls.write(*args)
        return activities

    @classmethod
    def copy(cls, activities, default=None):
        default = default.copy() if default is not None else {}
        for name in [
                'completed_at', 'completed_by', 'reminder_sent', 'overdue',
                'overdue_notified']:
            default.setdefault(name)
        default.setdefault('state', 'planned')
        return super().copy(activities, default=default)

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def complete(cls, activities):
        cls.write(activities, {
                'completed_at': datetime.datetime.now(),
                'completed_by': Transaction().user,
                'overdue': False,
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, activities):
        cls.write(activities, {'overdue': False})

    @classmethod
    @ModelView.button
    @Workflow.transition('planned')
    def plan(cls, activities):
        cls.write(activities, {
                'completed_at': None,
                'completed_by': None,
                })

    def _format_when(self, lang, tzinfo):
        "The due date of a task, else the start in the time zone"
        if self.task and self.due_date:
            return lang.strftime(self.due_date)
        start = self.start.replace(tzinfo=tz.UTC)
        if tzinfo:
            start = start.astimezone(tzinfo)
        return lang.strftime(start, lang.date + ' %H:%M')

    @classmethod
    def _notification_email(cls):
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        return Configuration(1).activity_reminder_email

    @classmethod
    def _notification_texts(cls, activities, lang):
        timezones = {}
        texts = {}
        for activity in activities:
            company = activity.company
            if company.id not in timezones:
                timezones[company.id] = (
                    tz.get_tzinfo(company.timezone)
                    if company.timezone else None)
            description = gettext(
                'crm_plus.msg_activity_notification_description',
                type=activity.type.rec_name,
                date=activity._format_when(lang, timezones[company.id]))
            if activity.party:
                description += ' - ' + activity.party.rec_name
            texts[activity.id] = ({'activity': activity.rec_name}, description)
        return texts

    @classmethod
    def send_reminders(cls):
        "Remind the users of the responsible employee of due activities"
        now = datetime.datetime.now()
        activities = cls.search([
                ('state', '=', 'planned'),
                ('reminder', '<=', now),
                ('reminder_sent', '=', False),
                cls._cron_company_domain(),
                ])
        users = cls._users_of_employees(a.employee for a in activities)
        notices = []
        for activity in activities:
            for user in users.get(
                    activity.employee.id if activity.employee else None, []):
                notices.append(
                    (activity, user, 'crm_plus.msg_activity_reminder'))
        cls._notify(notices, 'tryton-date')
        cls.write(activities, {'reminder_sent': True})

    @classmethod
    def mark_overdue(cls):
        """Flag the planned activities past their end or due date

        The users of the responsible employee and of the leader of the
        employee's administrative team are alarmed once per activity.
        """
        pool = Pool()
        Date = pool.get('ir.date')
        now = datetime.datetime.now()
        today = Date.today()
        activities = cls.search([
                ('state', '=', 'planned'),
                ('overdue_notified', '=', False),
                cls._cron_company_domain(),
                ['OR',
                    [('type.task', '=', True), ('due_date', '<', today)],
                    [('type.task', '=', False), ['OR',
                            ('end', '<', now),
                            [('end', '=', None), ('start', '<', now)],
                            ]],
                    ],
                ])
        leaders = {}
        for activity in activities:
            employee = activity.employee
            team = employee.administrative_team if employee else None
            if team and team.leader and team.leader != employee:
                leaders[activity.id] = team.leader
        users = cls._users_of_employees(
            [a.employee for a in activities] + list(leaders.values()))
        notices = []
        for activity in activities:
            recipients = []
            if activity.employee:
                recipients.extend(users.get(activity.employee.id, []))
            if activity.id in leaders:
                recipients.extend(users.get(leaders[activity.id].id, []))
            for user in dict.fromkeys(recipients):
                notices.append(
                    (activity, user, 'crm_plus.msg_activity_overdue'))
        cls._notify(notices, 'tryton-warning')
        cls.write(activities, {'overdue': True, 'overdue_notified': True})


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "CRM configuration"
    __name__ = 'crm.configuration'
    __string__ = "CRM Configuration"

    activity_reminder_email = fields.Boolean(
        "Send Activity Reminders by E-mail",
        help="Also send the reminders and overdue alarms of activities "
        "to the e-mail address of the user.")

    @classmethod
    def default_activity_reminder_email(cls):
        return False


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    activities = fields.One2Many(
        'crm.activity', 'opportunity', "Activities",
        domain=[('company', '=', Eval('company', -1))])
    tasks = fields.One2Many(
        'crm.activity', 'opportunity', "Tasks",
        filter=[('type.task', '=', True)],
        domain=[
            ('company', '=', Eval('company', -1)),
            ('type.task', '=', True),
            ])

    @classmethod
    @ModelView.button_action('crm_plus.act_activity_plan_opportunity')
    def plan_activity(cls, opportunities):
        pass

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'plan_activity': {
                    'invisible': Eval('state').in_(['lost', 'cancelled']),
                    'icon': 'tryton-add',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def copy(cls, opportunities, default=None):
        default = default.copy() if default is not None else {}
        # The activities happened with the original, not with the copy.
        default.setdefault('activities')
        default.setdefault('tasks')
        return super().copy(opportunities, default=default)

    @classmethod
    def on_modification(cls, mode, opportunities, field_names=None):
        pool = Pool()
        Activity = pool.get('crm.activity')
        super().on_modification(mode, opportunities, field_names=field_names)
        # A lead's activities follow it to the partner it gets, so that they
        # appear on the partner once the lead is qualified or converted.
        if mode == 'write' and 'party' in field_names:
            by_opportunity = {
                o.id: o.party.id for o in opportunities if o.party}
            if not by_opportunity:
                return
            activities = Activity.search([
                    ('opportunity', 'in', list(by_opportunity)),
                    ('party', '=', None),
                    ])
            to_write = defaultdict(list)
            for activity in activities:
                to_write[by_opportunity[activity.opportunity.id]].append(
                    activity)
            if to_write:
                args = []
                for party, records in to_write.items():
                    args.extend((records, {'party': party}))
                Activity.write(*args)


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    activities = fields.One2Many('crm.activity', 'party', "Activities")
    # The activities with a contact person belong to the history of their
    # organisation; the person's own form lists them through this side.
    # Those of a person without organisation are already their own.
    contact_activities = fields.One2Many(
        'crm.activity', 'contact', "Activities as Contact Person",
        filter=[('party.party_kind', '=', 'organisation')],
        states={
            'invisible': Eval('party_kind') != 'person',
            })

    @classmethod
    @ModelView.button_action('crm_plus.act_activity_plan_party')
    def plan_activity(cls, parties):
        pass

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'plan_activity': {
                    'icon': 'tryton-add',
                    },
                })

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default is not None else {}
        # The activities happened with the original, not with the copy.
        default.setdefault('activities')
        default.setdefault('contact_activities')
        return super().copy(parties, default=default)


class PartyReplace(metaclass=PoolMeta):
    __name__ = 'party.replace'

    @classmethod
    def fields_to_replace(cls):
        return super().fields_to_replace() + [
            ('crm.activity', 'party'),
            ('crm.activity', 'contact'),
            ]


class PartyErase(metaclass=PoolMeta):
    __name__ = 'party.erase'

    def to_erase(self, party_id):
        pool = Pool()
        Activity = pool.get('crm.activity')
        # What was said with a person, and the files and notes kept with
        # it, is personal data; that an activity took place is not.
        return super().to_erase(party_id) + [
            (Activity, ['OR',
                    ('party', '=', party_id),
                    ('contact', '=', party_id),
                    ], True,
                ['subject', 'description'],
                ['****', None]),
            ]


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('crm.activity|send_reminders', "Send Activity Reminders"),
                ('crm.activity|mark_overdue', "Mark Overdue Activities"),
                ])
