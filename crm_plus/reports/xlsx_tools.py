# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What the Excel workbooks of the reports share: the formats of money,
percentages and dates, and sheets made of a title row, a header row and
the rows of a report"""
import datetime
import io

import xlsxwriter

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.report import Report
from trytond.transaction import Transaction, without_check_access

# strftime directives of the languages' date formats and their Excel codes
_DATE_CODES = [
    ('%d', 'dd'), ('%m', 'mm'), ('%Y', 'yyyy'), ('%y', 'yy'),
    ('%b', 'mmm'), ('%B', 'mmmm'), ('%a', 'ddd'), ('%A', 'dddd'),
    ('%e', 'd'), ('%%', '%'),
    ]
# Column widths in characters: wide enough for most names, never so wide
# that a long description pushes the figures out of the screen.
MIN_WIDTH, MAX_WIDTH = 8, 45


def excel_date_format(strftime_format):
    "The Excel number format of a date written with strftime_format"
    result = strftime_format or '%Y-%m-%d'
    for directive, code in _DATE_CODES:
        result = result.replace(directive, code)
    return result


class Workbook:
    """A workbook written in memory whose sheets are tables: a title row
    saying what the sheet holds and for which filter, a header row, then
    the rows, with the header frozen and an autofilter on it"""

    def __init__(self, date_format='%Y-%m-%d'):
        self.output = io.BytesIO()
        self.book = xlsxwriter.Workbook(self.output, {
                'in_memory': True,
                'remove_timezone': True,
                })
        self._formats = {}
        self.date_format = excel_date_format(date_format)

    def format(self, **properties):
        "The format of properties, added to the workbook once"
        key = tuple(sorted(properties.items()))
        if key not in self._formats:
            self._formats[key] = self.book.add_format(properties)
        return self._formats[key]

    def money_format(self, symbol, digits):
        "The number format of amounts in a currency of symbol and digits"
        decimals = '.' + '0' * digits if digits else ''
        # Quoted so that Excel shows the symbol as it is, whatever it is.
        symbol = (symbol or '').replace('"', '')
        return self.format(num_format='"%s" #,##0%s' % (symbol, decimals))

    def cell_format(self, kind):
        """The format of a kind of column: 'text', 'integer', 'decimal'
        (one decimal), 'percent', 'date', or a (symbol, digits) pair for
        money"""
        if isinstance(kind, tuple):
            return self.money_format(*kind)
        return {
            'text': None,
            'integer': self.format(num_format='0'),
            'decimal': self.format(num_format='#,##0.0'),
            'percent': self.format(num_format='0.0%'),
            'date': self.format(num_format=self.date_format),
            }[kind]

    def add_table(self, name, title, columns, rows, first_col=0, sheet=None):
        """Write a table and return its sheet

        columns are (header, kind); rows are lists of values, and a value
        may be a (value, kind) pair to give its cell a kind of its own (the
        amounts of a row in its currency). The title goes in the first row,
        the header in the second, so the rows start at the third (index
        2). With sheet, the table is written beside the others of the
        sheet, from first_col, without title, frozen pane nor autofilter.
        """
        header_format = self.format(
            bold=True, bg_color='#D9E1F2', border=1, text_wrap=True,
            valign='top')
        own_sheet = sheet is None
        if own_sheet:
            sheet = self.book.add_worksheet(sheet_name(name))
            sheet.write_string(
                0, 0, title, self.format(bold=True, font_size=12))
        widths = []
        for col, (header, kind) in enumerate(columns):
            sheet.write_string(1, first_col + col, header, header_format)
            widths.append(len(header))
        for row_index, row in enumerate(rows, 2):
            for col, ((_, kind), value) in enumerate(zip(columns, row)):
                if isinstance(value, tuple):
                    value, kind = value
                column = first_col + col
                cell_format = self.cell_format(kind)
                if value is None:
                    sheet.write_blank(row_index, column, None, cell_format)
                    continue
                if kind == 'text':
                    text = str(value)
                    sheet.write_string(row_index, column, text)
                    widths[col] = max(widths[col], len(text))
                elif kind == 'date':
                    sheet.write_datetime(
                        row_index, column,
                        datetime.datetime.combine(value, datetime.time()),
                        cell_format)
                    widths[col] = max(widths[col], len(self.date_format))
                else:
                    # Money as numbers, so that Excel sums them.
                    sheet.write_number(
                        row_index, column, float(value), cell_format)
                    widths[col] = max(widths[col], len('%.2f' % value) + 4)
        for col, width in enumerate(widths):
            sheet.set_column(
                first_col + col, first_col + col,
                min(max(width + 2, MIN_WIDTH), MAX_WIDTH))
        if own_sheet:
            sheet.freeze_panes(2, 0)
            sheet.autofilter(1, 0, 1 + len(rows), len(columns) - 1)
        return sheet

    def add_chart(self, sheet, type_, title, categories, series,
            position, subtype=None, y_title=None):
        """Add a native chart to sheet at position (a cell name)

        categories and each series' values are (sheet, first_row,
        last_row, col) ranges; series are (name, range) pairs."""
        options = {'type': type_}
        if subtype:
            options['subtype'] = subtype
        chart = self.book.add_chart(options)
        for name, (values_sheet, first, last, col) in series:
            cat_sheet, cat_first, cat_last, cat_col = categories
            chart.add_series({
                    'name': name,
                    'categories': [
                        cat_sheet.name, cat_first, cat_col, cat_last, cat_col],
                    'values': [values_sheet.name, first, col, last, col],
                    })
        chart.set_title({'name': title})
        if y_title and type_ != 'pie':
            chart.set_y_axis({'name': y_title})
        chart.set_size({'width': 640, 'height': 360})
        sheet.insert_chart(position, chart)
        return chart

    def close(self):
        "The bytes of the workbook"
        self.book.close()
        return self.output.getvalue()


def sheet_name(name):
    "name made a valid sheet name: at most 31 characters, none of []:*?/\\"
    for char in '[]:*?/\\':
        name = name.replace(char, ' ')
    return name[:31]


def filter_title(title, context_model, names):
    """The title of a sheet: title then the filters of the context among
    names (those of context_model), in the language of the user"""
    pool = Pool()
    Lang = pool.get('ir.lang')
    Model = pool.get(context_model)
    context = Transaction().context
    lang = Lang.get()
    definitions = Model.fields_get(names)
    parts = [title]
    for name in names:
        value = context.get(name)
        if value is None or value == '':
            continue
        definition = definitions[name]
        if definition['type'] == 'many2one':
            value = pool.get(definition['relation'])(value).rec_name
        elif definition['type'] == 'date':
            if isinstance(value, str):
                value = datetime.date.fromisoformat(value)
            value = lang.strftime(value)
        parts.append('%s: %s' % (definition['string'], value))
    return ' \u2014 '.join(parts)


def field_strings(model, names):
    "The strings of the fields names of model in the language of the user"
    definitions = Pool().get(model).fields_get(names)
    return [definitions[n]['string'] for n in names]


def currency_kind(currency):
    "The kind of the money columns in currency (see Workbook.cell_format)"
    return (currency.symbol, currency.digits)


def new_workbook():
    "A Workbook with the dates in the format of the user's language"
    Lang = Pool().get('ir.lang')
    return Workbook(Lang.get().date)


def message(name, **variables):
    "The crm_plus message name in the language of the user"
    return gettext('crm_plus.msg_exports_' + name, **variables)


class XlsxReport(Report):
    """A report whose file is an Excel workbook of the rows of a report
    list in the context (the filter) the client sends with it"""
    __slots__ = ()

    @classmethod
    def execute(cls, ids, data):
        action_report = report_action(cls.__name__, data)
        # The groups of the action and the read access of its model: the
        # whole list is exported, whatever rows are selected.
        cls.check_access(action_report, action_report.model, [])
        content = cls.workbook(action_report.name)
        return ('xlsx', content, False, action_report.name)

    @classmethod
    def workbook(cls, title):
        "The bytes of the workbook titled title"
        raise NotImplementedError


def report_action(report_name, data):
    """The ir.action.report that runs report_name: the one of data, else
    the first

    Found whatever the user's groups, so that the check of the report's
    access tells a user outside them why they may not run it."""
    ActionReport = Pool().get('ir.action.report')
    with without_check_access():
        if data.get('action_id') is not None:
            return ActionReport(data['action_id'])
        action_report, = ActionReport.search([
                ('report_name', '=', report_name),
                ], limit=1)
        return action_report
