# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Mailings of campaigns sent to a local SMTP server, and the mail-merge
letters of their targets"""
import email
import email.policy
import inspect
import io
import socket
import unittest
import zipfile
from decimal import Decimal
from unittest.mock import patch

from aiosmtpd.controller import Controller
from werkzeug.exceptions import NotFound
from werkzeug.test import EnvironBuilder

import trytond.config as config
from trytond import backend
from trytond.model.exceptions import AccessError, ValidationError
from trytond.model.modelview import AccessButtonError
from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.modules.crm_plus.tests.test_concurrency import at_once
from trytond.modules.crm_plus.tests.tools import CommittedTestCase, rpc_call
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, activate_module, with_transaction)
from trytond.transaction import Transaction
from trytond.wsgi import app


class _Handler:
    "Receives the messages; refuses the recipients whose name is refused"

    def __init__(self):
        self.messages = []
        # The envelope sender of each message, by its recipients.
        self.senders = {}
        # The bytes received, by recipients: what mail clients read.
        self.raw = {}

    async def handle_RCPT(
            self, server, session, envelope, address, rcpt_options):
        if address.startswith('refused@'):
            return '550 5.1.1 No such mailbox'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        self.raw[tuple(envelope.rcpt_tos)] = envelope.original_content
        self.senders[tuple(envelope.rcpt_tos)] = envelope.mail_from
        self.messages.append((
                list(envelope.rcpt_tos),
                email.message_from_bytes(
                    envelope.original_content, policy=email.policy.default)))
        return '250 Message accepted'


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def set_config(test, section, option, value):
    "Set the option of trytond's configuration for the test"
    # trytond reads a missing section as empty but sets no option in it.
    if not config.has_section(section):
        config.add_section(section)
    old = config.get(section, option)
    config.set(section, option, value)
    # An option that was not set is left empty, which reads as unset.
    test.addCleanup(config.set, section, option, old or '')


def start_smtp(test):
    "Start a local SMTP server for the test; return its handler"
    handler = _Handler()
    controller = Controller(handler, hostname='127.0.0.1', port=_free_port())
    controller.start()
    test.addCleanup(controller.stop)
    # Nothing may leave the machine: the host's SMTP server is the local
    # one for the test.
    set_config(test, 'email', 'uri', 'smtp://127.0.0.1:%s' % controller.port)
    set_config(test, 'email', 'from', 'marketing@example.com')
    return handler


class MailingTestCase(unittest.TestCase):
    "Mailings and letters of campaigns"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('crm_plus')

    def setUp(self):
        super().setUp()
        self.handler = start_smtp(self)
        # The tests run the batches as a queue worker does, one task each.
        set_config(self, 'queue', 'worker', 'True')

    def _user(self, login, group, company, employee=None):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        user, = User.create([{
                    'name': login,
                    'login': login,
                    'groups': [('add', [
                                ModelData.get_id('crm_plus', group)])],
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    'employees': [('add', [employee.id])] if employee else [],
                    'employee': employee.id if employee else None,
                    }])
        return user

    def _party(self, name, address=None, lang=None, **values):
        pool = Pool()
        Party = pool.get('party.party')
        mechanisms = [{'type': 'email', 'value': address}] if address else []
        party, = Party.create([dict(values, **{
                        'name': name,
                        'lang': lang.id if lang else None,
                        'contact_mechanisms': [('create', mechanisms)],
                        })])
        return party

    def _setup(self, company):
        pool = Pool()
        Campaign = pool.get('marketing.campaign')
        Lang = pool.get('ir.lang')
        Mailing = pool.get('crm.mailing')
        Opportunity = pool.get('sale.opportunity')

        english, = Lang.search([('code', '=', 'en')])
        spanish, = Lang.search([('code', '=', 'es')])
        Lang.write([spanish], {'translatable': True})
        owner = create_employee(company, "Olivia Owner")
        seller = create_employee(company, "Sam Seller")

        alice = self._party("Alice Ltd", 'alice@example.com', english)
        bruno = self._party("Bruno SA", 'bruno@example.com', spanish)
        carmen = self._party(
            "Carmen", 'carmen@example.com', spanish,
            party_kind='person', organisation=bruno.id)
        nomail = self._party("Nomail Corp", lang=english)
        gone = self._party("Gone Inc", 'gone@example.com', english)
        refused = self._party("Refused Co", 'refused@example.com', english)

        campaign, = Campaign.create([{
                    'name': "Spring",
                    'company': company.id,
                    'currency': company.currency.id,
                    'owner': owner.id,
                    }])
        Campaign.activate([campaign])
        opportunity, = Opportunity.create([{
                    'party': alice.id,
                    'company': company.id,
                    'employee': seller.id,
                    'amount': Decimal('1500.00'),
                    'marketing_campaign': campaign.id,
                    }])
        # Targeted after Alice's opportunity, which would have converted
        # her target to a lead: she is still to be reached.
        Campaign.write([campaign], {
                'targets': [('create', [
                            {'party': alice.id},
                            # Responded already: the mailing does not bring
                            # it back to sent.
                            {'party': bruno.id, 'contact': carmen.id,
                                'status': 'responded'},
                            {'party': nomail.id},
                            {'party': gone.id, 'status': 'unsubscribed'},
                            {'party': refused.id},
                            ])],
                })

        with Transaction().set_context(language='en'):
            mailing, = Mailing.create([{
                        'name': "Spring offer",
                        'campaign': campaign.id,
                        'subject': "Offer for ${partner}",
                        'body': (
                            "Dear ${contact or partner},\n"
                            "${salesperson} of ${company} writes to you.\n"
                            "Offer ${opportunity_reference}: "
                            "${opportunity_amount}\n"),
                        }])
        with Transaction().set_context(language='es'):
            Mailing.write([mailing], {
                    'subject': "Oferta para ${partner}",
                    'body': (
                        "Estimada ${contact or partner}:\n"
                        "${salesperson} de ${company} le escribe.\n"),
                    })
        return {
            'campaign': campaign, 'mailing': mailing,
            'opportunity': opportunity, 'owner': owner,
            'alice': alice, 'bruno': bruno, 'carmen': carmen,
            'nomail': nomail, 'gone': gone, 'refused': refused,
            }

    def _send(self, mailing, user):
        "Send the mailing as the user, then run its queued batches"
        pool = Pool()
        Mailing = pool.get('crm.mailing')
        with Transaction().set_user(user.id), \
                Transaction().set_context(
                    _check_access=True, company=user.company.id):
            Mailing.send([Mailing(mailing.id)])
        batches = 0
        while Mailing(mailing.id).state == 'sending':
            Mailing.process([Mailing(mailing.id)])
            batches += 1
            self.assertLess(batches, 10)
        return batches

    def _queued(self):
        "The batches of mailings queued"
        Queue = Pool().get('ir.queue')
        return len([q for q in Queue.search([])
                if (q.data['model'], q.data['method'])
                == ('crm.mailing', 'process')])

    def _targets(self, campaign):
        pool = Pool()
        Target = pool.get('crm.campaign.target')
        return {t.party.name: t for t in Target.search(
                [('campaign', '=', campaign.id)])}

    @with_transaction()
    def test_send(self):
        "A mailing is merged per target, sent in batches and logged"
        pool = Pool()
        Activity = pool.get('crm.activity')
        Mailing = pool.get('crm.mailing')
        ModelData = pool.get('ir.model.data')

        company = create_company()
        with set_company(company):
            data = self._setup(company)
            marketer = self._user(
                'marketer', 'group_crm_marketing', company, data['owner'])
            mailing = data['mailing']

            with patch.object(Mailing, 'batch_size', 2):
                with Transaction().set_user(marketer.id), \
                        Transaction().set_context(
                            _check_access=True, company=company.id):
                    Mailing.send([Mailing(mailing.id)])
                mailing = Mailing(mailing.id)
                self.assertEqual(mailing.state, 'sending')
                self.assertEqual(mailing.total, 5)
                self.assertEqual(mailing.sent_by, data['owner'])
                self.assertEqual(self._queued(), 1)
                # Sent once only, even when called without the button.
                with self.assertRaises(AccessError) as raised:
                    Mailing.send([mailing])
                self.assertEqual(
                    raised.exception.message,
                    'The mailing "Spring offer" is already being sent or '
                    'sent: it is sent only once.')
                self.assertEqual(self._queued(), 1)

                # The first batch: Alice sent, Carmen (of Bruno) sent.
                Mailing.process([mailing])
                mailing = Mailing(mailing.id)
                self.assertEqual(mailing.state, 'sending')
                self.assertEqual(
                    (mailing.processed, mailing.progress), (2, 0.4))
                self.assertEqual(len(self.handler.messages), 2)
                # The next batch is queued.
                self.assertEqual(self._queued(), 2)

                Mailing.process([mailing])
                Mailing.process([Mailing(mailing.id)])
            mailing = Mailing(mailing.id)
            self.assertEqual(mailing.state, 'sent')
            self.assertEqual(
                (mailing.total, mailing.processed, mailing.sent_count,
                    mailing.bounced_count, mailing.skipped_count,
                    mailing.progress),
                (5, 5, 2, 1, 2, 1.0))

            messages = {tuple(r): m for r, m in self.handler.messages}
            self.assertEqual(
                sorted(messages),
                [('alice@example.com',), ('carmen@example.com',)])
            targets = self._targets(data['campaign'])

            alice = messages[('alice@example.com',)]
            self.assertEqual(alice['To'], 'Alice Ltd <alice@example.com>')
            self.assertEqual(alice['From'], 'marketing@example.com')
            self.assertEqual(alice['Subject'], "Offer for Alice Ltd")
            self.assertEqual(alice['Content-Language'], 'en')
            body = alice.get_content().replace('\r\n', '\n')
            self.assertIn("Dear Alice Ltd,\n", body)
            self.assertIn("Sam Seller of Dunder Mifflin writes to you.", body)
            self.assertIn(
                "Offer %s: " % data['opportunity'].number, body)
            self.assertIn("1,500.00", body)
            url = targets['Alice Ltd'].unsubscribe_url
            self.assertTrue(url.endswith(
                    '/crm_plus/unsubscribe/%s'
                    % targets['Alice Ltd'].unsubscribe_token))
            self.assertEqual(alice['List-Unsubscribe'], '<%s>' % url)
            # As clients read it: the link itself, not an encoded word.
            self.assertIn(
                b'\nList-Unsubscribe: <%s>' % url.encode(),
                self.handler.raw[('alice@example.com',)].replace(b'\r', b''))
            self.assertEqual(
                alice['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click')
            self.assertIn(url, body)

            carmen = messages[('carmen@example.com',)]
            self.assertEqual(carmen['To'], 'Carmen <carmen@example.com>')
            self.assertEqual(carmen['Subject'], "Oferta para Bruno SA")
            self.assertEqual(carmen['Content-Language'], 'es')
            body = carmen.get_content().replace('\r\n', '\n')
            self.assertIn("Estimada Carmen:\n", body)
            # No open opportunity: the campaign's owner signs.
            self.assertIn("Olivia Owner de Dunder Mifflin le escribe.", body)
            self.assertIn(targets['Bruno SA'].unsubscribe_url, body)
            self.assertNotEqual(
                targets['Bruno SA'].unsubscribe_token,
                targets['Alice Ltd'].unsubscribe_token)

            self.assertEqual(
                {n: t.status for n, t in targets.items()}, {
                    'Alice Ltd': 'sent',
                    'Bruno SA': 'responded',
                    'Nomail Corp': 'selected',
                    'Gone Inc': 'unsubscribed',
                    'Refused Co': 'selected',
                    })
            results = {r.party.name: r for r in mailing.recipients}
            self.assertEqual(
                {n: r.result for n, r in results.items()}, {
                    'Alice Ltd': 'sent',
                    'Bruno SA': 'sent',
                    'Nomail Corp': 'no_email',
                    'Gone Inc': 'unsubscribed',
                    'Refused Co': 'bounced',
                    })
            self.assertIn('550', results['Refused Co'].error)
            self.assertEqual(results['Bruno SA'].email, 'carmen@example.com')

            email_type = ModelData.get_id('crm_plus', 'activity_type_email')
            activities = Activity.search(
                [('type', '=', email_type)], order=[('id', 'ASC')])
            self.assertEqual(
                [(a.party.name, a.contact.name if a.contact else None,
                        a.opportunity, a.subject, a.state, a.employee)
                    for a in activities], [
                    ("Alice Ltd", None, data['opportunity'],
                        "Offer for Alice Ltd", 'done', data['owner']),
                    ("Bruno SA", "Carmen", None,
                        "Oferta para Bruno SA", 'done', data['owner']),
                    ])
            self.assertIn("Sam Seller", activities[0].description)

    @with_transaction()
    def test_unsubscribe(self):
        "An unsubscribed target is skipped by the next mailing"
        pool = Pool()
        Mailing = pool.get('crm.mailing')
        Target = pool.get('crm.campaign.target')

        company = create_company()
        with set_company(company):
            data = self._setup(company)
            marketer = self._user(
                'marketer', 'group_crm_marketing', company, data['owner'])
            self._send(data['mailing'], marketer)
            self.assertEqual(len(self.handler.messages), 2)
            alice = self._targets(data['campaign'])['Alice Ltd']

            self.assertIsNone(Target.unsubscribe(''))
            # The link of the message leads to the route, which runs the
            # handler in its own transaction: here, in the test's.
            path = alice.unsubscribe_url.split('/', 3)[3]
            adapter = app.url_map.bind('localhost')
            for method in ['GET', 'POST']:
                endpoint, arguments = adapter.match(
                    '/' + path, method=method)
                self.assertEqual(arguments['token'], alice.unsubscribe_token)
            handler = inspect.unwrap(endpoint)
            get, post = (
                EnvironBuilder(path='/' + path, method=m).get_request()
                for m in ['GET', 'POST'])
            for request in [get, post]:
                with self.assertRaises(NotFound):
                    handler(request, pool, 'not-a-token')
            # Opening the link, as the link checkers of mail servers do,
            # only asks.
            response = handler(get, pool, alice.unsubscribe_token)
            self.assertEqual(response.status_code, 200)
            page = response.get_data(as_text=True)
            self.assertIn('<form method="post">', page)
            self.assertIn(
                'Receive no more messages of the campaign '
                '&quot;Spring&quot;?', page)
            self.assertEqual(Target(alice.id).status, 'sent')
            response = handler(post, pool, alice.unsubscribe_token)
            self.assertEqual(response.status_code, 200)
            self.assertEqual(
                response.get_data(as_text=True),
                'You are unsubscribed: you will receive no more messages '
                'of the campaign "Spring".')
            self.assertEqual(Target(alice.id).status, 'unsubscribed')

            second, = Mailing.copy([data['mailing']])
            self.assertEqual(
                (second.state, second.processed, second.recipients),
                ('draft', 0, ()))
            self.handler.messages.clear()
            self._send(second, marketer)
            self.assertEqual(
                [r for r, _ in self.handler.messages],
                [['carmen@example.com']])
            results = {r.party.name: r.result
                for r in Mailing(second.id).recipients}
            self.assertEqual(results['Alice Ltd'], 'unsubscribed')

    @with_transaction()
    def test_salesperson_cannot_send(self):
        "A salesperson reads the mailings but cannot send nor change them"
        pool = Pool()
        Mailing = pool.get('crm.mailing')
        Recipient = pool.get('crm.mailing.recipient')

        company = create_company()
        with set_company(company):
            data = self._setup(company)
            salesman = self._user('salesman', 'group_crm_user', company)
            mailing = data['mailing']
            with Transaction().set_user(salesman.id), \
                    Transaction().set_context(
                        _check_access=True, company=company.id):
                self.assertEqual(
                    Mailing.search([]), [Mailing(mailing.id)])
                with self.assertRaises(AccessButtonError):
                    Mailing.send([Mailing(mailing.id)])
                with self.assertRaises(AccessError):
                    Mailing.write([Mailing(mailing.id)], {'subject': "X"})
            mailing = Mailing(mailing.id)
            self.assertEqual(mailing.state, 'draft')
            self.assertEqual(Recipient.search_count([]), 0)
            self.assertEqual(self._queued(), 0)
            self.assertEqual(self.handler.messages, [])

    @with_transaction()
    def test_state_guarded(self):
        "The marketing user changes the state only by sending"
        pool = Pool()
        Mailing = pool.get('crm.mailing')

        company = create_company()
        with set_company(company):
            data = self._setup(company)
            marketer = self._user(
                'marketer', 'group_crm_marketing', company, data['owner'])
            mailing = data['mailing']
            with Transaction().set_user(marketer.id), \
                    Transaction().set_context(
                        _check_access=True, company=company.id):
                for values in [{'state': 'sent'}, {'processed': 3}]:
                    with self.assertRaises(AccessError):
                        Mailing.write([Mailing(mailing.id)], values)
                Mailing.write([Mailing(mailing.id)], {'name': "Renamed"})
            mailing = Mailing(mailing.id)
            self.assertEqual(
                (mailing.state, mailing.processed, mailing.name),
                ('draft', 0, "Renamed"))

    @with_transaction()
    def test_bad_template(self):
        "A template that cannot be read is refused"
        pool = Pool()
        Mailing = pool.get('crm.mailing')

        company = create_company()
        with set_company(company):
            data = self._setup(company)
            for body in ["${1 +}", "Dear ${customer}"]:
                with self.assertRaises(ValidationError):
                    Mailing.write([data['mailing']], {'body': body})
            Mailing.write([data['mailing']], {
                    'body': "#if opportunity_reference\n"
                    "Offer ${opportunity_reference}\n#end\n"})

    @with_transaction()
    def test_letters(self):
        "The letters of the targets are merged into one document and logged"
        pool = Pool()
        Activity = pool.get('crm.activity')
        Campaign = pool.get('marketing.campaign')
        Letter = pool.get('crm.campaign.letter', type='report')
        ModelData = pool.get('ir.model.data')
        Target = pool.get('crm.campaign.target')

        company = create_company()
        with set_company(company):
            data = self._setup(company)
            campaign = data['campaign']
            # Two letters: the other targets leave the campaign.
            Target.delete([t for n, t in self._targets(campaign).items()
                    if n not in {'Alice Ltd', 'Bruno SA'}])

            extension, content, _, name = Letter.execute(
                [campaign.id], {})
            self.assertEqual(extension, 'odt')
            with zipfile.ZipFile(io.BytesIO(content)) as document:
                text = document.read('content.xml').decode('utf-8')
            for merged in ["Alice Ltd", "Bruno SA", "Attn. Carmen",
                    "Dear Carmen,", "Dear Alice Ltd,",
                    "Your contact person is Sam Seller",
                    "Your contact person is Olivia Owner",
                    "It concerns our offer %s of " % (
                        data['opportunity'].number)]:
                self.assertIn(merged, text)
            self.assertEqual(text.count("Kind regards,"), 2)

            letter_type = ModelData.get_id(
                'crm_plus', 'activity_type_letter')
            activities = Activity.search([('type', '=', letter_type)])
            self.assertEqual(
                sorted((a.party.name, a.contact.name if a.contact else None,
                        a.state) for a in activities), [
                    ("Alice Ltd", None, 'done'),
                    ("Bruno SA", "Carmen", 'done'),
                    ])
            self.assertEqual(
                {a.subject for a in activities},
                {'Letter of the campaign "%s"' % Campaign(
                        campaign.id).rec_name})


def create_mailing_campaign(company, count, name="Autumn"):
    """Create a marketing user and a campaign of count partners with an
    address each, and a draft mailing to them; return their ids"""
    pool = Pool()
    Campaign = pool.get('marketing.campaign')
    Mailing = pool.get('crm.mailing')
    ModelData = pool.get('ir.model.data')
    Party = pool.get('party.party')
    User = pool.get('res.user')
    owner = create_employee(company, "Olivia Owner")
    marketer, = User.create([{
                'name': 'Marketer', 'login': 'marketer',
                'groups': [('add', [
                            ModelData.get_id(
                                'crm_plus', 'group_crm_marketing')])],
                'companies': [('add', [company.id])],
                'company': company.id,
                'employees': [('add', [owner.id])],
                'employee': owner.id,
                }])
    parties = Party.create([{
                'name': "Partner %03d" % i,
                'contact_mechanisms': [('create', [{
                                'type': 'email',
                                'value': 'partner%03d@example.com' % i,
                                }])],
                } for i in range(count)])
    campaign, = Campaign.create([{
                'name': name,
                'company': company.id,
                'currency': company.currency.id,
                'owner': owner.id,
                'targets': [('create', [
                            {'party': p.id} for p in parties])],
                }])
    Campaign.activate([campaign])
    mailing, = Mailing.create([{
                'name': name,
                'campaign': campaign.id,
                'subject': "News for ${partner}",
                'body': "Dear ${partner},\n",
                }])
    return marketer.id, campaign.id, mailing.id


class MailingWithoutWorkerTestCase(CommittedTestCase):
    """Mailings sent by a trytond without a queue worker, whose dispatcher
    runs after a request's commit the tasks the request queued"""

    @classmethod
    def _setup_data(cls):
        company = create_company()
        cls.company_id = company.id
        with set_company(company):
            cls.marketer_id, cls.campaign_id, cls.mailing_id = (
                create_mailing_campaign(company, 120))

    def setUp(self):
        super().setUp()
        self.handler = start_smtp(self)
        set_config(self, 'queue', 'worker', 'False')

    def test_every_batch_sent(self):
        "Send sends every batch, each message once"
        rpc_call(
            DB_NAME, self.marketer_id, 'crm.mailing', 'send',
            [self.mailing_id], context={'company': self.company_id},
            run_tasks=True)
        addresses = [a for rcpt_tos, _ in self.handler.messages
            for a in rcpt_tos]
        self.assertEqual(len(addresses), 120)
        self.assertEqual(
            sorted(addresses),
            ['partner%03d@example.com' % i for i in range(120)])
        with Transaction().start(DB_NAME, 0):
            pool = Pool()
            Mailing = pool.get('crm.mailing')
            Queue = pool.get('ir.queue')
            Target = pool.get('crm.campaign.target')
            mailing = Mailing(self.mailing_id)
            self.assertEqual(
                (mailing.state, mailing.total, mailing.processed,
                    mailing.sent_count, mailing.error),
                ('sent', 120, 120, 120, None))
            self.assertEqual(
                {t.status for t in Target.search(
                        [('campaign', '=', self.campaign_id)])}, {'sent'})
            # One task, run: nothing left waiting for a worker.
            tasks = Queue.search([])
            self.assertEqual(len(tasks), 1)
            self.assertTrue(tasks[0].finished_at)


@unittest.skipUnless(
    backend.name == 'postgresql', "two sessions at once on PostgreSQL")
class MailingConcurrencyTestCase(CommittedTestCase):
    "Two marketing users pressing Send on the same mailing at once"

    @classmethod
    def _setup_data(cls):
        pool = Pool()
        company = create_company()
        cls.company_id = company.id
        with set_company(company):
            cls.marketer_id, cls.campaign_id, _ = (
                create_mailing_campaign(company, 7))
            # A second marketing user.
            ModelData = pool.get('ir.model.data')
            User = pool.get('res.user')
            second, = User.create([{
                        'name': 'Second', 'login': 'second',
                        'groups': [('add', [ModelData.get_id(
                                        'crm_plus', 'group_crm_marketing')])],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        }])
            cls.second_id = second.id

    def setUp(self):
        super().setUp()
        self.handler = start_smtp(self)
        set_config(self, 'queue', 'worker', 'False')

    def _new_mailing(self):
        with Transaction().start(
                DB_NAME, 0, context={'company': self.company_id}
                ) as transaction:
            Mailing = Pool().get('crm.mailing')
            mailing, = Mailing.create([{
                        'name': "Winter",
                        'campaign': self.campaign_id,
                        'subject': "Winter news for ${partner}",
                        'body': "Dear ${partner},\n",
                        }])
            transaction.commit()
            return mailing.id

    def _send(self, user_id, mailing_id):
        return lambda: rpc_call(
            DB_NAME, user_id, 'crm.mailing', 'send', [mailing_id],
            context={'company': self.company_id}, run_tasks=True)

    def test_send_twice_at_once(self):
        "One Send sends, the other is told the mailing is being sent"
        for _ in range(3):
            self.handler.messages.clear()
            mailing_id = self._new_mailing()
            results = at_once(
                self._send(self.marketer_id, mailing_id),
                self._send(self.second_id, mailing_id))
            errors = [r for r in results if isinstance(r, Exception)]
            self.assertEqual(len(errors), 1, results)
            # Started again after the first committed, the second finds
            # the mailing sending: the host refuses its Send button.
            self.assertIsInstance(errors[0], AccessButtonError)
            self.assertEqual(
                errors[0].message,
                'You can not call "send" on "Winter" of "Mailing".')
            with Transaction().start(DB_NAME, 0):
                pool = Pool()
                Mailing = pool.get('crm.mailing')
                Recipient = pool.get('crm.mailing.recipient')
                mailing = Mailing(mailing_id)
                self.assertEqual(
                    (mailing.state, mailing.total, mailing.processed),
                    ('sent', 7, 7))
                self.assertEqual(Recipient.search_count(
                        [('mailing', '=', mailing_id)]), 7)
            addresses = sorted(a for rcpt_tos, _ in self.handler.messages
                for a in rcpt_tos)
            self.assertEqual(
                addresses, ['partner%03d@example.com' % i for i in range(7)])
