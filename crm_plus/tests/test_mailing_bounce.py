# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Bounces of mailings that come back by mail, read from a Maildir"""
import mailbox
import imaplib
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import trytond.config as config
from trytond.exceptions import UserError
from trytond.model.modelview import AccessButtonError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.crm_plus.tests.test_mailing import (
    create_mailing_campaign, set_config, start_smtp)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'bounces')

# The bounce of each partner's message, by the partner's number; partner
# 010 bounces but has responded already, partner 011 gets an auto-reply,
# partners 012 to 014 get no bounce.
BOUNCES = {
    0: 'postfix_rfc3464.eml',
    1: 'bare_lf_lowercase.eml',
    2: 'qmail.eml',
    3: 'exim_8bit.eml',
    4: 'office365.eml',
    5: 'exchange_legacy.eml',
    6: 'gmail.eml',
    7: 'gmail_delay.eml',
    8: 'x_failed_recipients_only.eml',
    9: 'malformed.eml',
    10: 'gmail.eml',
    11: 'auto_reply.eml',
    }
FAILED = {0, 1, 2, 3, 4, 5, 6, 8, 10}


class MailingBounceTestCase(unittest.TestCase):
    "Bounces read back from the bounce mailbox"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('crm_plus')

    def setUp(self):
        super().setUp()
        self.handler = start_smtp(self)
        set_config(self, 'queue', 'worker', 'True')
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.maildir_path = os.path.join(directory.name, 'bounces')
        self.maildir = mailbox.Maildir(self.maildir_path, create=True)
        set_config(self, 'crm_plus', 'bounce_address', 'bounces@example.com')
        set_config(
            self, 'crm_plus', 'bounce_mailbox',
            'maildir://' + self.maildir_path)

    def _send(self, company, count=15):
        "Send a mailing of count partners; return it and its campaign"
        pool = Pool()
        Mailing = pool.get('crm.mailing')
        Target = pool.get('crm.campaign.target')
        marketer_id, campaign_id, mailing_id = create_mailing_campaign(
            company, count)
        Target.write(Target.search([
                    ('campaign', '=', campaign_id),
                    ('party.name', '=', "Partner 010"),
                    ]), {'status': 'responded'})
        with Transaction().set_user(marketer_id), \
                Transaction().set_context(
                    _check_access=True, company=company.id):
            Mailing.send([Mailing(mailing_id)])
        while Mailing(mailing_id).state == 'sending':
            Mailing.process([Mailing(mailing_id)])
        return Mailing(mailing_id), marketer_id

    def _bounces(self, mailing):
        """The bounces of the partners' messages, by file name: the
        fixtures filled with the token, Message-ID and address of each"""
        recipients = {int(r.party.name.split()[-1]): r
            for r in mailing.recipients}
        bounces = {}
        for number, name in BOUNCES.items():
            recipient = recipients[number]
            token = recipient.message_id[1:].split('@')[0]
            with open(os.path.join(FIXTURES, name), 'rb') as file:
                data = file.read()
            for placeholder, value in [
                    (b'{{VERP}}', 'bounces+%s@example.com' % token),
                    (b'{{MESSAGE_ID}}', recipient.message_id),
                    (b'{{EMAIL}}', recipient.email),
                    ]:
                data = data.replace(placeholder, value.encode())
            bounces['%s.%s' % (number, name)] = data
        # A bounce that no mailing sent.
        with open(os.path.join(FIXTURES, 'unknown_message.eml'), 'rb') as file:
            bounces['unknown.eml'] = file.read()
        return bounces

    def _write_bounces(self, mailing):
        "Deliver into the Maildir the bounces of the partners' messages"
        for name, data in self._bounces(mailing).items():
            # As a delivering server does: the file as received, in new.
            path = os.path.join(self.maildir_path, 'tmp', name)
            with open(path, 'wb') as file:
                file.write(data)
            os.rename(path, os.path.join(self.maildir_path, 'new', name))

    def _states(self, mailing):
        "The result of each recipient and its target's status, by number"
        Mailing = Pool().get('crm.mailing')
        return {int(r.party.name.split()[-1]): (
                r.result, r.target.status, r.error)
            for r in Mailing(mailing.id).recipients}

    def _files(self):
        "The files of the Maildir: the new ones and the seen ones"
        new = set(os.listdir(os.path.join(self.maildir_path, 'new')))
        cur = {n.split(':')[0]: n.split(':2,')[1] for n in os.listdir(
                os.path.join(self.maildir_path, 'cur'))}
        return new, cur

    @with_transaction()
    def test_read_bounces(self):
        "The bounces of a mailing bounce their recipients and targets"
        pool = Pool()
        Mailing = pool.get('crm.mailing')
        company = create_company()
        with set_company(company):
            mailing, _ = self._send(company)
            self.assertEqual(len(self.handler.messages), 15)
            # Each message carries its own VERP sender and Message-ID.
            for recipient in mailing.recipients:
                token = recipient.message_id[1:].split('@')[0]
                self.assertRegex(token, r'^[0-9a-f]{24}$')
                self.assertEqual(
                    recipient.message_id, '<%s@example.com>' % token)
                self.assertEqual(
                    self.handler.senders[(recipient.email,)],
                    'bounces+%s@example.com' % token)
                message, = [m for r, m in self.handler.messages
                    if r == [recipient.email]]
                self.assertEqual(message['Message-ID'], recipient.message_id)
                self.assertEqual(message['From'], 'marketing@example.com')
            self.assertEqual(len({r.message_id
                        for r in mailing.recipients}), 15)
            self._write_bounces(mailing)

            counts = Mailing.read_bounces()
            self.assertEqual(dict(counts), {
                    'failed': 9, 'bounced': 9, 'delayed': 1,
                    'malformed': 1, 'ignored': 1, 'unmatched': 1,
                    })
            states = self._states(mailing)
            expected = {}
            for number in range(15):
                if number in FAILED:
                    expected[number] = (
                        'bounced',
                        'responded' if number == 10 else 'bounced')
                else:
                    expected[number] = ('sent', 'sent')
            self.assertEqual(
                {n: s[:2] for n, s in states.items()}, expected)
            self.assertEqual(states[0][2], (
                    '5.1.1 smtp; 550 5.1.1 <partner000@example.com>: '
                    'Recipient address rejected: User unknown in virtual '
                    'mailbox table'))
            self.assertEqual(
                states[1][2], '5.2.1 smtp; 550 5.2.1 mailbox disabled')
            self.assertEqual(states[2][2],
                '5.1.1 Sorry, no mailbox here by that name. (#5.1.1)')
            self.assertEqual(states[3][2],
                '5.1.1 550 5.1.1 Benutzer unbekannt – Empfänger existiert '
                'nicht')
            self.assertTrue(states[4][2].startswith(
                    '5.1.10 smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound'))
            self.assertIn('RESOLVER.ADR.RecipNotFound', states[5][2])
            self.assertEqual(states[8][2], '5.0.0')
            self.assertIsNone(states[7][2])
            mailing = Mailing(mailing.id)
            self.assertEqual(
                (mailing.sent_count, mailing.bounced_count), (6, 9))

            # The bounces matched are seen; the others wait for a person.
            new, cur = self._files()
            self.assertEqual(new, {
                    '9.malformed.eml', '11.auto_reply.eml', 'unknown.eml'})
            self.assertEqual(cur, {
                    '%s.%s' % (n, BOUNCES[n]): 'S'
                    for n in FAILED | {7}})

            # Read again: nothing more changes.
            counts = Mailing.read_bounces()
            self.assertEqual(dict(counts), {
                    'malformed': 1, 'ignored': 1, 'unmatched': 1})
            self.assertEqual(self._states(mailing), states)
            self.assertEqual(self._files(), (new, cur))

    @with_transaction()
    def test_salesperson_cannot_read_bounces(self):
        "Only the marketing group reads the bounces"
        pool = Pool()
        Mailing = pool.get('crm.mailing')
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            mailing, _ = self._send(company)
            self._write_bounces(mailing)
            states = self._states(mailing)
            files = self._files()
            salesman, = User.create([{
                        'name': 'Salesman', 'login': 'salesman',
                        'groups': [('add', [ModelData.get_id(
                                        'crm_plus', 'group_crm_user')])],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        }])
            with Transaction().set_user(salesman.id), \
                    Transaction().set_context(
                        _check_access=True, company=company.id):
                with self.assertRaises(AccessButtonError):
                    Mailing.read_bounces_button([Mailing(mailing.id)])
            self.assertEqual(self._states(mailing), states)
            self.assertEqual(self._files(), files)
            self.assertEqual(len(files[0]), 13)

    @with_transaction()
    def test_button_needs_mailbox(self):
        "The button says when no mailbox is configured, or it is unreadable"
        pool = Pool()
        Mailing = pool.get('crm.mailing')
        company = create_company()
        with set_company(company):
            mailing, marketer_id = self._send(company, count=2)
            with Transaction().set_user(marketer_id), \
                    Transaction().set_context(
                        _check_access=True, company=company.id):
                Mailing.read_bounces_button([Mailing(mailing.id)])
                for uri, message in [
                        ('', "No bounce mailbox is configured"),
                        ('maildir:///nowhere',
                            "The bounce mailbox cannot be read"),
                        ('pop3://mail.example.com',
                            "The bounce mailbox cannot be read"),
                        ]:
                    set_config(self, 'crm_plus', 'bounce_mailbox', uri)
                    with self.assertRaises(UserError) as raised:
                        Mailing.read_bounces_button([Mailing(mailing.id)])
                    self.assertIn(message, raised.exception.message)
            self.assertEqual(
                {r.result for r in Mailing(mailing.id).recipients}, {'sent'})


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class MailingBounceIMAPTestCase(MailingBounceTestCase):
    "Bounces read back from an IMAP folder of a local IMAP server"

    def setUp(self):
        super().setUp()
        # pymap, an IMAP server in Python, with its in-memory mailboxes.
        port = _free_port()
        server = subprocess.Popen([
                os.path.join(os.path.dirname(sys.executable), 'pymap'),
                '--host', '127.0.0.1', '--port', str(port), '--no-tls',
                'dict'],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(server.wait)
        self.addCleanup(server.terminate)
        for _ in range(100):
            try:
                self.imap = imaplib.IMAP4('127.0.0.1', port)
                break
            except OSError:
                time.sleep(0.1)
        self.addCleanup(self.imap.logout)
        self.imap.login('demouser', 'demopass')
        self.imap.select('INBOX')
        set_config(
            self, 'crm_plus', 'bounce_mailbox',
            'imap://demouser:demopass@127.0.0.1:%s/INBOX' % port)

    def _write_bounces(self, mailing):
        "Deliver into the IMAP folder the bounces of the partners' messages"
        self.uids = {}
        for name, data in self._bounces(mailing).items():
            typ, answer = self.imap.append('INBOX', None, None, data)
            self.assertEqual(typ, 'OK')
            # [APPENDUID <validity> <uid>]
            self.uids[answer[0].split()[2].rstrip(b']')] = name

    def _files(self):
        "The messages of the folder: those not seen and those seen"
        self.imap.select('INBOX')
        typ, answer = self.imap.uid('SEARCH', None, 'UNSEEN')
        unseen = {self.uids[u] for u in answer[0].split()}
        typ, answer = self.imap.uid('SEARCH', None, 'SEEN')
        seen = {self.uids[u]: 'S' for u in answer[0].split()}
        return unseen, seen

    @with_transaction()
    def test_button_needs_mailbox(self):
        "The button says when the IMAP server refuses the login"
        pool = Pool()
        Mailing = pool.get('crm.mailing')
        company = create_company()
        with set_company(company):
            mailing, marketer_id = self._send(company, count=2)
            uri = config.get('crm_plus', 'bounce_mailbox')
            set_config(
                self, 'crm_plus', 'bounce_mailbox',
                uri.replace(':demopass@', ':wrong@'))
            with Transaction().set_user(marketer_id), \
                    Transaction().set_context(
                        _check_access=True, company=company.id):
                with self.assertRaises(UserError) as raised:
                    Mailing.read_bounces_button([Mailing(mailing.id)])
            self.assertIn(
                "The bounce mailbox cannot be read",
                raised.exception.message)
