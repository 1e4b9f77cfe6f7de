# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The bounces that come back by mail, read from the bounce mailbox.

Most bounces are not refusals at send time: the receiving server accepts
the message and later mails a delivery status notification back to the
envelope sender. Every message of a mailing carries what matches such a
notice to its recipient: a VERP envelope sender (local+<token>@domain, when
[crm_plus] bounce_address is set) and its own Message-ID, recorded on the
recipient. The mailbox ([crm_plus] bounce_mailbox, a Maildir or an IMAP
folder) is read by a scheduled task and by a button of the mailings."""
import imaplib
import logging
import mailbox
import os
import re
from collections import Counter
from urllib.parse import unquote, urlsplit

import trytond.config as config
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import ModelView
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import without_check_access

from .bounce_parser import parse_bytes

logger = logging.getLogger(__name__)

# The target statuses a permanent bounce turns to bounced: a target that
# answered, converted or unsubscribed keeps what it did.
_BOUNCEABLE = {'selected', 'sent'}
_TOKEN_RE = re.compile(r'^<([0-9a-f]{24})@', re.IGNORECASE)


def bounce_sender(token):
    """The VERP envelope sender of the message of the token, or None when
    no bounce address is configured"""
    address = config.get('crm_plus', 'bounce_address')
    if not address or '@' not in address:
        return None
    local, domain = address.rsplit('@', 1)
    return f'{local}+{token}@{domain}'


def open_mailbox(uri):
    "The bounce mailbox of the URI: maildir:///path or imap[s]://..."
    parts = urlsplit(uri)
    if parts.scheme == 'maildir':
        return _Maildir(unquote(parts.path))
    if parts.scheme in {'imap', 'imaps'}:
        return _IMAP(parts)
    raise ValueError(f"unknown scheme {parts.scheme!r}")


class _Maildir:
    "A Maildir: the messages not seen are in new, or in cur without S"

    def __init__(self, path):
        if not os.path.isdir(os.path.join(path, 'new')):
            raise FileNotFoundError(f"no Maildir at {path}")
        self._box = mailbox.Maildir(path, factory=None, create=False)

    def unseen(self):
        for key in list(self._box.keys()):
            try:
                message = self._box.get_message(key)
                if (message.get_subdir() == 'cur'
                        and 'S' in message.get_flags()):
                    continue
                yield key, self._box.get_bytes(key)
            except (OSError, KeyError):
                # Taken meanwhile by another reader.
                continue

    def mark_seen(self, keys):
        for key in keys:
            try:
                message = self._box.get_message(key)
                message.set_subdir('cur')
                message.add_flag('S')
                self._box[key] = message
            except (OSError, KeyError):
                continue

    def close(self):
        self._box.close()


class _IMAP:
    "An IMAP folder: the messages not seen are those without \\Seen"

    def __init__(self, parts):
        secure = parts.scheme == 'imaps'
        class_ = imaplib.IMAP4_SSL if secure else imaplib.IMAP4
        self._imap = class_(
            parts.hostname, parts.port or (993 if secure else 143),
            timeout=60)
        try:
            if not secure and 'STARTTLS' in self._imap.capabilities:
                self._imap.starttls()
            self._imap.login(
                unquote(parts.username or ''), unquote(parts.password or ''))
            folder = unquote(parts.path.lstrip('/')) or 'INBOX'
            typ, data = self._imap.select(folder)
            if typ != 'OK':
                raise imaplib.IMAP4.error(
                    b' '.join(d for d in data if d).decode(errors='replace'))
        except BaseException:
            self.close()
            raise

    def unseen(self):
        typ, data = self._imap.uid('SEARCH', None, 'UNSEEN')
        for uid in (data[0] or b'').split():
            # PEEK: reading does not set \Seen, only processing does.
            typ, parts = self._imap.uid('FETCH', uid, '(BODY.PEEK[])')
            for part in parts or []:
                if isinstance(part, tuple):
                    yield uid, part[1]
                    break

    def mark_seen(self, keys):
        for sub in grouped_slice(list(keys), 200):
            self._imap.uid('STORE', b','.join(sub), '+FLAGS', r'(\Seen)')

    def close(self):
        try:
            self._imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


class Mailing(metaclass=PoolMeta):
    __name__ = 'crm.mailing'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'read_bounces_button': {
                    'invisible': Eval('state') == 'draft',
                    'icon': 'tryton-email',
                    'depends': ['state'],
                    },
                })

    @classmethod
    @ModelView.button
    def read_bounces_button(cls, mailings):
        "Read the bounce mailbox now, for every mailing"
        if not config.get('crm_plus', 'bounce_mailbox'):
            raise UserError(gettext('crm_plus.msg_mailing_bounce_no_mailbox'))
        cls.read_bounces()

    @classmethod
    def read_bounces(cls):
        """Read the messages not seen of the bounce mailbox; return the
        count of each outcome

        A permanent failure (5.x.x) bounces the recipient and its target;
        a transient one (4.x.x) is only counted. Both are marked seen.
        What is no bounce, or matches no recipient, or cannot be read, is
        left unseen for a person to read."""
        uri = config.get('crm_plus', 'bounce_mailbox')
        if not uri:
            return None
        try:
            box = open_mailbox(uri)
        except (OSError, ValueError, imaplib.IMAP4.error) as error:
            logger.warning("bounce mailbox unreadable: %s", error)
            raise UserError(gettext(
                    'crm_plus.msg_mailing_bounce_mailbox_error',
                    error=str(error) or error.__class__.__name__)) from error
        counts = Counter()
        try:
            bounces = []
            for key, data in box.unseen():
                try:
                    bounce = parse_bytes(data)
                except Exception as error:
                    # One broken message must not stop the others.
                    logger.warning("bounce %r unreadable: %s", key, error)
                    counts['malformed'] += 1
                    continue
                if bounce is None:
                    counts['ignored'] += 1
                else:
                    bounces.append((key, bounce))
            seen = cls._apply_bounces(bounces, counts)
            box.mark_seen(seen)
        except (OSError, imaplib.IMAP4.error) as error:
            logger.warning("bounce mailbox failed: %s", error)
            raise UserError(gettext(
                    'crm_plus.msg_mailing_bounce_mailbox_error',
                    error=str(error) or error.__class__.__name__)) from error
        finally:
            box.close()
        logger.info("bounces read: %s", dict(counts))
        return counts

    @classmethod
    def _apply_bounces(cls, bounces, counts):
        """Record the bounces on their recipients; return the keys of
        those matched"""
        pool = Pool()
        Recipient = pool.get('crm.mailing.recipient')
        Target = pool.get('crm.campaign.target')
        tokens, message_ids = set(), set()
        for _, bounce in bounces:
            tokens.update(bounce.tokens)
            message_ids.update(bounce.message_ids)
        tokens.update(m.group(1).lower() for m in map(
                _TOKEN_RE.match, message_ids) if m)
        by_token = {}
        with without_check_access():
            # Every Message-ID sent is <token@domain>: the tokens find the
            # recipients of the VERP addresses and of the Message-IDs.
            for sub in grouped_slice(sorted(tokens), 100):
                for recipient in Recipient.search(['OR'] + [
                            ('message_id', 'like', f'<{t}@%')
                            for t in sub]):
                    token = _TOKEN_RE.match(recipient.message_id).group(1)
                    by_token[token.lower()] = recipient

            seen, errors, targets = [], {}, set()
            for key, bounce in bounces:
                bounce_tokens = set(bounce.tokens) | {
                    m.group(1).lower()
                    for m in map(_TOKEN_RE.match, bounce.message_ids) if m}
                recipients = {by_token[t] for t in bounce_tokens
                    if t in by_token}
                if not recipients:
                    counts['unmatched'] += 1
                    continue
                seen.append(key)
                if bounce.kind == 'delayed':
                    counts['delayed'] += 1
                    logger.info(
                        "delayed: %s", ', '.join(
                            r.email or '' for r in recipients))
                    continue
                counts['failed'] += 1
                for recipient in recipients:
                    if recipient.result != 'sent':
                        continue
                    failure = next((f for f in bounce.failures
                            if f.address == (recipient.email or '').lower()),
                        bounce.failures[0])
                    error = f'{failure.status} {failure.diagnostic}'.strip()
                    errors[recipient] = error[:Recipient.error.size] if (
                        Recipient.error.size) else error
                    if recipient.target.status in _BOUNCEABLE:
                        targets.add(recipient.target)
            by_error = {}
            for recipient, error in errors.items():
                by_error.setdefault(error, []).append(recipient)
            to_write = []
            for error, records in by_error.items():
                to_write.extend((records, {
                            'result': 'bounced', 'error': error}))
            if to_write:
                Recipient.write(*to_write)
            if targets:
                Target.set_bounced(list(targets))
            if errors:
                counts['bounced'] += len(errors)
        return seen


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('crm.mailing|read_bounces', "Read Mailing Bounces"))
