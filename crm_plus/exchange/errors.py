# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Errors of the contact formats, with where and what went wrong."

# The English texts; the Tryton layer shows the translated message
# crm_plus.msg_exchange_<code> with the same parameters.
MESSAGES = {
    'not_text': "the file is not text (binary data or unknown encoding)",
    'unknown_format': (
        "the format is not recognised: expected vCard, or a CSV file "
        "exported by Outlook or Google Contacts"),
    'empty': "the file holds no contact",
    'vcard_unterminated': "BEGIN:VCARD without END:VCARD",
    'vcard_end_without_begin': "END:VCARD without BEGIN:VCARD",
    'vcard_outside': "text outside of a card: %(text)s",
    'vcard_bad_line': "cannot read the line %(text)s",
    'vcard_version': "unsupported vCard version %(version)s",
    'csv_columns': "%(count)s columns where the header has %(expected)s",
    'csv_malformed': "malformed CSV: %(reason)s",
    }
# Where each error is: in a card (vCard) or on a line (CSV and outside
# cards).
LOCATIONS = {
    'vcard_unterminated': 'card',
    'vcard_end_without_begin': 'line',
    'vcard_outside': 'line',
    'vcard_bad_line': 'card',
    'vcard_version': 'card',
    'csv_columns': 'line',
    'csv_malformed': 'line',
    }


class ExchangeError(ValueError):
    "A file that cannot be read, with the card or line number at fault"

    def __init__(self, code, number=None, **params):
        self.code = code
        self.number = number
        self.location = LOCATIONS.get(code) if number is not None else None
        self.params = params
        message = MESSAGES[code] % params
        if self.location:
            message = f"{self.location} {number}: {message}"
        super().__init__(message)
