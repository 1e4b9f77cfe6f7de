# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The import of a company's sales history: leads and opportunities, open
or closed, from a CSV or Excel file.

The file is read and checked as a whole before anything is written: the
preview lists what the import will create and every error with its line,
and the import reads the file again (a wizard's session comes back from
the client) and creates everything in one transaction through the ORM, so
that the domains and checks of the forms hold. Closed deals are created in
their final state, as history, and their stage history runs from their
start date to their close date instead of from the time of the import.
"""
import csv
import datetime
import io
import zipfile
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from sql import Select
from sql.aggregate import Max

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Bool, Eval
from trytond.tools import grouped_slice
from trytond.transaction import (
    Transaction, TransactionError, without_check_access)
from trytond.wizard import Button, StateTransition, StateView, Wizard

from ..exchange import charsets
from ..exchange.errors import ExchangeError
from .duplicate import normalize_name
from .stage import ENDED_STATES
from .validation import MAX_NUMBER

# The columns of a file, as its first line names them (case and "_" for
# " " do not matter).
COLUMNS = [
    'reference', 'description', 'party', 'employee', 'sales method',
    'stage', 'state', 'start date', 'close date', 'lost reason', 'amount',
    'currency', 'product', 'quantity', 'unit price']
REQUIRED_COLUMNS = ['state', 'start date']
# The columns of the opportunity: the rows of one reference repeat them or
# leave them empty.
DEAL_COLUMNS = COLUMNS[:COLUMNS.index('product')]
STATES = ['lead', 'opportunity', 'won', 'lost', 'cancelled']
# A party or an employee is required from these states on (the host's
# rule, checked here to name the line).
STAFFED_STATES = {'opportunity', 'won'}
PARTY_STATUS = [
    ('matched', "Matched"),
    ('new', "New"),
    ]
# The opportunities listed by the preview: a client builds and sends back
# every line; the errors are all listed whatever the size.
PREVIEW_LINES = 200
# The errors named by the message of a refused import.
ERRORS_SHOWN = 20
XLSX_MAGIC = b'PK\x03\x04'
CREATE_SIZE = 250
# The key of the database lock held while a sales history is imported.
IMPORT_LOCK = int.from_bytes(b'crmhist', 'big')


class HistoryImportError(ValidationError):
    pass


class _ImportOutOfSight(TransactionError):
    "Start the transaction again: an import ended after it began"


def _slices(values, clauses=1):
    "Lists of values for clauses of 'in' that fit in one query each"
    # A few parameters are kept for the rest of the query.
    return grouped_slice(
        list(values), (backend.MAX_QUERY_PARAMS - 10) // clauses)


def _message(name, **params):
    return gettext('crm_plus.msg_history_import_' + name, **params)


def _text(value):
    "The text of a cell, stripped; None for an empty one"
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def read_rows(data):
    """The rows of the file as (line number, {column: value}) and the
    errors of its header; CSV in any delimiter and encoding, or xlsx"""
    if isinstance(data, str):
        data = data.encode('utf-8')
    data = bytes(data or b'')
    if data.startswith(XLSX_MAGIC):
        lines = _xlsx_lines(data)
    else:
        lines = _csv_lines(data)
    header = None
    for number, cells in lines:
        if any(_text(c) for c in cells):
            header = number, cells
            break
    if header is None:
        raise HistoryImportError(_message('empty'))
    columns, errors = [], []
    for cell in header[1]:
        name = ' '.join((_text(cell) or '').lower().replace('_', ' ').split())
        if name and name not in COLUMNS:
            errors.append(_message('unknown_column', column=_text(cell)))
        columns.append(name if name in COLUMNS else None)
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            errors.append(_message('missing_column', column=name))
    rows = []
    for number, cells in lines:
        if number <= header[0] or not any(_text(c) for c in cells):
            continue
        row = {}
        for column, cell in zip(columns, cells):
            if column and row.get(column) is None:
                row[column] = cell if not isinstance(cell, str) else (
                    _text(cell))
        rows.append((number, row))
    if not rows and not errors:
        raise HistoryImportError(_message('empty'))
    return rows, errors


def _xlsx_lines(data):
    "(row number, cells) of the first sheet"
    import openpyxl
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise HistoryImportError(_message('unreadable'))
    try:
        sheet = workbook.worksheets[0]
        return [(number, list(cells)) for number, cells in enumerate(
                sheet.iter_rows(values_only=True), 1)]
    finally:
        workbook.close()


def _csv_lines(data):
    "(line number, cells) of a CSV text, its delimiter sniffed"
    try:
        text = charsets.decode(data)
    except ExchangeError:
        raise HistoryImportError(_message('unreadable'))
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=',;\t')
    except csv.Error:
        # A single column or too few lines to tell: the comma.
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=''), dialect)
    lines = []
    try:
        while True:
            # The line a row starts on: a quoted value may span lines.
            number = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            lines.append((number, cells))
    except csv.Error:
        raise HistoryImportError(_message('unreadable'))
    return lines


def parse_date(value):
    "A date of an ISO text (2024-03-31, 2024/03/31) or of a cell"
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip().replace('/', '-')
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        return None


def parse_number(value):
    """A Decimal of a text written with a decimal point or comma, with or
    without thousands separators (1,234.50; 1.234,50; 1 234,50), or of a
    cell; None when it is not a finite number"""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        text = str(value)
    else:
        text = ''.join(str(value).split()).replace('\u00a0', '')
        if '.' in text and ',' in text:
            # The last of the two separates the decimals.
            thousands = ',' if text.rfind('.') > text.rfind(',') else '.'
            text = text.replace(thousands, '').replace(',', '.')
        elif text.count(',') == 1:
            text = text.replace(',', '.')
        elif text.count(',') > 1:
            text = text.replace(',', '')
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) >= MAX_NUMBER:
        return None
    return number


class _Deal:
    "An opportunity of the file: its rows and what they resolve to"

    def __init__(self, number, row):
        self.number = number
        self.numbers = [number]
        self.row = row
        self.lines = []
        self.values = {}
        self.party_name = None
        self.party = None
        self.currency = None
        self.errors = []

    def error(self, number, name, **params):
        self.errors.append((number, _message(name, line=number, **params)))


class HistoryReading:
    """The file read, checked and resolved to the records of the database
    with a few queries for the whole file"""

    def __init__(self, data):
        pool = Pool()
        Company = pool.get('company.company')
        self.rows, header_errors = read_rows(data)
        self.header_errors = header_errors
        company_id = Transaction().context.get('company')
        if not company_id:
            raise HistoryImportError(_message('no_company'))
        self.company = Company(company_id)
        self.deals = []
        if not header_errors:
            self._group()
            self._resolve()

    @property
    def errors(self):
        "All the errors, those of the header first, then by line"
        errors = sorted(
            (e for d in self.deals for e in d.errors), key=lambda e: e[0])
        return self.header_errors + [m for _, m in errors]

    @property
    def new_parties(self):
        return sorted({d.party_name for d in self.deals
                if d.party_name and not d.party},
            key=lambda n: n.lower())

    def _group(self):
        "The rows of a reference make one deal; rows without, one each"
        by_reference = {}
        for number, row in self.rows:
            reference = _text(row.get('reference'))
            deal = by_reference.get(reference) if reference else None
            if deal is None:
                deal = _Deal(number, row)
                self.deals.append(deal)
                if reference:
                    by_reference[reference] = deal
            else:
                deal.numbers.append(number)
                for column in DEAL_COLUMNS:
                    value, first = row.get(column), deal.row.get(column)
                    if value is not None and _text(value) != _text(first):
                        if first is None:
                            deal.row[column] = value
                        else:
                            deal.error(number, 'differs',
                                column=column, first=deal.number)
            if row.get('product') is not None or any(
                    row.get(c) is not None
                    for c in ['quantity', 'unit price']):
                deal.lines.append((number, row))

    def _resolve(self):
        self._resolve_states()
        self._resolve_parties()
        self._resolve_employees()
        self._resolve_stages()
        self._resolve_lost_reasons()
        self._resolve_currencies()
        self._resolve_products()
        self._check_references()

    def _names(self, column):
        "The texts of the column, each with the deals that give it"
        names = defaultdict(list)
        for deal in self.deals:
            name = _text(deal.row.get(column))
            if name:
                names[name].append(deal)
        return names

    def _resolve_states(self):
        pool = Pool()
        Date = pool.get('ir.date')
        with Transaction().set_context(company=self.company.id):
            today = Date.today()
        for deal in self.deals:
            row, number = deal.row, deal.number
            state = (_text(row.get('state')) or '').lower()
            if state not in STATES:
                deal.error(number, 'unknown_state',
                    value=_text(row.get('state')) or '')
                state = None
            deal.values['state'] = state
            dates = {}
            for column, name in [
                    ('start date', 'start_date'),
                    ('close date', 'end_date')]:
                value = row.get(column)
                if value is None:
                    dates[name] = None
                    continue
                dates[name] = parse_date(value)
                if dates[name] is None:
                    deal.error(number, 'bad_date',
                        column=column, value=_text(value))
            start, end = dates['start_date'], dates['end_date']
            if start is None and row.get('start date') is None:
                deal.error(number, 'required', column='start date',
                    state=state or '')
            if state in ENDED_STATES:
                if end is None and row.get('close date') is None:
                    deal.error(number, 'required', column='close date',
                        state=state)
                elif end and end > today:
                    deal.error(number, 'closed_future', date=end)
            if start and end and end < start:
                deal.error(number, 'close_before_start')
            deal.values.update(dates)
            if row.get('amount') is not None:
                amount = parse_number(row['amount'])
                if amount is None:
                    deal.error(number, 'bad_number',
                        column='amount', value=_text(row['amount']))
                elif amount < 0:
                    deal.error(number, 'negative', column='amount')
                deal.values['amount'] = amount
            for column, name in [
                    ('reference', 'reference'),
                    ('description', 'description')]:
                if row.get(column) is not None:
                    deal.values[name] = _text(row[column])

    def _resolve_parties(self):
        "Parties of the same name key are one: matched, else created"
        pool = Pool()
        Party = pool.get('party.party')
        names = self._names('party')
        keys = {n: normalize_name(n) or n.lower() for n in names}
        found = defaultdict(list)
        for sub_keys in _slices(sorted(set(keys.values()))):
            for party in Party.search(
                    [('name_key', 'in', list(sub_keys))],
                    order=[('id', 'ASC')]):
                found[party.name_key].append(party)
        # A party to create is created once per key, under the first
        # spelling of the file.
        spellings = {}
        for name, deals in names.items():
            parties = found.get(keys[name], [])
            # The exact name settles several partners of one key.
            exact = [p for p in parties if p.name == name]
            if len(parties) > 1 and len(exact) == 1:
                parties = exact
            spelling = spellings.setdefault(keys[name], name)
            for deal in deals:
                deal.party_name = name if parties else spelling
                if len(parties) > 1:
                    deal.error(deal.number, 'ambiguous_party', value=name,
                        parties=', '.join(p.rec_name for p in parties[:5]))
                elif parties:
                    deal.party = parties[0]
        for deal in self.deals:
            if (not deal.party_name
                    and deal.values['state'] in STAFFED_STATES):
                deal.error(deal.number, 'required', column='party',
                    state=deal.values['state'])

    def _resolve_employees(self):
        "Employees of the company by the name or the code of their party"
        pool = Pool()
        Employee = pool.get('company.employee')
        names = self._names('employee')
        by_name, by_code = defaultdict(set), defaultdict(set)
        for sub_names in _slices(sorted(names), 2):
            sub_names = list(sub_names)
            # Those who have left sold the history too.
            with Transaction().set_context(active_test=False):
                employees = Employee.search([
                        ('company', '=', self.company.id),
                        ['OR',
                            ('party.name', 'in', sub_names),
                            ('party.code', 'in', sub_names),
                            ],
                        ])
            for employee in employees:
                by_name[employee.party.name].add(employee)
                by_code[employee.party.code].add(employee)
        for name, deals in names.items():
            employees = by_code.get(name) or by_name.get(name) or set()
            for deal in deals:
                if len(employees) > 1:
                    deal.error(deal.number, 'ambiguous_employee', value=name)
                elif not employees:
                    deal.error(deal.number, 'unknown_employee', value=name)
                else:
                    deal.values['employee'] = next(iter(employees)).id
        for deal in self.deals:
            if ('employee' not in deal.values
                    and not deal.row.get('employee')
                    and deal.values['state'] in STAFFED_STATES):
                deal.error(deal.number, 'required', column='employee',
                    state=deal.values['state'])

    def _resolve_stages(self):
        "Sales methods and stages by their names, in any case"
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        SalesMethod = pool.get('crm.sales_method')
        methods = defaultdict(list)
        for method in SalesMethod.search([
                    ('company', 'in', [None, self.company.id]),
                    ]):
            methods[method.name.lower()].append(method)
        default = Configuration(1).default_sales_method
        for deal in self.deals:
            method_name = _text(deal.row.get('sales method'))
            stage_name = _text(deal.row.get('stage'))
            method = None
            if method_name:
                found = methods.get(method_name.lower(), [])
                if len(found) != 1:
                    deal.error(deal.number, 'unknown_method',
                        value=method_name)
                    continue
                method, = found
                deal.values['sales_method'] = method.id
            if not stage_name:
                continue
            method = method or default
            if not method:
                deal.error(deal.number, 'no_method', value=stage_name)
                continue
            stages = [s for s in method.stages
                if s.name.lower() == stage_name.lower()]
            if not stages:
                deal.error(deal.number, 'unknown_stage',
                    value=stage_name, method=method.name)
                continue
            deal.values['sales_method'] = method.id
            deal.values['stage'] = stages[0].id

    def _resolve_lost_reasons(self):
        pool = Pool()
        LostReason = pool.get('crm.lost_reason')
        Opportunity = pool.get('sale.opportunity')
        reasons = {r.name.lower(): r for r in LostReason.search([])}
        required = Opportunity._lost_reason_required()
        for deal in self.deals:
            name = _text(deal.row.get('lost reason'))
            state = deal.values['state']
            if name:
                reason = reasons.get(name.lower())
                if state != 'lost':
                    deal.error(deal.number, 'reason_not_lost')
                elif not reason:
                    deal.error(deal.number, 'unknown_lost_reason', value=name)
                else:
                    deal.values['lost_reason_type'] = reason.id
            elif state == 'lost' and required:
                deal.error(deal.number, 'required', column='lost reason',
                    state=state)

    def _resolve_currencies(self):
        pool = Pool()
        Currency = pool.get('currency.currency')
        names = self._names('currency')
        currencies = {}
        for sub_codes in _slices(sorted({n.upper() for n in names})):
            for currency in Currency.search(
                    [('code', 'in', list(sub_codes))]):
                currencies[currency.code] = currency
        for deal in self.deals:
            code = _text(deal.row.get('currency'))
            currency = (currencies.get(code.upper()) if code
                else self.company.currency)
            if not currency:
                deal.error(deal.number, 'unknown_currency', value=code)
                currency = self.company.currency
            deal.values['currency'] = currency.id
            deal.currency = currency

    def _resolve_products(self):
        "Products by code, else by name; one line per row"
        pool = Pool()
        Product = pool.get('product.product')
        names = {_text(r.get('product')) for d in self.deals
            for _, r in d.lines if r.get('product') is not None}
        by_code, by_name = defaultdict(set), defaultdict(set)
        for sub_names in _slices(sorted(names), 2):
            sub_names = list(sub_names)
            for product in Product.search(['OR',
                        ('code', 'in', sub_names),
                        ('name', 'in', sub_names),
                        ]):
                by_code[product.code].add(product)
                by_name[product.name].add(product)
        for deal in self.deals:
            total = Decimal(0)
            for number, row in deal.lines:
                name = _text(row.get('product'))
                if not name:
                    deal.error(number, 'line_without_product')
                    continue
                products = by_code.get(name) or by_name.get(name) or set()
                if len(products) != 1:
                    deal.error(number,
                        'ambiguous_product' if products else
                        'unknown_product', value=name)
                    continue
                product, = products
                if (deal.values['state'] in {'lead', 'opportunity'}
                        and not product.salable):
                    deal.error(number, 'not_salable', value=name)
                values = {
                    'product': product.id,
                    'unit': product.sale_uom.id,
                    }
                quantity = Decimal(1)
                if row.get('quantity') is not None:
                    quantity = parse_number(row['quantity'])
                    if quantity is None:
                        deal.error(number, 'bad_number', column='quantity',
                            value=_text(row['quantity']))
                        continue
                values['quantity'] = float(quantity)
                if row.get('unit price') is not None:
                    price = parse_number(row['unit price'])
                    if price is None:
                        deal.error(number, 'bad_number',
                            column='unit price',
                            value=_text(row['unit price']))
                        continue
                    if price < 0:
                        deal.error(number, 'negative', column='unit price')
                        continue
                    # The list price of the time is not known: the price
                    # paid is both, without discount, and no price list
                    # is asked today's price of every product.
                    values['unit_price'] = price
                    values['base_price'] = price
                    if total is not None:
                        total += deal.currency.round(quantity * price)
                else:
                    # Priced by the server when created.
                    total = None
                deal.values.setdefault('lines', []).append(values)
            open_ = deal.values['state'] in {'lead', 'opportunity'}
            # The amount of an open deal with lines is their total, as
            # the server keeps it; a closed deal keeps the amount given.
            if deal.lines and (open_ or deal.values.get('amount') is None):
                if total is not None:
                    deal.values['amount'] = total
                elif open_:
                    deal.values.pop('amount', None)
            elif deal.values.get('amount') is not None:
                # In the digits of its currency, as the form rounds it.
                deal.values['amount'] = deal.currency.round(
                    deal.values['amount'])

    def _check_references(self):
        "A reference already imported is not imported again"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        references = {d.values['reference']: d for d in self.deals
            if d.values.get('reference')}
        for sub_references in _slices(sorted(references)):
            for opportunity in Opportunity.search([
                        ('reference', 'in', list(sub_references)),
                        ('company', '=', self.company.id),
                        ]):
                deal = references[opportunity.reference]
                deal.error(deal.number, 'exists',
                    value=opportunity.reference,
                    opportunity=opportunity.rec_name)

    def check(self):
        "Refuse the whole file for any error"
        errors = self.errors
        if errors:
            shown = errors[:ERRORS_SHOWN]
            if len(errors) > len(shown):
                shown.append('…')
            raise HistoryImportError(_message('refused',
                    count=len(errors), errors='\n'.join(shown)))


def import_history(data):
    """Create the leads and opportunities of the file, all or none; return
    the opportunities, the parties created and the number of lines"""
    pool = Pool()
    Party = pool.get('party.party')
    Opportunity = pool.get('sale.opportunity')
    reading = HistoryReading(data)
    reading.check()
    deals = reading.deals
    with without_check_access():
        parties = Party.create([{'name': n} for n in reading.new_parties])
        party_ids = {p.name: p.id for p in parties}
        vlist = []
        for deal in deals:
            values = deal.values.copy()
            values['company'] = reading.company.id
            # Not the importing user's, as a form would default it.
            values.setdefault('employee', None)
            if deal.party_name:
                values['party'] = (deal.party.id if deal.party
                    else party_ids[deal.party_name])
            lines = values.pop('lines', None)
            if lines:
                values['lines'] = [('create', lines)]
            vlist.append(values)
        # Created in their final state: a won deal needs no sale, a lost
        # one no wizard, and none goes through the transitions, whose
        # approvals and end dates are those of today's deals.
        opportunities = []
        # By lists: the host validates the domains of the fields that
        # depend on each record with a clause per record, and SQLite
        # refuses queries of a thousand clauses.
        for start in range(0, len(vlist), CREATE_SIZE):
            opportunities.extend(
                Opportunity.create(vlist[start:start + CREATE_SIZE]))
        _backdate_stages(opportunities, deals)
    lines = sum(len(d.values.get('lines', [])) for d in deals)
    return opportunities, parties, lines


def _start_of(date):
    return datetime.datetime.combine(date, datetime.time())


def _backdate_stages(opportunities, deals):
    """The creation opened the history of each deal at the time of the
    import: the stage it was in runs from its start date instead, to its
    close date if it is closed, so that its days in stage are fixed"""
    pool = Pool()
    Opportunity = pool.get('sale.opportunity')
    # By lists of the size of the creation's: every instance of a list of
    # records knows the ids of the whole list, so that a list of the whole
    # file would cost the square of its size.
    since = {}
    for start in range(0, len(opportunities), CREATE_SIZE):
        since.update(_backdate_history(
                opportunities[start:start + CREATE_SIZE],
                deals[start:start + CREATE_SIZE]))
    # The lists of deals of near dates write one date each in few writes.
    ids = sorted(since, key=lambda i: (since[i], i))
    for sub_ids in grouped_slice(ids, CREATE_SIZE):
        by_start = defaultdict(list)
        for opportunity in Opportunity.browse(list(sub_ids)):
            by_start[since[opportunity.id]].append(opportunity)
        args = []
        for start, records in by_start.items():
            args.extend((records, {'stage_since': start}))
        Opportunity.write(*args)


def _backdate_history(opportunities, deals):
    """Replace the stage history rows of the opportunities by those of the
    deals' dates; return the start of the stage of each opportunity id"""
    pool = Pool()
    Opportunity = pool.get('sale.opportunity')
    History = pool.get('crm.stage.history')
    user = Transaction().user
    ids = [o.id for o in opportunities]
    rows = []
    for sub_ids in _slices(ids):
        rows.extend(History.search(
                [('opportunity', 'in', list(sub_ids))], order=[]))
    History.delete(rows)
    to_create, since = [], {}
    for opportunity, deal in zip(Opportunity.browse(ids), deals):
        if not opportunity.stage:
            continue
        start = _start_of(deal.values['start_date'])
        end = deal.values['end_date']
        to_create.append({
                'opportunity': opportunity.id,
                'stage': opportunity.stage.id,
                'start': start,
                'end': (_start_of(end)
                    if opportunity.state in ENDED_STATES else None),
                'user': user,
                })
        since[opportunity.id] = start
    History.create(to_create)
    return since


class HistoryImportStart(ModelView):
    __name__ = 'crm.history.import.start'
    __string__ = "Import Sales History"
    file = fields.Binary("File", required=True, filename='filename')
    filename = fields.Char("File Name")


class HistoryImportPreview(ModelView):
    __name__ = 'crm.history.import.preview'
    __string__ = "Import Sales History Preview"
    rows = fields.Integer(
        "Rows", readonly=True, help="The rows read from the file.")
    opportunities = fields.Integer(
        "Opportunities", readonly=True,
        help="The leads and opportunities to create: the rows of one "
        "reference make one opportunity.")
    new_parties = fields.Integer(
        "New Parties", readonly=True,
        help="The parties to create: no party has the same name "
        "(without case, accents nor legal form).")
    error_count = fields.Integer(
        "Errors", readonly=True,
        help="Any error refuses the whole file: correct it and preview "
        "it again.")
    errors = fields.Text(
        "Errors", readonly=True,
        states={
            'invisible': ~Eval('errors'),
            })
    lines = fields.One2Many(
        'crm.history.import.line', None, "Opportunities", readonly=True,
        help="What the import will create, the opportunities with errors "
        "first; a large file lists its first opportunities only.")


class HistoryImportLine(ModelView):
    __name__ = 'crm.history.import.line'
    __string__ = "Sales History to Import"
    number = fields.Integer("Line", readonly=True)
    rows = fields.Char(
        "Lines", readonly=True,
        help="The lines of the file that make the opportunity.")
    reference = fields.Char("Reference", readonly=True)
    party_name = fields.Char("Party Name", readonly=True)
    party_status = fields.Selection(
        [(None, "")] + PARTY_STATUS, "Party Status", readonly=True)
    party = fields.Many2One('party.party', "Party", readonly=True)
    employee = fields.Many2One('company.employee', "Employee", readonly=True)
    state = fields.Selection(
        [(None, ""),
            ('lead', "Lead"),
            ('opportunity', "Opportunity"),
            ('won', "Won"),
            ('lost', "Lost"),
            ('cancelled', "Cancelled"),
            ], "State",
        readonly=True)
    stage = fields.Many2One('crm.stage', "Stage", readonly=True)
    start_date = fields.Date("Start Date", readonly=True)
    close_date = fields.Date("Close Date", readonly=True)
    currency = fields.Many2One('currency.currency', "Currency", readonly=True)
    amount = Monetary(
        "Amount", currency='currency', digits='currency', readonly=True)
    line_count = fields.Integer("Product Lines", readonly=True)
    error = fields.Text("Errors", readonly=True)


class HistoryImportResult(ModelView):
    __name__ = 'crm.history.import.result'
    __string__ = "Import Sales History Result"
    opportunities = fields.Integer("Opportunities", readonly=True)
    lines = fields.Integer("Product Lines", readonly=True)
    parties = fields.Integer("New Parties", readonly=True)


class HistoryImport(Wizard):
    "Import leads and opportunities of the past from CSV or Excel"
    __name__ = 'crm.history.import'
    start = StateView(
        'crm.history.import.start',
        'crm_plus.history_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Preview", 'preview', 'tryton-forward', default=True),
            ])
    preview = StateView(
        'crm.history.import.preview',
        'crm_plus.history_import_preview_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Back", 'start', 'tryton-back'),
            Button("Import", 'import_', 'tryton-ok', default=True,
                states={
                    'readonly': Bool(Eval('error_count', 0)),
                    }),
            ])
    import_ = StateTransition()
    done = StateView(
        'crm.history.import.result',
        'crm_plus.history_import_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_preview(self, fields):
        reading = HistoryReading(self.start.file)
        by_errors = sorted(reading.deals, key=lambda d: (not d.errors,))
        lines = []
        for deal in by_errors[:PREVIEW_LINES]:
            values = deal.values
            lines.append({
                    'number': deal.number,
                    'rows': ', '.join(map(str, deal.numbers)),
                    'reference': values.get('reference'),
                    'party_name': deal.party_name,
                    'party_status': (None if not deal.party_name
                        else 'matched' if deal.party else 'new'),
                    'party': deal.party.id if deal.party else None,
                    'employee': values.get('employee'),
                    'state': values.get('state'),
                    'stage': values.get('stage'),
                    'start_date': values.get('start_date'),
                    'close_date': values.get('end_date'),
                    'currency': values.get('currency'),
                    'amount': values.get('amount'),
                    'line_count': len(values.get('lines', [])),
                    'error': '\n'.join(m for _, m in deal.errors) or None,
                    })
        errors = reading.errors
        return {
            'rows': len(reading.rows),
            'opportunities': len(reading.deals),
            'new_parties': len(reading.new_parties),
            'error_count': len(errors),
            'errors': '\n'.join(errors) or None,
            'lines': lines,
            }

    def transition_import_(self):
        self.lock_imports()
        # The file is read and checked again: the preview's figures come
        # back from the client.
        opportunities, parties, lines = import_history(self.start.file)
        self.done.opportunities = len(opportunities)
        self.done.lines = lines
        self.done.parties = len(parties)
        return 'done'

    @classmethod
    def lock_imports(cls):
        """One import of a sales history at a time, which sees what those
        before it wrote: two imports of one file at once would both find
        its references new and create every deal twice"""
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        transaction = Transaction()
        database = transaction.database
        if not database.has_select_for():
            # SQLite: a database of one writer at a time.
            return
        cursor = transaction.connection.cursor()
        cursor.execute(*Select([database.lock_id(IMPORT_LOCK)]))
        if not cursor.fetchone()[0]:
            raise HistoryImportError(_message('running'))
        # The lock is held from now, but the transaction reads the records
        # as they were when it began: an import that ended since is not in
        # sight. The newest opportunity tells, as every import creates
        # some; the host then starts the transaction again.
        table = Opportunity.__table__()
        newest = table.select(Max(table.id))
        cursor.execute(*newest)
        seen, = cursor.fetchone()
        with transaction.new_transaction(readonly=True) as now:
            now_cursor = now.connection.cursor()
            now_cursor.execute(*newest)
            latest, = now_cursor.fetchone()
        if latest != seen:
            raise _ImportOutOfSight()

    def default_done(self, fields):
        return {
            'opportunities': self.done.opportunities,
            'lines': self.done.lines,
            'parties': self.done.parties,
            }
