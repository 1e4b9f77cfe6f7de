# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The reading of sales history files: delimiters, encodings, line
numbers, numbers and dates as spreadsheets write them"""
import codecs
import datetime
import io
import unittest
from decimal import Decimal

import openpyxl

from trytond.modules.crm_plus.models.history_import import (
    parse_date, parse_number, read_rows)


class HistoryReadingTestCase(unittest.TestCase):
    maxDiff = None

    def test_delimiters(self):
        "Comma, semicolon and tab are told from the file"
        for delimiter in [',', ';', '\t']:
            with self.subTest(delimiter=delimiter):
                text = '\n'.join(delimiter.join(r) for r in [
                        ['reference', 'party', 'state', 'start date'],
                        ['A-1', 'Acme', 'lead', '2024-01-02'],
                        ['A-2', 'Beta', 'won', '2024-01-03'],
                        ])
                rows, errors = read_rows(text.encode('utf-8'))
                self.assertEqual(errors, [])
                self.assertEqual(rows, [
                        (2, {'reference': 'A-1', 'party': 'Acme',
                                'state': 'lead', 'start date': '2024-01-02'}),
                        (3, {'reference': 'A-2', 'party': 'Beta',
                                'state': 'won', 'start date': '2024-01-03'}),
                        ])

    def test_encodings(self):
        "UTF-8 with or without BOM, and Windows-1252"
        text = "Party;State;Start Date\r\nCafé Niño;lead;2024-01-02\r\n"
        for data in [
                text.encode('utf-8'),
                codecs.BOM_UTF8 + text.encode('utf-8'),
                text.encode('cp1252')]:
            with self.subTest(data=data[:4]):
                rows, errors = read_rows(data)
                self.assertEqual(errors, [])
                self.assertEqual(rows[0][1]['party'], "Café Niño")

    def test_line_numbers(self):
        "A row is numbered by the line it starts on; empty rows skipped"
        text = ('reference,description,state,start date\n'
            'A-1,"two\nlines",lead,2024-01-02\n'
            ',,,\n'
            'A-2,one,lead,2024-01-03\n')
        rows, _ = read_rows(text.encode('utf-8'))
        self.assertEqual([n for n, _ in rows], [2, 5])
        self.assertEqual(rows[0][1]['description'], "two\nlines")

    def test_columns(self):
        "Column names in any case, with _ for spaces; others refused"
        text = 'Reference,START_DATE,State,Colour\nA-1,2024-01-02,lead,red\n'
        rows, errors = read_rows(text.encode('utf-8'))
        self.assertEqual(rows, [(2, {
                        'reference': 'A-1', 'start date': '2024-01-02',
                        'state': 'lead'})])
        self.assertEqual(len(errors), 1)

    def test_xlsx(self):
        "Excel cells keep their types"
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.append(['state', 'start date', 'amount'])
        sheet.append(['won', datetime.datetime(2024, 1, 2), 1234.5])
        data = io.BytesIO()
        workbook.save(data)
        rows, errors = read_rows(data.getvalue())
        self.assertEqual(errors, [])
        self.assertEqual(rows, [(2, {
                        'state': 'won',
                        'start date': datetime.datetime(2024, 1, 2),
                        'amount': 1234.5})])

    def test_parse_number(self):
        "Decimal points and commas, thousands separators"
        for text, number in [
                ('1234.50', '1234.50'),
                ('1,234.50', '1234.50'),
                ('1.234,50', '1234.50'),
                ('1 234,50', '1234.50'),
                ('1\u00a0234,5', '1234.5'),
                ('2,25', '2.25'),
                ('1,234,567', '1234567'),
                (780, '780'),
                (2.5, '2.5'),
                ]:
            with self.subTest(text=text):
                self.assertEqual(parse_number(text), Decimal(number))
        for text in ['lots', 'NaN', 'Infinity', '1e20', True]:
            with self.subTest(text=text):
                self.assertIsNone(parse_number(text))

    def test_parse_date(self):
        "ISO dates, with dashes or slashes, and cells"
        self.assertEqual(parse_date('2024-03-31'), datetime.date(2024, 3, 31))
        self.assertEqual(parse_date('2024/03/31'), datetime.date(2024, 3, 31))
        self.assertEqual(
            parse_date(datetime.datetime(2024, 3, 31, 12)),
            datetime.date(2024, 3, 31))
        for text in ['2024-13-01', '31/03/2024', 'soon']:
            with self.subTest(text=text):
                self.assertIsNone(parse_date(text))
