# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What a bounce says: the delivery status notifications that mail servers
send back, standard (RFC 3464) or not, read into the failed or delayed
recipients and what identifies the message sent.

Nothing here touches the database: the reader of the bounce mailbox
matches what is found to the recipients of the mailings."""
import email
import email.policy
import re
from collections import namedtuple
from email import errors
from email.parser import HeaderParser
from email.utils import getaddresses

# A recipient of the bounce: its address (or None when the bounce does not
# name it), the status code as x.y.z and the server's diagnostic.
Failure = namedtuple('Failure', ['address', 'status', 'diagnostic'])
# The kind is 'failed' (permanent) or 'delayed' (transient); tokens are the
# VERP tokens of the address the bounce was sent to, message_ids those of
# the original message.
Bounce = namedtuple(
    'Bounce', ['kind', 'failures', 'tokens', 'message_ids'])

# The token that the messages carry in their envelope sender:
# local+<token>@domain.
TOKEN_RE = re.compile(r'\+([0-9a-f]{24})@', re.IGNORECASE)
_MESSAGE_ID_RE = re.compile(
    r'^[ \t>]*Message-ID:[ \t]*\r?\n?[ \t]*(<[^<>\s]+>)',
    re.IGNORECASE | re.MULTILINE)
_STATUS_RE = re.compile(r'(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])')
_ADDRESS_RE = re.compile(r'[\w.+\'=-]+@[\w-]+(?:\.[\w-]+)+')
# Where the copy of the original message starts in the text bounces: the
# status and addresses are read above it.
_COPY_RE = re.compile(
    r'^(?:-+ ?Below this line is a copy of the message'
    r'|-+ This is a copy of the message'
    r'|-+ The header of the original message is following'
    r'|Original message headers:'
    r'|-+ Original message -+'
    r'|-+Original Message-+)',
    re.IGNORECASE | re.MULTILINE)
# The envelope recipient of the bounce, as the delivering server records it.
_ENVELOPE_HEADERS = [
    'To', 'Delivered-To', 'X-Original-To', 'Envelope-To', 'X-Envelope-To',
    'X-Rcpt-To']
_BOUNCE_SENDER_RE = re.compile(
    r'mailer-daemon|postmaster|mail delivery (?:system|subsystem)',
    re.IGNORECASE)
_BOUNCE_SUBJECT_RE = re.compile(
    r'undeliver|delivery status notification|returned mail|'
    r'mail delivery failed|failure notice|delivery failure|'
    r'could not be delivered|delivery has failed|'
    r'not delivered|delayed mail|warning: message .* delayed|'
    r'delivery (?:delay|incomplete)',
    re.IGNORECASE)
# The texts of the servers that send no report: qmail, Exim, Exchange,
# Gmail, Postfix, Sendmail.
_PERMANENT_RE = re.compile(
    r"permanent error|I've given up|could not be delivered|"
    r"couldn't be delivered|wasn't delivered|was not delivered|"
    r"delivery has failed|did not reach|cannot be reached|"
    r"address not found|user unknown|no such user|"
    r"mailbox unavailable|does not exist|undeliverable",
    re.IGNORECASE)
_TRANSIENT_RE = re.compile(
    r"not yet been delivered|has been delayed|is delayed|"
    r"delivery delayed|temporary (?:error|failure|problem)|"
    r"will (?:continue|keep) (?:trying|to try)|still pending|"
    r"will retry|not a fatal error",
    re.IGNORECASE)
# The markers that tell a text bounce from any other message.
_TEXT_BOUNCE_RE = re.compile(
    r'This is the qmail-send program|'
    r'created automatically by mail delivery software|'
    r'Delivery has failed to these recipients|'
    r"Your message (?:wasn't|couldn't be|could not be) delivered|"
    r'did not reach some or all of the intended recipients|'
    r'The following addresses? (?:had permanent fatal errors|failed)|'
    r'Message not delivered|'
    r'not yet been delivered',
    re.IGNORECASE)


_BROKEN = (
    errors.MissingHeaderBodySeparatorDefect,
    errors.StartBoundaryNotFoundDefect,
    errors.NoBoundaryInMultipartDefect,
    )


def parse_bytes(data):
    "The bounce of the raw message, or None when it is no bounce"
    # compat32 reads any header, however broken, as text.
    return parse(email.message_from_bytes(data, policy=email.policy.compat32))


def parse(message):
    """The bounce of the message, or None when it is none (an auto-reply,
    a delivery report of success, a message of a person)"""
    # Headers cut short, or a multipart without its parts: what remains
    # cannot be trusted to say which message failed.
    if any(isinstance(d, _BROKEN) for d in message.defects):
        raise ValueError(
            "broken message: %s" % ', '.join(
                type(d).__name__ for d in message.defects))
    tokens = set()
    for name in _ENVELOPE_HEADERS:
        for value in message.get_all(name) or []:
            tokens.update(t.lower() for t in TOKEN_RE.findall(str(value)))
    message_ids = set()
    for name in ['In-Reply-To', 'References']:
        for value in message.get_all(name) or []:
            message_ids.update(re.findall(r'<[^<>\s]+>', str(value)))

    failures = None
    texts = []
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == 'message/delivery-status':
            failures = (failures or []) + _report_failures(part)
        elif content_type == 'message/rfc822':
            for original in part.get_payload() or []:
                if hasattr(original, 'get') and original.get('Message-ID'):
                    message_ids.add(original['Message-ID'].strip())
        elif content_type == 'text/rfc822-headers':
            headers = HeaderParser().parsestr(_text(part))
            if headers.get('Message-ID'):
                message_ids.add(headers['Message-ID'].strip())
        elif part.get_content_maintype() == 'text':
            texts.append(_text(part))
    text = '\n'.join(texts)
    # The original headers, inline in the text, as qmail and Exim send
    # them or as a report's text part quotes them.
    message_ids.update(_MESSAGE_ID_RE.findall(text))

    if failures is None:
        if (message.get_content_type() == 'multipart/report'
                and str(message.get_param('report-type', '')).lower()
                == 'delivery-status'):
            # A report whose report cannot be found is broken, cut or
            # mangled: guessing from its remains could bounce a recipient
            # wrongly.
            raise ValueError("delivery status report without its report")
        if not _is_text_bounce(message, text):
            return None
        failures = _text_failures(message, text)
    failures = [f for f in failures if f.status]
    if not failures:
        return None
    if any(f.status.startswith('5') for f in failures):
        kind = 'failed'
    elif any(f.status.startswith('4') for f in failures):
        kind = 'delayed'
    else:
        # Delivered, relayed, expanded: what went well is no bounce.
        return None
    return Bounce(kind, failures, tokens, {m for m in message_ids if m})


def _text(part):
    "The text of the part, decoded whatever its declared charset"
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = part.get_payload()
        if isinstance(payload, list):
            return '\n'.join(str(p) for p in payload)
        return payload or ''
    charset = part.get_content_charset() or 'utf-8'
    try:
        return payload.decode(charset, errors='replace')
    except LookupError:
        # An unknown charset: 8-bit text is read as Latin-1 rather than
        # lost.
        return payload.decode('latin-1')


def _fields(block):
    "The fields of a block of a report, by lower-case name"
    fields = {}
    name = None
    for line in block.splitlines():
        if line[:1] in {' ', '\t'} and name:
            fields[name] += ' ' + line.strip()
        elif ':' in line:
            name, value = line.split(':', 1)
            name = name.strip().lower()
            fields[name] = value.strip()
    return fields


def _report_blocks(part):
    "The blocks of fields of a message/delivery-status part"
    payload = part.get_payload()
    if isinstance(payload, list):
        # The host parser reads each block as the headers of a message.
        blocks = [{k.strip().lower(): str(v).strip()
                for k, v in block.items()} for block in payload]
        # A block whose fields it did not read (no blank line after the
        # per-message fields) is read from its text again.
        if any(b for b in blocks):
            return blocks
        payload = '\n'.join(str(p) for p in payload)
    text = payload if isinstance(payload, str) else ''
    if part.get('Content-Transfer-Encoding', '').lower() in {
            'base64', 'quoted-printable'}:
        text = _text(part)
    return [_fields(b) for b in re.split(r'\r?\n[ \t]*\r?\n', text)]


def _address(value):
    "The address of a recipient field: rfc822; <user@example.com>"
    if not value:
        return None
    value = value.split(';', 1)[-1]
    found = _ADDRESS_RE.search(value)
    return found.group(0).lower() if found else None


def _report_failures(part):
    failures = []
    for fields in _report_blocks(part):
        if not fields.get('action') and not fields.get('status'):
            continue
        address = _address(
            fields.get('original-recipient')
            or fields.get('final-recipient')
            or fields.get('x-actual-recipient'))
        diagnostic = ' '.join(fields.get('diagnostic-code', '').split())
        status = _status(fields.get('status', ''))
        if not status:
            status = _status(diagnostic)
        action = fields.get('action', '').lower()
        if not status and action == 'failed':
            status = '5.0.0'
        elif not status and action == 'delayed':
            status = '4.0.0'
        elif status and action == 'delayed' and status.startswith('5'):
            # A delay notice whose status names the last answer: the
            # server still tries.
            status = '4' + status[1:]
        elif action in {'delivered', 'relayed', 'expanded'}:
            status = '2.0.0'
        failures.append(Failure(address, status, diagnostic))
    return failures


def _status(text):
    found = _STATUS_RE.search(text or '')
    return '.'.join(found.groups()) if found else None


def _is_text_bounce(message, text):
    if message.get('X-Failed-Recipients'):
        return True
    if _TEXT_BOUNCE_RE.search(text):
        return True
    sender = ' '.join(str(v) for v in (
            message.get_all('From') or []) + (
            message.get_all('Return-Path') or []))
    subject = str(message.get('Subject', ''))
    return bool(_BOUNCE_SENDER_RE.search(sender)
        and _BOUNCE_SUBJECT_RE.search(subject))


def _text_failures(message, text):
    "The failures of a bounce without report, read from its text"
    found = _COPY_RE.search(text)
    notice = text[:found.start()] if found else text
    subject = str(message.get('Subject', ''))
    transient = (_TRANSIENT_RE.search(notice) or re.search(
            r'delay|warning', subject, re.IGNORECASE))
    permanent = _PERMANENT_RE.search(notice) or re.search(
        r'fail|undeliver|not delivered|returned', subject, re.IGNORECASE)
    status = _status(notice)
    if status is None:
        code = re.search(r'(?<!\d)([45])\d\d(?![\d.])', notice)
        if code:
            status = code.group(1) + '.0.0'
        elif permanent and not transient:
            status = '5.0.0'
        elif transient:
            status = '4.0.0'
    elif status.startswith('5') and transient and not permanent:
        status = '4' + status[1:]
    if status is None:
        return []
    addresses = [a.lower() for _, a in getaddresses(
            message.get_all('X-Failed-Recipients') or []) if a]
    if not addresses:
        # qmail: <user@example.com>: then its answer.
        addresses = [a.lower() for a in re.findall(
                r'^<([^<>\s]+@[^<>\s]+)>:', notice, re.MULTILINE)]
    diagnostic = ' '.join(
        line.strip() for line in notice.splitlines()
        if _STATUS_RE.search(line) or re.search(
            r'(?<!\d)[45]\d\d[ -]', line))[:500]
    return [Failure(a, status, diagnostic) for a in addresses] or [
        Failure(None, status, diagnostic)]
