# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Errors of the contact formats, with where and what went wrong."

# The English texts; the Tryton layer shows the translated message
# crm_plus.msg_exchange_<code> with the same parameters (and number, and
# line for the errors of a card of a vCard or xCard file).
MESSAGES = {
    'not_text': "the file is not text (binary data or unknown encoding)",
    'unknown_format': (
        "the format is not recognised: expected vCard, jCard, xCard, or a "
        "CSV file exported by Outlook, Google Contacts or Thunderbird"),
    'empty': "the file holds no contact",
    'vcard_unterminated': "BEGIN:VCARD without END:VCARD",
    'vcard_end_without_begin': "END:VCARD without BEGIN:VCARD",
    'vcard_outside': "text outside of a card: %(text)s",
    'vcard_bad_line': "cannot read the line %(text)s",
    'vcard_version': "unsupported vCard version %(version)s",
    'vcard_unreadable': "cannot read the card: %(reason)s",
    'csv_columns': "%(count)s columns where the header has %(expected)s",
    'csv_malformed': "malformed CSV: %(reason)s",
    'json_malformed': "the jCard file is not valid JSON: %(reason)s",
    'jcard_unreadable': "cannot read the jCard: %(reason)s",
    'xml_malformed': "the xCard file is not valid XML: %(reason)s",
    'xcard_unreadable': "cannot read the xCard: %(reason)s",
    'invalid_email': "the e-mail address %(value)s is not valid: left out",
    }
# Where each error is: in a card (vCard, jCard, xCard), on a line (CSV and
# outside cards), or nowhere (the whole file, and the values of a contact
# left out, which are shown with their contact).
LOCATIONS = {
    'vcard_unterminated': 'card',
    'vcard_end_without_begin': 'line',
    'vcard_outside': 'line',
    'vcard_bad_line': 'card',
    'vcard_version': 'card',
    'vcard_unreadable': 'card',
    'csv_columns': 'line',
    'csv_malformed': 'line',
    'jcard_unreadable': 'card',
    'xcard_unreadable': 'card',
    }


class ExchangeError(ValueError):
    """A file, a card or a line that cannot be read, or a value left out.

    number is the card or line number at fault; line, for a card, the line
    of the file where its fault is (also passed to the message as the line
    parameter)."""

    def __init__(self, code, number=None, line=None, **params):
        self.code = code
        self.number = number
        self.line = line
        self.location = LOCATIONS.get(code) if number is not None else None
        if line is not None:
            params['line'] = line
        self.params = params
        message = MESSAGES[code] % params
        if self.location == 'card' and line is not None:
            message = f"card {number} (line {line}): {message}"
        elif self.location:
            message = f"{self.location} {number}: {message}"
        super().__init__(message)

    def __reduce__(self):
        # Pickled and copied (deepcopy, dataclasses.asdict of a contact)
        # with its code and parameters, not its message.
        params = dict(self.params)
        params.pop('line', None)
        return (_rebuild, (self.code, self.number, self.line, params))

    def __eq__(self, other):
        if not isinstance(other, ExchangeError):
            return NotImplemented
        return (self.code, self.number, self.params) == (
            other.code, other.number, other.params)

    def __hash__(self):
        return hash((self.code, self.number))

    def __repr__(self):
        return (f'ExchangeError({self.code!r}, {self.number!r}, '
            f'{self.params!r})')


def _rebuild(code, number, line, params):
    return ExchangeError(code, number, line=line, **params)
