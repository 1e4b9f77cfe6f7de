# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Contact imports that run in the queue.

A file of thousands of contacts takes a minute or more to import: the
wizard stores it with the user's decisions in a job and queues the job, so
that the user follows its progress and is notified when it ends instead of
waiting on a request.

A job whose task died (the server or the worker was killed, the task was
removed from the queue) would stay running or queued forever: the cron
"Fail Stuck Contact Imports" marks it failed and tells its user, and Retry
queues it again.  As the import is one transaction, the dead attempt left
nothing behind."""
import datetime
import json

from sql import For, Null
from sql.conditionals import Coalesce
from sql.functions import CurrentTimestamp

import trytond.config as config
from trytond import backend
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import (
    Transaction, TransactionError, without_check_access)

from .. import exchange
from .exchange import (
    FORMATS, ImportCountsMixin, _message, contact_name, decode_decision,
    load_reading, outcome_reason, raise_exchange_error)

JOB_STATES = [
    ('queued', "Queued"),
    ('running', "Running"),
    ('done', "Done"),
    ('failed', "Failed"),
    ]


class ContactImportJob(ImportCountsMixin, ModelSQL, ModelView):
    "Contact Import"
    __name__ = 'crm.contact.import.job'
    __string__ = "Contact Import"
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    # Kept in the database rather than in the filestore: the job is short
    # lived and a worker on another machine reads it as well.
    file = fields.Binary("File", required=True, readonly=True,
        filename='filename')
    filename = fields.Char("File Name", readonly=True)
    format = fields.Selection(FORMATS, "Format", required=True, readonly=True)
    # The contacts as the wizard read them, so that the file is not read
    # again; a job without it reads its file.
    reading = fields.Text("Reading", readonly=True)
    decisions = fields.Dict(
        None, "Decisions", readonly=True,
        help="The partner to update of each card or line (by its number), "
        "with whether it replaces the partner's values, or \"skip\" for "
        "those left out; the others are created.")
    skip_rejects = fields.Boolean(
        "Skip the Cards That Cannot Be Read", readonly=True,
        help="Whether the contacts are imported without the cards or lines "
        "of the file that cannot be read; else such a file fails.")
    state = fields.Selection(
        JOB_STATES, "State", required=True, readonly=True, sort=False)
    total = fields.Integer("Contacts", readonly=True)
    processed = fields.Integer(
        "Processed", readonly=True,
        help="The contacts whose partner, addresses and contact mechanisms "
        "are imported.")
    progress = fields.Function(fields.Float(
            "Progress", digits=(1, 4)), 'get_progress')
    not_imported = fields.Text(
        "Not Imported", readonly=True,
        help="The contacts unchanged or skipped, each with the reason.")
    error = fields.Text("Error", readonly=True)
    started = fields.Timestamp("Started", readonly=True)
    finished = fields.Timestamp("Finished", readonly=True)
    attempt = fields.Integer(
        "Attempt", readonly=True,
        help="How many times the import was queued: Retry queues it again.")
    task = fields.Integer(
        "Task", readonly=True,
        help="The task of the queue that runs the current attempt.")
    heartbeat = fields.Timestamp(
        "Last Sign of Life", readonly=True,
        help="When the job was last queued or its import last moved.")

    # A job without a sign of life for that long whose task is gone, or is
    # not being run by any process, is failed by the cron.
    stuck_after = datetime.timedelta(minutes=10)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('id', 'DESC')]
        cls._buttons.update({
                'retry': {
                    'invisible': Eval('state') != 'failed',
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'queued'

    @classmethod
    def default_processed(cls):
        return 0

    @classmethod
    def default_attempt(cls):
        return 1

    def get_rec_name(self, name):
        return self.filename or str(self.id)

    @classmethod
    def get_progress(cls, jobs, name):
        # The bar is full once done, even for a file of no contact.
        return {j.id: (1.0 if j.state == 'done'
                else (j.processed or 0) / j.total if j.total else 0.0)
            for j in jobs}

    @classmethod
    def copy(cls, jobs, default=None):
        default = default.copy() if default is not None else {}
        for name in ['total', 'created', 'updated', 'unchanged', 'skipped',
                'not_imported', 'error', 'started', 'finished', 'task',
                'heartbeat']:
            default.setdefault(name)
        default.setdefault('state', 'queued')
        default.setdefault('processed', 0)
        default.setdefault('attempt', 1)
        return super().copy(jobs, default=default)

    @classmethod
    def queue(cls, jobs):
        "Run the import of the jobs in the queue, one task per job"
        now = datetime.datetime.now()
        to_write = []
        for job in jobs:
            # The attempt tells the task of a retry from a stale one of an
            # earlier attempt, which must not import the file again.
            task_id, = cls.__queue__.run_import([job], attempt=job.attempt)
            to_write.extend(([job], {'task': task_id, 'heartbeat': now}))
        if to_write:
            cls.write(*to_write)

    @classmethod
    def run_import(cls, jobs, attempt=None):
        for job in jobs:
            # A job imported already is not imported again; a running one
            # is, as the host retries a task after a database conflict.
            if (job.state in {'queued', 'running'}
                    and attempt in {None, job.attempt}):
                job._run_import()

    @classmethod
    @ModelView.button
    def retry(cls, jobs):
        "Queue the import of the failed jobs again"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        jobs = [j for j in jobs if j.state == 'failed']
        if not jobs:
            return
        for sub in grouped_slice(jobs):
            cursor.execute(*table.update(
                    [table.attempt],
                    [Coalesce(table.attempt, 1) + 1],
                    where=reduce_ids(table.id, [j.id for j in sub])))
        cls.write(jobs, {
                'state': 'queued',
                'processed': 0,
                'created': None,
                'updated': None,
                'unchanged': None,
                'skipped': None,
                'not_imported': None,
                'error': None,
                'started': None,
                'finished': None,
                })
        cls.queue(cls.browse(jobs))

    @classmethod
    def fail_stuck(cls):
        """Fail the queued and running jobs whose task died, and tell their
        users: after a crash nothing would ever end them"""
        pool = Pool()
        Queue = pool.get('ir.queue')
        limit = datetime.datetime.now() - cls.stuck_after
        jobs = cls.search([
                ('state', 'in', ['queued', 'running']),
                ['OR',
                    ('heartbeat', '<', limit),
                    # Jobs of before the heartbeat: their creation.
                    [('heartbeat', '=', None), ('create_date', '<', limit)],
                    ],
                ])
        if not jobs:
            return []
        alive = cls._live_tasks({j.task for j in jobs if j.task})
        stuck = [j for j in jobs if j.task not in alive]
        if not stuck:
            return []
        # The dead tasks are closed, so that no worker started later runs
        # them: Retry queues a new one.
        queue = Queue.__table__()
        cursor = Transaction().connection.cursor()
        for sub in grouped_slice([j.task for j in stuck if j.task]):
            cursor.execute(*queue.update(
                    [queue.dequeued_at, queue.finished_at],
                    [Coalesce(queue.dequeued_at, CurrentTimestamp()),
                        CurrentTimestamp()],
                    where=reduce_ids(queue.id, list(sub))
                    & (queue.finished_at == Null)))
        cls.write(stuck, {
                'state': 'failed',
                'error': gettext('crm_plus.msg_job_stuck'),
                'finished': datetime.datetime.now(),
                })
        cls._notify_jobs(stuck)
        return stuck

    @classmethod
    def _live_tasks(cls, task_ids):
        """The tasks among task_ids that are waiting for a worker or being
        run by a living process

        A task being run is held by the transaction of its import (see
        _hold_task): on PostgreSQL a task that nobody holds is dead. SQLite
        has no row locks, but lets one transaction write at a time: while
        an import runs, the cron cannot write the job failed."""
        pool = Pool()
        Queue = pool.get('ir.queue')
        transaction = Transaction()
        database = transaction.database
        cursor = transaction.connection.cursor()
        queue = Queue.__table__()
        has_worker = config.getboolean('queue', 'worker', default=False)
        pending, running = set(), set()
        for sub in grouped_slice(task_ids):
            cursor.execute(*queue.select(
                    queue.id, queue.dequeued_at,
                    where=reduce_ids(queue.id, list(sub))
                    & (queue.finished_at == Null)))
            for task_id, dequeued_at in cursor:
                # Without a worker, the server runs a task right after the
                # request that queued it, or never.
                if dequeued_at is None and has_worker:
                    pending.add(task_id)
                else:
                    running.add(task_id)
        if running and database.has_select_for():
            SkipLocked = database.get_select_for_skip_locked()
            unheld = set()
            for sub in grouped_slice(running):
                query = queue.select(
                    queue.id, where=reduce_ids(queue.id, list(sub)))
                query.for_ = SkipLocked('UPDATE')
                cursor.execute(*query)
                unheld.update(i for i, in cursor)
            running -= unheld
        elif running:
            running.clear()
        return pending | running

    def _hold_task(self):
        """Lock the task of the job for the import's transaction: the row
        lock tells the cron that a living process runs it, and is released
        when the process dies"""
        pool = Pool()
        Queue = pool.get('ir.queue')
        transaction = Transaction()
        if self.task and transaction.database.has_select_for():
            queue = Queue.__table__()
            query = queue.select(queue.id, where=queue.id == self.task)
            query.for_ = For('UPDATE')
            transaction.connection.cursor().execute(*query)

    def _run_import(self):
        pool = Pool()
        Party = pool.get('party.party')
        transaction = Transaction()
        self._read_committed()
        self._hold_task()
        self._commit_progress(
            state='running', processed=0,
            started=datetime.datetime.now())
        try:
            if self.reading:
                reading = load_reading(self.reading)
            else:
                try:
                    reading = exchange.read(self.file, self.format)
                except exchange.ExchangeError as error:
                    raise_exchange_error(error)
            if reading.rejects and not self.skip_rejects:
                raise UserError(gettext(
                        'crm_plus.msg_contact_import_rejects',
                        count=len(reading.rejects),
                        first=_message(reading.rejects[0])))
            format, contacts = reading.format, reading.contacts
            decisions = self.decisions or {}
            targets, replace = [], []
            for contact in contacts:
                target, replace_ = decode_decision(
                    decisions.get(str(contact.number)))
                targets.append(target)
                replace.append(replace_)
            self._commit_progress(total=len(contacts))
            outcomes = []
            parties = Party.import_contacts(
                format, contacts, targets, progress=self._progress_callback(
                    len(contacts)), outcomes=outcomes, replace=replace)
        except UserError as error:
            # All or nothing: the partners imported so far are undone, and
            # only the failure is kept.
            transaction.rollback()
            self._fail(error.message)
            return
        except (backend.DatabaseOperationalError, TransactionError):
            # The host runs the task again.
            raise
        except Exception:
            # A fault of the program, not of the file: the user is told,
            # and the worker logs it.
            transaction.rollback()
            self._fail(gettext('crm_plus.msg_contact_import_job_crashed'))
            raise
        self.state = 'done'
        self.total = self.processed = len(contacts)
        self.created = outcomes.count('created')
        self.updated = outcomes.count('updated')
        self.unchanged = outcomes.count('unchanged')
        self.skipped = outcomes.count('skipped')
        self.not_imported = self._not_imported(
            format, contacts, outcomes, parties)
        self.finished = datetime.datetime.now()
        self.save()
        self._notify()

    def _not_imported(self, format, contacts, outcomes, parties):
        """The contacts that imported nothing, one a line with the reason,
        in the language of the user who imported the file"""
        pool = Pool()
        Party = pool.get('party.party')
        User = pool.get('res.user')
        user = User(self.create_uid.id)
        lines = []
        with Transaction().set_context(
                language=user.language.code if user.language else None):
            names = {p.id: p.rec_name for p in Party.browse(list({
                            p for p, o in zip(parties, outcomes)
                            if p and o == 'unchanged'}))}
            for contact, outcome, party in zip(contacts, outcomes, parties):
                if outcome in {'created', 'updated'}:
                    continue
                lines.append(gettext(
                        'crm_plus.msg_contact_import_'
                        + exchange.LOCATIONS[format],
                        number=contact.number, name=contact_name(contact),
                        reason=outcome_reason(
                            outcome, names.get(party, ''))))
        return '\n'.join(lines) or None

    @classmethod
    def _read_committed(cls):
        """Run the rest of the task in READ COMMITTED on PostgreSQL

        The host's transactions are REPEATABLE READ: the task's transaction
        could not write the job's end once the progress transactions have
        updated it since the task began. The task has only read its job
        and its task so far: that transaction ends here, and the import's
        begins at the isolation level that lets it write the job."""
        if backend.name == 'postgresql':
            transaction = Transaction()
            transaction.commit()
            transaction.connection.cursor().execute(
                'SET TRANSACTION ISOLATION LEVEL READ COMMITTED')

    def _fail(self, message):
        "Set the job failed and notify its user, in a committed transaction"
        with Transaction().new_transaction():
            job = self.__class__(self.id)
            job.state = 'failed'
            job.error = message
            job.finished = datetime.datetime.now()
            job.save()
            job._notify()

    @classmethod
    def _can_commit_progress(cls):
        """Whether progress can be committed while the import is running

        SQLite lets one transaction write at a time: the import holds the
        database until it ends, and a second writer would wait for it."""
        return backend.name != 'sqlite'

    def _progress_callback(self, total):
        def progress(processed):
            if self._can_commit_progress():
                self._commit_progress(processed=processed, total=total)
        return progress

    def _commit_progress(self, **values):
        """Write the values on the job in their own committed transaction,
        so that the user sees them while the import is not committed"""
        table = self.__table__()
        values['heartbeat'] = datetime.datetime.now()
        columns = [getattr(table, n) for n in values]
        with Transaction().new_transaction() as transaction:
            cursor = transaction.connection.cursor()
            cursor.execute(*table.update(
                    columns, list(values.values()),
                    where=table.id == self.id))
        # The import transaction does not see them: keep them on the record
        # so that they are not lost when it saves the job.
        for name, value in values.items():
            setattr(self, name, value)

    def _notify(self):
        "Tell the user who imported the file how the import ended"
        self._notify_jobs([self])

    @classmethod
    def _notify_jobs(cls, jobs):
        "Tell the users who imported the files how the imports ended"
        pool = Pool()
        Notification = pool.get('res.notification')
        User = pool.get('res.user')
        notifications = []
        for job in jobs:
            user = User(job.create_uid.id)
            language = user.language.code if user.language else None
            with Transaction().set_context(language=language):
                if job.state == 'done':
                    label = gettext(
                        'crm_plus.msg_contact_import_job_done',
                        created=job.created, updated=job.updated,
                        unchanged=job.unchanged, skipped=job.skipped)
                    description = job.filename or ''
                    icon = 'tryton-ok'
                else:
                    label = gettext(
                        'crm_plus.msg_contact_import_job_failed',
                        file=job.filename or '')
                    description = job.error
                    icon = 'tryton-error'
            notifications.append(Notification(
                    user=user,
                    icon=icon,
                    label=label,
                    description=description,
                    model=cls.__name__,
                    records=json.dumps([job.id])))
        with without_check_access():
            Notification.save(notifications)


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('crm.contact.import.job|fail_stuck',
                "Fail Stuck Contact Imports"))


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    # The rule on the jobs of the user needs the user, as the host's own
    # rules on notifications and warnings.
    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name == 'crm.contact.import.job':
            context['user_id'] = Transaction().user
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if 'crm.contact.import.job' in model_names:
            key = (*key, Transaction().user)
        return key
