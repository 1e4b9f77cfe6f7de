# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import json
from collections import defaultdict
from email.message import EmailMessage

from sql import Column, Literal

from trytond import config
from trytond.i18n import gettext
from trytond.model import Index, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.sendmail import sendmail_transactional
from trytond.transaction import Transaction, without_check_access


class CodeMixin:
    """A named record with a unique code; users find it by either.

    Subclasses may set _code_scope to the names of the columns within which
    the code is unique (e.g. the company) and _code_unique_message.
    """
    __slots__ = ()
    _code_scope = ()
    _code_unique_message = 'crm_plus.msg_code_unique'

    code = fields.Char("Code", strip=True)

    @classmethod
    def __setup__(cls):
        cls.code.search_unaccented = False
        super().__setup__()
        t = cls.__table__()
        scope = [Column(t, name) for name in cls._code_scope]
        cls._sql_constraints += [
            ('code_unique', Unique(t, *scope, t.code),
                cls._code_unique_message),
            ]
        cls._sql_indexes.add(Index(t, (t.name, Index.Similarity())))
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def search_rec_name(cls, name, clause):
        if clause[1].startswith('!') or clause[1].startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            super().search_rec_name(name, clause),
            ('code', *clause[1:]),
            ]


class NotifyEmployeesMixin:
    """Records that notify the users working as an employee.

    Subclasses return the texts of their notifications with
    _notification_texts and may send them by e-mail too with
    _notification_email.
    """
    __slots__ = ()

    @classmethod
    def _users_of_employees(cls, employees):
        "Return the users working as each employee, by employee id"
        pool = Pool()
        User = pool.get('res.user')
        employee_ids = {e.id for e in employees if e}
        users = defaultdict(list)
        if employee_ids:
            for user in User.search([
                        ('employees', 'in', list(employee_ids)),
                        ]):
                for employee in user.employees:
                    if employee.id in employee_ids:
                        users[employee.id].append(user)
        return users

    @classmethod
    def _cron_company_domain(cls):
        # The crons run once per company set on them, or once for all when
        # none is set (as on a database created before its company).
        company = Transaction().context.get('company')
        return [('company', '=', company)] if company else []

    @classmethod
    def _notification_email(cls):
        "Whether the notifications are also sent by e-mail"
        return False

    @classmethod
    def _notification_texts(cls, records, lang):
        """Return by record id the arguments of the message of the label and
        the description of its notifications, in the language of lang"""
        raise NotImplementedError

    @classmethod
    def _notify(cls, notices, icon):
        """Create the in-client notifications of notices

        notices is a list of (record, user, message id); the text is in the
        language of each user.
        """
        pool = Pool()
        Notification = pool.get('res.notification')
        Lang = pool.get('ir.lang')
        send_email = cls._notification_email()
        from_ = config.get('email', 'from')

        by_language = defaultdict(list)
        for notice in notices:
            user = notice[1]
            by_language[user.language.code if user.language else None].append(
                notice)
        notifications = []
        for language, language_notices in by_language.items():
            with Transaction().set_context(language=language):
                lang = Lang.get(language)
                # Read the records once per language, in that language.
                records = cls.browse(
                    list({r.id for r, _, _ in language_notices}))
                texts = cls._notification_texts(records, lang)
                for record, user, message in language_notices:
                    arguments, description = texts[record.id]
                    label = gettext(message, **arguments)
                    notifications.append(Notification(
                            user=user,
                            icon=icon,
                            label=label,
                            description=description,
                            model=cls.__name__,
                            records=json.dumps([record.id])))
                    if send_email and user.email:
                        msg = EmailMessage()
                        msg['From'] = from_
                        msg['To'] = user.email
                        msg['Subject'] = label
                        msg.set_content(description)
                        sendmail_transactional(from_, [user.email], msg)
        # Saving them together publishes them to the clients in one go.
        Notification.save(notifications)


class ReportContextMixin:
    "The company and the period a report is computed for"
    __slots__ = ()

    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date(
        "From Date",
        domain=[
            If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ])
    to_date = fields.Date(
        "To Date",
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')),
                ()),
            ])

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')


class OrganisationFilterMixin:
    """The part of the sales organisation a report is computed for: a team
    and a territory stand for their whole subtrees"""
    __slots__ = ()

    team = fields.Many2One(
        'crm.team', "Sales Team",
        domain=[('company', '=', Eval('company', -1))],
        help="Only the opportunities of this sales team and its sub-teams.")
    territory = fields.Many2One(
        'crm.territory', "Territory",
        help="Only the opportunities of this territory "
        "and its sub-territories.")
    employee = fields.Many2One(
        'company.employee', "Employee",
        domain=[('company', '=', Eval('company', -1))],
        help="Only the opportunities of this employee.")


def subtree_ids(model_name, record_id):
    "The ids of the record of model_name and of all the records below it"
    Model = Pool().get(model_name)
    # The whole subtree, whoever reads it and whatever is deactivated in it:
    # the opportunities that a report counts are filtered by their own rules.
    with without_check_access(), Transaction().set_context(active_test=False):
        return [r.id for r in Model.search([
                    ('parent', 'child_of', [record_id]),
                    ], order=[('id', 'ASC')])]


def organisation_where(opportunity):
    """The SQL condition on the table of sale.opportunity that keeps the
    opportunities of the team, territory and employee of the context"""
    context = Transaction().context
    where = Literal(True)
    if context.get('team'):
        where &= opportunity.team.in_(
            subtree_ids('crm.team', context['team']))
    if context.get('territory'):
        where &= opportunity.territory.in_(
            subtree_ids('crm.territory', context['territory']))
    if context.get('employee'):
        where &= opportunity.employee == context['employee']
    return where
