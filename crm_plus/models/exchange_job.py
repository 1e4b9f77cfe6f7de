# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Contact imports that run in the queue.

A file of thousands of contacts takes a minute or more to import: the
wizard stores it with the user's decisions in a job and queues the job, so
that the user follows its progress and is notified when it ends instead of
waiting on a request."""
import datetime
import json

from trytond import backend
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, TransactionError

from .. import exchange
from .exchange import FORMATS, raise_exchange_error

JOB_STATES = [
    ('queued', "Queued"),
    ('running', "Running"),
    ('done', "Done"),
    ('failed', "Failed"),
    ]


class ContactImportJob(ModelSQL, ModelView):
    "Contact Import"
    __name__ = 'crm.contact.import.job'
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    # Kept in the database rather than in the filestore: the job is short
    # lived and a worker on another machine reads it as well.
    file = fields.Binary("File", required=True, readonly=True,
        filename='filename')
    filename = fields.Char("File Name", readonly=True)
    format = fields.Selection(FORMATS, "Format", required=True, readonly=True)
    decisions = fields.Dict(
        None, "Decisions", readonly=True,
        help="The partner to update of each card or line (by its number); "
        "the others are created.")
    state = fields.Selection(
        JOB_STATES, "State", required=True, readonly=True, sort=False)
    total = fields.Integer("Contacts", readonly=True)
    processed = fields.Integer(
        "Processed", readonly=True,
        help="The contacts whose partner, addresses and contact mechanisms "
        "are imported.")
    progress = fields.Function(fields.Float(
            "Progress", digits=(1, 4)), 'get_progress')
    created = fields.Integer(
        "Created", readonly=True,
        help="The contacts imported as new partners.")
    updated = fields.Integer(
        "Updated", readonly=True,
        help="The contacts that updated existing partners.")
    error = fields.Text("Error", readonly=True)
    started = fields.Timestamp("Started", readonly=True)
    finished = fields.Timestamp("Finished", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('id', 'DESC')]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'queued'

    @classmethod
    def default_processed(cls):
        return 0

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
        for name in ['total', 'created', 'updated', 'error', 'started',
                'finished']:
            default.setdefault(name)
        default.setdefault('state', 'queued')
        default.setdefault('processed', 0)
        return super().copy(jobs, default=default)

    @classmethod
    def queue(cls, jobs):
        "Run the import of the jobs in the queue"
        cls.__queue__.run_import(jobs)

    @classmethod
    def run_import(cls, jobs):
        for job in jobs:
            # A job imported already is not imported again; a running one
            # is, as the host retries a task after a database conflict.
            if job.state in {'queued', 'running'}:
                job._run_import()

    def _run_import(self):
        pool = Pool()
        Party = pool.get('party.party')
        transaction = Transaction()
        self._read_committed()
        self._commit_progress(
            state='running', processed=0,
            started=datetime.datetime.now())
        try:
            try:
                format, contacts = exchange.read(self.file, self.format)
            except exchange.ExchangeError as error:
                raise_exchange_error(error)
            decisions = self.decisions or {}
            targets = [decisions.get(str(c.number)) for c in contacts]
            self._commit_progress(total=len(contacts))
            Party.import_contacts(
                format, contacts, targets, progress=self._progress_callback(
                    len(contacts)))
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
        self.updated = len([t for t in targets if t])
        self.created = len(targets) - self.updated
        self.finished = datetime.datetime.now()
        self.save()
        self._notify()

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
        pool = Pool()
        Notification = pool.get('res.notification')
        User = pool.get('res.user')
        user = User(self.create_uid.id)
        language = user.language.code if user.language else None
        with Transaction().set_context(language=language):
            if self.state == 'done':
                label = gettext(
                    'crm_plus.msg_contact_import_job_done',
                    created=self.created, updated=self.updated)
                description = self.filename or ''
                icon = 'tryton-ok'
            else:
                label = gettext(
                    'crm_plus.msg_contact_import_job_failed',
                    file=self.filename or '')
                description = self.error
                icon = 'tryton-error'
        Notification.save([Notification(
                    user=user,
                    icon=icon,
                    label=label,
                    description=description,
                    model=self.__name__,
                    records=json.dumps([self.id]))])


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
