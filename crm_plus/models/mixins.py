# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import json
from collections import defaultdict
from email.message import EmailMessage
from weakref import WeakKeyDictionary

from sql import Cast, Column, Literal, Select, Union, Values

from trytond import backend, config
from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import Index, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.sendmail import sendmail_transactional
from trytond.transaction import Transaction, without_check_access

from .data_stamp import data_stamp


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


# The rows of a report that a search computed, kept for the read of the same
# rows that the client asks next, under what identifies the records the
# search saw (see data_stamp).
_kept_rows = Cache('crm_plus.report_rows', duration=60)
# A few pages at a time per database: each may hold up to KEPT_ROWS rows,
# where the host's default would keep a thousand pages.
_kept_rows.size_limit = config.getint(
    'cache', 'crm_plus.report_rows', default=16)
# The rows that a read in progress takes from the kept ones, by transaction
# and report.
_reading = WeakKeyDictionary()
# Only the searches of a page keep their rows: the web client reads a list
# by pages of at most a thousand rows.
KEPT_ROWS = 1000
# The kept rows read back as literals united by a compound SELECT: SQLite
# allows at most 500 terms in one.
COMPOUND_TERMS = 250


class KeptRowsMixin:
    """A report computed by a table_query whose search keeps the rows it
    computed for the read of the same rows, as long as the records the
    report reads have not changed: a page of the report computes its
    figures once, for the search and the read that the client makes of it.
    """
    __slots__ = ()

    @classmethod
    def _kept_rows_key(cls):
        stamp = data_stamp()
        if stamp is None:
            return None
        Date = Pool().get('ir.date')
        # The context is part of the key of the cache.
        return (cls.__name__, Transaction().user, Date.today(), stamp)

    @classmethod
    def search(cls, domain, offset=0, limit=None, order=None, count=False,
            query=False):
        key = None
        if not (count or query):
            key = cls._kept_rows_key()
        if key is None:
            return super().search(domain, offset=offset, limit=limit,
                order=order, count=count, query=query)
        select = super().search(
            domain, offset=offset, limit=limit, order=order, query=True)
        report = (select.columns[0].expression.table
            if isinstance(select, Select) else None)
        if not isinstance(report, Select):
            return super().search(domain, offset=offset, limit=limit,
                order=order)
        # Every column of the rows found, in the search's own query.
        names = [c.output_name for c in report.columns]
        select.columns = [Column(report, n).as_(n) for n in names]
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        cursor.execute(*select)
        # The columns by their names once: the description of a psycopg
        # cursor, which cursor_dict reads for each row, is built anew at
        # each reading.
        columns = [c[0] for c in cursor.description]
        order = [columns.index(n) for n in names]
        rows = [tuple(r[i] for i in order) for r in cursor.fetchall()]
        # Kept only when nothing was committed while they were computed: on
        # SQLite each query reads the last commit.
        if len(rows) <= KEPT_ROWS and cls._kept_rows_key() == key:
            _kept_rows.set(key, (tuple(names), tuple(rows)))
        id_ = names.index('id')
        # The rows depend on the context, which does not key the
        # transaction's cache: those that an earlier search left in it are
        # replaced, as the host's search does.
        cache = transaction.get_cache()[cls.__name__]
        for row in rows[:cache.size_limit]:
            cache[row[id_]]._update(
                {n: v for n, v in zip(names, row)
                    if n != 'id' and n in cls._fields})
        return cls.browse([r[id_] for r in rows])

    @classmethod
    def read(cls, ids, fields_names):
        key = cls._kept_rows_key() if ids else None
        kept = _kept_rows.get(key) if key is not None else None
        if kept:
            names, rows = kept
            id_ = names.index('id')
            by_id = {r[id_]: r for r in rows}
            if all(i in by_id for i in ids):
                transaction = Transaction()
                reading = _reading.setdefault(transaction, {})
                reading[cls.__name__] = (
                    names, [by_id[i] for i in dict.fromkeys(ids)])
                try:
                    return super().read(ids, fields_names)
                finally:
                    reading.pop(cls.__name__, None)
        return super().read(ids, fields_names)

    @classmethod
    def __table__(cls):
        reading = _reading.get(Transaction(), {}).get(cls.__name__)
        if reading is not None:
            names, rows = reading
            # Typed as the fields on PostgreSQL, which cannot tell the type
            # of a column of parameters that starts with NULL. Not on
            # SQLite, whose CAST to DATE makes a number of a date; its read
            # converts the values as the search found them.
            types = []
            for name in names:
                field = cls._fields.get(name)
                types.append(field.sql_type().base
                    if (backend.name != 'sqlite'
                        and field and field.sql_type()) else None)

            def value(v, type_):
                v = Literal(v)
                return Cast(v, type_) if type_ else v
            if backend.name != 'sqlite':
                # One list of values: PostgreSQL plans a union of as many
                # selects as rows in a time that grows faster than the rows.
                values = Values([[value(v, t) for v, t in zip(row, types)]
                        for row in rows])
                return values.select(*(
                        Column(values, 'column%d' % i).as_(n)
                        for i, n in enumerate(names, 1)))
            selects = [
                Select([value(v, t).as_(n)
                        for n, v, t in zip(names, row, types)])
                for row in rows]
            # SQLite refuses a compound SELECT of more than 500 terms: the
            # rows are united by parts, each read as a subquery.
            parts = [Union(*selects[i:i + COMPOUND_TERMS], all_=True)
                for i in range(0, len(selects), COMPOUND_TERMS)]
            if len(parts) == 1:
                return parts[0]
            return Union(*(
                    p.select(*(Column(p, n).as_(n) for n in names))
                    for p in parts), all_=True)
        return super().__table__()
