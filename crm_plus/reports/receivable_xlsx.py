# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The receivables report as an Excel workbook"
import io

import xlsxwriter


def write_xlsx(title, columns, rows):
    """The bytes of a workbook of one sheet: a header of the column titles
    then the rows. columns are (title, kind) with kind 'text', 'date',
    'integer' or the number of decimals of a money column; rows are lists of
    values in the same order, dates as datetime.date and money as Decimal
    (written as numbers, so that Excel sums them)"""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {
            'in_memory': True,
            'remove_timezone': True,
            })
    sheet = workbook.add_worksheet(title[:31])
    bold = workbook.add_format({'bold': True})
    date_format = workbook.add_format({'num_format': 'yyyy-mm-dd'})
    integer_format = workbook.add_format({'num_format': '0'})
    money_formats = {}
    for col, (header, kind) in enumerate(columns):
        sheet.write_string(0, col, header, bold)
        sheet.set_column(col, col, max(len(header) + 2, 12))
    for row_index, row in enumerate(rows, 1):
        for col, ((_, kind), value) in enumerate(zip(columns, row)):
            if value is None:
                sheet.write_blank(row_index, col, None)
            elif kind == 'text':
                sheet.write_string(row_index, col, str(value))
            elif kind == 'date':
                sheet.write_datetime(row_index, col, value, date_format)
            elif kind == 'integer':
                sheet.write_number(row_index, col, value, integer_format)
            else:
                if kind not in money_formats:
                    money_formats[kind] = workbook.add_format({
                            'num_format': '#,##0' + (
                                '.' + '0' * kind if kind else ''),
                            })
                sheet.write_number(
                    row_index, col, float(value), money_formats[kind])
    sheet.freeze_panes(1, 0)
    workbook.close()
    return output.getvalue()
