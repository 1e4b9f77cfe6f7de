# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Mass e-mail and mail-merge letters for the targets of a campaign.

A mailing holds a subject and a body written as Genshi text templates, as
the host's e-mail notifications are, merged once per target in the
partner's language.  Sending runs in the queue, one batch of targets per
task: each task commits what it sent, so the mailing shows its progress
and a failure costs at most the batch being sent (without a queue
worker, one task sends every batch, committing after each).  The SMTP
server is the host's, the trytond configuration's [email] uri; the bounces
that come back by mail are read in mailing_bounce.py.

Each target carries a token: the link in the footer and the
List-Unsubscribe header of every message lead to a route of the trytond
web server that sets the target unsubscribed, without a login."""
import datetime
import html
import secrets
import smtplib
from email import policy
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from urllib.parse import quote

from genshi.template import TextTemplate
from sql.aggregate import Count
from sql.conditionals import Case

import trytond.config as config
from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.model.exceptions import AccessError, ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.protocols.wrappers import (
    HTTPStatus, Response, abort, allow_null_origin, with_pool,
    with_transaction)
from trytond.pyson import Eval
from trytond.report import Report
from trytond.rpc import RPC
from trytond.sendmail import get_smtp_server, send_message
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction
from trytond.url import host, http_host
from trytond.wsgi import app

from .approval import serialize
from .guard import ReadonlyGuardMixin
from .mailing_bounce import bounce_sender

STATES = [
    ('draft', "Draft"),
    ('sending', "Sending"),
    ('sent', "Sent"),
    ]

RESULTS = [
    ('pending', "Pending"),
    ('sent', "Sent"),
    ('bounced', "Bounced"),
    ('unsubscribed', "Skipped: Unsubscribed"),
    ('no_email', "Skipped: No E-mail"),
    ]

# The statuses a message sent does not bring back to "sent": the target
# has already answered or refused.
_REACHED = {'sent', 'opened', 'responded', 'lead', 'unsubscribed'}

OPEN_OPPORTUNITY_STATES = ['lead', 'opportunity']
# Headers are folded at the 998 characters of RFC 5322, not at 78: the
# default policy turns a longer header without spaces, as the unsubscribe
# link, into an encoded word that mail clients do not take for a link.
_MESSAGE_POLICY = policy.default.clone(max_line_length=998)


def _language_code(party):
    "The language the partner is written to in"
    if party.lang:
        return party.lang.code
    return config.get('database', 'language')


def merge_values(campaign, targets):
    """The fields merged into the texts of each target, by target id, in
    the language of its partner

    The salesperson is the employee of the partner's latest open
    opportunity, or the campaign's owner; the opportunity is the latest
    open one of the partner in the campaign."""
    pool = Pool()
    Lang = pool.get('ir.lang')
    Opportunity = pool.get('sale.opportunity')
    Date = pool.get('ir.date')
    party_ids = list({t.party.id for t in targets})
    salespeople, opportunities = {}, {}
    for sub in grouped_slice(party_ids):
        for opportunity in Opportunity.search([
                    ('party', 'in', list(sub)),
                    ('company', '=', campaign.company.id),
                    ('state', 'in', OPEN_OPPORTUNITY_STATES),
                    ],
                order=[('start_date', 'DESC'), ('id', 'DESC')]):
            party_id = opportunity.party.id
            if opportunity.employee:
                salespeople.setdefault(party_id, opportunity.employee)
            if opportunity.marketing_campaign == campaign:
                opportunities.setdefault(party_id, opportunity)
    today = Date.today()
    values = {}
    for target in targets:
        party = target.party
        lang = Lang.get(_language_code(party))
        salesperson = salespeople.get(party.id, campaign.owner)
        opportunity = opportunities.get(party.id)
        amount = ''
        if opportunity and opportunity.amount is not None:
            amount = lang.currency(
                opportunity.amount, opportunity.currency, grouping=True)
        values[target.id] = {
            'language': lang.code,
            'partner': party.rec_name,
            'contact': target.contact.rec_name if target.contact else '',
            'company': campaign.company.rec_name,
            'salesperson': salesperson.rec_name if salesperson else '',
            'opportunity': opportunity.rec_name if opportunity else '',
            'opportunity_reference': (
                opportunity.number or '' if opportunity else ''),
            'opportunity_amount': amount,
            'date': lang.strftime(today),
            'campaign': campaign.rec_name,
            'opportunity_record': opportunity,
            }
    return values


# The fields of the templates, blank: what a template may use.
_SAMPLE = dict.fromkeys([
        'language', 'partner', 'contact', 'company', 'salesperson',
        'opportunity', 'opportunity_reference', 'opportunity_amount', 'date',
        'campaign'], '')
_SAMPLE['opportunity_record'] = None


def render(template, values):
    "The text of the Genshi text template with the merged values"
    return TextTemplate(template).generate(**values).render()


class Mailing(ReadonlyGuardMixin, Workflow, ModelSQL, ModelView):
    "Mailing"
    __name__ = 'crm.mailing'
    __string__ = "Mailing"
    # Only the transitions and the sending write a mailing once sent.
    _closed_states = {'sending', 'sent'}

    _states = {
        'readonly': Eval('state') != 'draft',
        }

    name = fields.Char("Name", required=True, states=_states)
    campaign = fields.Many2One(
        'marketing.campaign', "Campaign", required=True, ondelete='CASCADE',
        states=_states,
        domain=[('state', 'in', ['planned', 'active'])],
        help="The campaign whose targets receive the mailing.")
    company = fields.Function(
        fields.Many2One('company.company', "Company"),
        'on_change_with_company', searcher='search_company')
    from_ = fields.Char(
        "From", states=_states,
        help="The sender of the messages; "
        "when empty, the server's configured sender.")
    subject = fields.Char(
        "Subject", required=True, translate=True, states=_states,
        help="A template: ${partner}, ${contact}, ${company}, "
        "${salesperson}, ${opportunity_reference}, ${opportunity_amount}, "
        "${campaign} and ${date} are replaced by each target's values.")
    body = fields.Text(
        "Body", required=True, translate=True, states=_states,
        help="A Genshi text template with the same fields as the subject, "
        "written in each partner's language; the unsubscribe footer is "
        "added below it.")
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    total = fields.Integer(
        "Targets", readonly=True,
        help="The targets of the campaign when the mailing was sent.")
    processed = fields.Integer(
        "Processed", readonly=True,
        help="The targets sent to, refused or skipped so far.")
    sent_count = fields.Function(
        fields.Integer("Sent"), 'get_counts')
    bounced_count = fields.Function(
        fields.Integer(
            "Bounced",
            help="The recipients the mail server refused, or whose message "
            "came back undeliverable."),
        'get_counts')
    skipped_count = fields.Function(
        fields.Integer(
            "Skipped",
            help="The targets unsubscribed or without an e-mail."),
        'get_counts')
    progress = fields.Function(
        fields.Float("Progress", digits=(1, 4)), 'get_progress')
    sent_by = fields.Many2One('company.employee', "Sent by", readonly=True)
    sent_at = fields.DateTime("Sent at", readonly=True)
    error = fields.Text(
        "Error", readonly=True,
        help="Why the mail server stopped the sending; Resume sends to "
        "the targets not sent to yet.")
    recipients = fields.One2Many(
        'crm.mailing.recipient', 'mailing', "Recipients", readonly=True)

    del _states

    # Small enough that a batch is sent well within a task's time, large
    # enough that one SMTP connection serves many messages.
    batch_size = 50

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'sending'),
            ('sending', 'sent'),
            }
        cls._buttons.update({
                'send': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-email',
                    'depends': ['state'],
                    },
                'resume': {
                    'invisible': (Eval('state') != 'sending')
                    | ~Eval('error'),
                    'icon': 'tryton-refresh',
                    'depends': ['state', 'error'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_processed(cls):
        return 0

    @fields.depends('campaign', '_parent_campaign.company')
    def on_change_with_company(self, name=None):
        return self.campaign.company if self.campaign else None

    @classmethod
    def search_company(cls, name, clause):
        return [('campaign.' + clause[0],) + tuple(clause[1:])]

    @classmethod
    def get_counts(cls, mailings, name):
        pool = Pool()
        Recipient = pool.get('crm.mailing.recipient')
        recipient = Recipient.__table__()
        cursor = Transaction().connection.cursor()
        results = {
            'sent_count': ['sent'],
            'bounced_count': ['bounced'],
            'skipped_count': ['unsubscribed', 'no_email'],
            }[name]
        counts = dict.fromkeys((m.id for m in mailings), 0)
        for sub in grouped_slice(mailings):
            cursor.execute(*recipient.select(
                    recipient.mailing, Count(recipient.id),
                    where=reduce_ids(recipient.mailing, [m.id for m in sub])
                    & recipient.result.in_(results),
                    group_by=[recipient.mailing]))
            counts.update(cursor)
        return counts

    @classmethod
    def get_progress(cls, mailings, name):
        return {m.id: (1.0 if m.state == 'sent'
                else (m.processed or 0) / m.total if m.total else 0.0)
            for m in mailings}

    @classmethod
    def validate_fields(cls, mailings, field_names):
        super().validate_fields(mailings, field_names)
        if field_names & {'subject', 'body'}:
            for mailing in mailings:
                for name in ['subject', 'body']:
                    # Rendered with blank values, so that a field unknown
                    # is refused now rather than when sending.
                    try:
                        render(getattr(mailing, name) or '', _SAMPLE)
                    except Exception as error:
                        raise ValidationError(gettext(
                                'crm_plus.msg_mailing_template',
                                mailing=mailing.rec_name,
                                field=cls.__names__(name)['field'],
                                error=str(error))) from error

    @classmethod
    def copy(cls, mailings, default=None):
        default = default.copy() if default is not None else {}
        for name in ['total', 'sent_by', 'sent_at', 'error', 'recipients']:
            default.setdefault(name)
        default.setdefault('state', 'draft')
        default.setdefault('processed', 0)
        return super().copy(mailings, default=default)

    @classmethod
    def delete(cls, mailings):
        for mailing in mailings:
            if mailing.state == 'sending':
                raise AccessError(gettext(
                        'crm_plus.msg_mailing_delete_sending',
                        mailing=mailing.rec_name))
        super().delete(mailings)

    @classmethod
    @ModelView.button
    def send(cls, mailings):
        # Two users pressing Send at once: the second waits for the first
        # to commit, is started again by the dispatcher (PostgreSQL cannot
        # serialize it), then finds the mailing sending, rather than taking
        # the targets and sending to them again. Through the client the
        # host's check of the button's states refuses it first; a call
        # from code is refused here.
        serialize(cls, mailings)
        for mailing in cls.browse(mailings):
            if mailing.state != 'draft':
                raise AccessError(gettext(
                        'crm_plus.msg_mailing_already_sending',
                        mailing=mailing.rec_name))
        cls._start_sending(mailings)

    @classmethod
    @Workflow.transition('sending')
    def _start_sending(cls, mailings):
        pool = Pool()
        Recipient = pool.get('crm.mailing.recipient')
        Target = pool.get('crm.campaign.target')
        User = pool.get('res.user')
        user = User(Transaction().user)
        recipients = []
        for mailing in mailings:
            if mailing.campaign.state not in {'planned', 'active'}:
                raise AccessError(gettext(
                        'crm_plus.msg_mailing_campaign_closed',
                        mailing=mailing.rec_name,
                        campaign=mailing.campaign.rec_name))
            targets = mailing.campaign.targets
            if not targets:
                raise ValidationError(gettext(
                        'crm_plus.msg_mailing_no_target',
                        mailing=mailing.rec_name,
                        campaign=mailing.campaign.rec_name))
            recipients.extend(Recipient(mailing=mailing, target=t)
                for t in targets)
            mailing.total = len(targets)
            mailing.processed = 0
            mailing.sent_by = user.employee
            mailing.sent_at = datetime.datetime.now()
        Recipient.save(recipients)
        Target.set_unsubscribe_tokens(
            [r.target for r in recipients if not r.target.unsubscribe_token])
        cls.save(mailings)
        for mailing in mailings:
            cls.__queue__.process([mailing])

    @classmethod
    @ModelView.button
    def resume(cls, mailings):
        "Queue again the sending that the mail server stopped"
        mailings = [m for m in mailings if m.state == 'sending' and m.error]
        if mailings:
            cls.write(mailings, {'error': None})
            for mailing in mailings:
                cls.__queue__.process([mailing])

    @classmethod
    @Workflow.transition('sent')
    def finish(cls, mailings):
        pass

    @classmethod
    def process(cls, mailings):
        """Send the next batch of the mailings, then queue the batch after
        it or finish the mailing

        Without a queue worker ([queue] worker false), the host's
        dispatcher runs after its commit the tasks a request queued, but
        the worker's run_task never runs those a task queues: the next
        batch would wait forever. So the batches are then sent one after
        the other in this task, each committed as a task of its own would
        be, which also shows the progress to the other sessions."""
        has_worker = config.getboolean('queue', 'worker', default=False)
        transaction = Transaction()
        for mailing in mailings:
            # A stopped sending waits for Resume.
            while mailing.state == 'sending' and not mailing.error:
                if not mailing._send_batch():
                    cls.finish([mailing])
                    break
                if mailing.error:
                    break
                if has_worker:
                    cls.__queue__.process([mailing])
                    break
                transaction.commit()
                mailing = cls(mailing.id)

    def _send_batch(self):
        "Send to the next pending recipients: whether some remain after"
        pool = Pool()
        Recipient = pool.get('crm.mailing.recipient')
        pending = Recipient.search([
                ('mailing', '=', self.id),
                ('result', '=', 'pending'),
                ], order=[('id', 'ASC')], limit=self.batch_size + 1)
        batch = pending[:self.batch_size]
        if batch:
            self._send_to(batch)
        return bool(self.error) or len(pending) > len(batch)

    def _send_to(self, recipients):
        pool = Pool()
        Recipient = pool.get('crm.mailing.recipient')
        Target = pool.get('crm.campaign.target')
        Activity = pool.get('crm.activity')
        ModelData = pool.get('ir.model.data')
        campaign = self.campaign
        targets = [r.target for r in recipients]
        values = merge_values(campaign, targets)
        from_ = self.from_ or config.get('email', 'from')
        domain = (
            config.get('crm_plus', 'bounce_address') or parseaddr(from_)[1]
            ).rpartition('@')[2] or host()
        activity_type = ModelData.get_id('crm_plus', 'activity_type_email')
        now = datetime.datetime.now()
        server = None
        activities, reached = [], []
        try:
            for recipient in recipients:
                target = recipient.target
                party = target.contact or target.party
                email = party.email
                recipient.email = email
                if target.status == 'unsubscribed':
                    recipient.result = 'unsubscribed'
                    continue
                if not email:
                    recipient.result = 'no_email'
                    continue
                merged = values[target.id]
                msg, subject, body = self._message(target, merged, from_)
                # The token matches the bounces that come back later by
                # mail: by the VERP envelope sender, or by the Message-ID
                # that the bounce quotes.
                token = secrets.token_hex(12)
                msg['Message-ID'] = f'<{token}@{domain}>'
                recipient.message_id = msg['Message-ID']
                if server is None:
                    server = get_smtp_server(strict=True)
                try:
                    server = send_message(
                        msg, bounce_sender(token) or from_, [email],
                        server=server, strict=True)
                except smtplib.SMTPRecipientsRefused as error:
                    recipient.result = 'bounced'
                    recipient.error = '; '.join(
                        f'{code} {message.decode(errors="replace")}'
                        for code, message in error.recipients.values())
                    continue
                recipient.result = 'sent'
                recipient.sent_at = now
                if target.status not in _REACHED:
                    reached.append(target)
                activities.append(Activity(
                        type=activity_type,
                        subject=subject[:Activity.subject.size]
                        if Activity.subject.size else subject,
                        description=body,
                        start=now,
                        state='done',
                        completed_at=now,
                        company=campaign.company,
                        employee=self.sent_by or campaign.owner,
                        party=target.party,
                        contact=target.contact,
                        opportunity=merged['opportunity_record']))
        except (smtplib.SMTPException, OSError) as error:
            # The server is unreachable or refuses the sender: what was
            # sent is recorded and committed, so that Resume does not send
            # it again; the rest waits.
            self.error = str(error) or error.__class__.__name__
        if server is not None:
            try:
                server.quit()
            except (smtplib.SMTPException, OSError):
                pass
        done = [r for r in recipients if r.result != 'pending']
        Recipient.save(done)
        if reached:
            Target.set_sent(reached)
        Activity.save(activities)
        self.processed = (self.processed or 0) + len(done)
        self.save()

    def _message(self, target, merged, from_):
        "The message to the target, its subject and body in its language"
        url = target.unsubscribe_url
        with Transaction().set_context(language=merged['language']):
            mailing = self.__class__(self.id)
            subject = render(mailing.subject, merged).strip()
            body = render(mailing.body, merged)
            footer = gettext('crm_plus.msg_mailing_footer', url=url)
        party = target.contact or target.party
        msg = EmailMessage(policy=_MESSAGE_POLICY)
        msg['From'] = from_
        msg['To'] = formataddr((party.rec_name, party.email))
        msg['Subject'] = subject
        msg['List-Unsubscribe'] = f'<{url}>'
        # The one-click unsubscription of RFC 8058: the route accepts POST.
        msg['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click'
        msg.set_content(f'{body.rstrip()}\n\n-- \n{footer}\n')
        # After the content, which replaces the Content- headers.
        msg['Content-Language'] = merged['language'].replace('_', '-')
        return msg, subject, body


class Recipient(ModelSQL, ModelView):
    "Mailing Recipient"
    __name__ = 'crm.mailing.recipient'
    __string__ = "Mailing Recipient"

    mailing = fields.Many2One(
        'crm.mailing', "Mailing", required=True, ondelete='CASCADE',
        readonly=True)
    target = fields.Many2One(
        'crm.campaign.target', "Target", required=True, ondelete='CASCADE',
        readonly=True)
    party = fields.Function(
        fields.Many2One('party.party', "Partner"), 'get_target_field')
    contact = fields.Function(
        fields.Many2One('party.party', "Contact"), 'get_target_field')
    email = fields.Char("E-mail", readonly=True)
    result = fields.Selection(
        RESULTS, "Result", required=True, readonly=True, sort=False)
    error = fields.Char(
        "Error", readonly=True,
        help="What the mail server answered when it refused the message, "
        "or the status and diagnostic of its bounce.")
    sent_at = fields.DateTime("Sent at", readonly=True)
    message_id = fields.Char(
        "Message-ID", readonly=True, strip=False,
        help="The Message-ID of the message sent, which its bounces quote.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('mailing_target_unique', Unique(t, t.mailing, t.target),
                'crm_plus.msg_mailing_recipient_unique'),
            ]
        # The bounces find their recipient by the token that starts it.
        cls._sql_indexes.add(
            Index(t, (t.message_id, Index.Similarity(begin=True))))
        cls._order = [('mailing', 'DESC'), ('id', 'ASC')]

    @classmethod
    def default_result(cls):
        return 'pending'

    def get_target_field(self, name):
        value = getattr(self.target, name)
        return value.id if value else None


class Target(metaclass=PoolMeta):
    __name__ = 'crm.campaign.target'

    unsubscribe_token = fields.Char(
        "Unsubscribe Token", readonly=True, strip=False,
        help="The secret of the target's unsubscribe link.")
    unsubscribe_url = fields.Function(
        fields.Char("Unsubscribe Link"), 'get_unsubscribe_url')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('unsubscribe_token_unique', Unique(t, t.unsubscribe_token),
                'crm_plus.msg_mailing_token_unique'),
            ]

    @classmethod
    def copy(cls, targets, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('unsubscribe_token')
        return super().copy(targets, default=default)

    def get_unsubscribe_url(self, name):
        if not self.unsubscribe_token:
            return None
        database = Transaction().database.name
        return '%s/%s/crm_plus/unsubscribe/%s' % (
            http_host(), quote(database), self.unsubscribe_token)

    @classmethod
    def _update(cls, targets, column, value):
        """Set the column of the targets in SQL

        The targets of a closed campaign are frozen for its users, but a
        message sent or an unsubscription is a fact to record whatever the
        campaign's state."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        for sub in grouped_slice(targets):
            cursor.execute(*table.update(
                    [getattr(table, column)], [value],
                    where=reduce_ids(table.id, [t.id for t in sub])))
        cls._clear_cache(targets)

    @classmethod
    def _clear_cache(cls, targets):
        # The records read earlier in the transaction see the new values,
        # as after a write.
        transaction = Transaction()
        transaction.counter += 1
        for cache in transaction.cache.values():
            if cls.__name__ in cache:
                for target in targets:
                    cache[cls.__name__].pop(target.id, None)

    @classmethod
    def set_unsubscribe_tokens(cls, targets):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        # One query per slice of targets, whatever the size of the list:
        # each id and its token are two parameters.
        for sub in grouped_slice(targets, backend.MAX_QUERY_PARAMS // 3):
            ids = [t.id for t in sub]
            tokens = Case(*((table.id == i, secrets.token_urlsafe(24))
                    for i in ids))
            cursor.execute(*table.update(
                    [table.unsubscribe_token], [tokens],
                    where=reduce_ids(table.id, ids)))
        cls._clear_cache(targets)

    @classmethod
    def set_sent(cls, targets):
        cls._update(targets, 'status', 'sent')

    @classmethod
    def set_bounced(cls, targets):
        cls._update(targets, 'status', 'bounced')

    @classmethod
    def from_token(cls, token):
        "The target of the unsubscribe token, or None"
        if not token:
            return None
        targets = cls.search([('unsubscribe_token', '=', token)], limit=1)
        return targets[0] if targets else None

    @classmethod
    def unsubscribe(cls, token):
        "Set unsubscribed the target of the token and return it, or None"
        target = cls.from_token(token)
        if target is not None:
            cls._update([target], 'status', 'unsubscribed')
        return target


class Campaign(metaclass=PoolMeta):
    __name__ = 'marketing.campaign'

    mailings = fields.One2Many(
        'crm.mailing', 'campaign', "Mailings", readonly=True)

    @classmethod
    def copy(cls, campaigns, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('mailings', None)
        return super().copy(campaigns, default=default)


@app.route('/<database_name>/crm_plus/unsubscribe/<token>',
    methods={'GET', 'POST'})
@allow_null_origin
@with_pool
@with_transaction(readonly=False)
def unsubscribe(request, pool, token):
    """The link of the messages sent: a GET asks to confirm, a POST (the
    confirmation, or a mail client's one-click of RFC 8058) unsubscribes

    A GET changes nothing: the link checkers of mail servers open the
    links of the messages they receive."""
    Target = pool.get('crm.campaign.target')
    if request.method == 'POST':
        target = Target.unsubscribe(token)
    else:
        target = Target.from_token(token)
    if target is None:
        abort(HTTPStatus.NOT_FOUND)
    with Transaction().set_context(
            language=_language_code(target.party)):
        if request.method == 'POST':
            text = gettext('crm_plus.msg_mailing_unsubscribed',
                campaign=target.campaign.rec_name)
            return Response(text, content_type='text/plain; charset=utf-8')
        question = gettext('crm_plus.msg_mailing_unsubscribe_question',
            campaign=target.campaign.rec_name)
        button = gettext('crm_plus.msg_mailing_unsubscribe_button')
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width">'
        f'<title>{html.escape(button)}</title></head><body>'
        f'<form method="post"><p>{html.escape(question)}</p>'
        f'<button type="submit">{html.escape(button)}</button></form>'
        '</body></html>')
    return Response(page, content_type='text/html; charset=utf-8')


class CampaignLetter(Report):
    "The letters of a campaign, one per target, merged into one document"
    __name__ = 'crm.campaign.letter'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # Printing the letters logs them as activities.
        cls.__rpc__['execute'] = RPC(readonly=False)

    @classmethod
    def _targets(cls, campaigns):
        # A partner that asked for no more mail gets no letter either.
        return [t for c in campaigns for t in c.targets
            if t.status != 'unsubscribed']

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        letters = []
        for campaign in records:
            targets = cls._targets([campaign])
            values = merge_values(campaign, targets)
            for target in targets:
                address = target.party.address_get()
                letters.append(dict(values[target.id],
                        address=(address.full_address if address else ''),
                        target=target))
        context['letters'] = letters
        return context

    @classmethod
    def execute(cls, ids, data):
        pool = Pool()
        Activity = pool.get('crm.activity')
        Campaign = pool.get('marketing.campaign')
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        result = super().execute(ids, data)
        activity_type = ModelData.get_id('crm_plus', 'activity_type_letter')
        employee = User(Transaction().user).employee
        now = datetime.datetime.now()
        activities = []
        for campaign in Campaign.browse(ids):
            subject = gettext(
                'crm_plus.msg_mailing_letter_subject',
                campaign=campaign.rec_name)
            for target in cls._targets([campaign]):
                activities.append(Activity(
                        type=activity_type,
                        subject=subject,
                        start=now,
                        state='done',
                        completed_at=now,
                        company=campaign.company,
                        employee=employee or campaign.owner,
                        party=target.party,
                        contact=target.contact))
        Activity.save(activities)
        return result
