# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import io
import unittest
import zipfile
from decimal import Decimal

import openpyxl
from lxml import etree

from trytond.modules.crm_plus.reports import forecast_xml, opportunity_xml
from trytond.modules.crm_plus.reports.xlsx_tools import (
    Workbook, excel_date_format, sheet_name)


class XlsxToolsTestCase(unittest.TestCase):
    "The sheets of the report workbooks"

    def test_date_formats(self):
        "The languages' date formats in Excel's codes"
        self.assertEqual(excel_date_format('%m/%d/%Y'), 'mm/dd/yyyy')
        self.assertEqual(excel_date_format('%d.%m.%Y'), 'dd.mm.yyyy')
        self.assertEqual(excel_date_format('%Y/%m/%d'), 'yyyy/mm/dd')
        self.assertEqual(excel_date_format(None), 'yyyy-mm-dd')

    def test_sheet_name(self):
        "Sheet names lose the characters Excel refuses and stop at 31"
        self.assertEqual(sheet_name('Won/Lost: [all]'), 'Won Lost   all ')
        self.assertEqual(len(sheet_name('x' * 40)), 31)

    def test_table(self):
        "Title, header, typed cells, frozen header and autofilter"
        book = Workbook('%d.%m.%Y')
        book.add_table('Deals', 'Deals — Company: Acme', [
                ('Name', 'text'), ('Date', 'date'), ('Amount', ('€', 2)),
                ('Rate', 'percent'), ('Count', 'integer')], [
                ['A', datetime.date(2031, 1, 2), Decimal('12.50'), 0.25, 3],
                ['B', None, (Decimal(7), ('¥', 0)), None, 0],
                ])
        content = book.close()
        sheet = openpyxl.load_workbook(io.BytesIO(content))['Deals']
        self.assertEqual(sheet['A1'].value, 'Deals — Company: Acme')
        self.assertEqual(
            [c.value for c in sheet[2]],
            ['Name', 'Date', 'Amount', 'Rate', 'Count'])
        self.assertEqual(sheet['B3'].value, datetime.datetime(2031, 1, 2))
        self.assertEqual(sheet['B3'].number_format, 'dd.mm.yyyy')
        self.assertEqual(sheet['C3'].value, 12.5)
        self.assertEqual(sheet['C3'].number_format, '"€" #,##0.00')
        self.assertEqual(sheet['C4'].number_format, '"¥" #,##0')
        self.assertEqual(sheet['D3'].number_format, '0.0%')
        self.assertIsNone(sheet['B4'].value)
        self.assertEqual(sheet.freeze_panes, 'A3')
        self.assertEqual(sheet.auto_filter.ref, 'A2:E4')
        self.assertFalse([n for n in zipfile.ZipFile(
                    io.BytesIO(content)).namelist() if 'chart' in n])

    def test_empty_table(self):
        "Without rows, the autofilter is on the header alone"
        book = Workbook()
        book.add_table('Empty', 'Empty', [('Name', 'text')], [])
        sheet = openpyxl.load_workbook(io.BytesIO(book.close()))['Empty']
        self.assertEqual(sheet.auto_filter.ref, 'A2')


class OpportunitySchemaTestCase(unittest.TestCase):
    "The published schema of the XML export"

    def document(self, opportunity=''):
        return (
            '<opportunities xmlns="urn:crm-plus:opportunities:1" '
            'company="Acme" created="2031-01-02T10:00:00+00:00">'
            + opportunity + '</opportunities>').encode()

    def opportunity(self, number='OPP-1', state='lead', probability='0.1'):
        return (
            '<opportunity id="1"><number>%s</number><state>%s</state>'
            '<start-date>2031-01-02</start-date><currency>EUR</currency>'
            '<probability>%s</probability><lines/><competitors/>'
            '</opportunity>' % (number, state, probability))

    def test_valid(self):
        "A minimal export follows the schema"
        self.assertEqual(opportunity_xml.validation_errors(
                self.document(self.opportunity())), [])
        self.assertEqual(opportunity_xml.validation_errors(
                self.document()), [])

    def test_invalid(self):
        "Bad states, probabilities and duplicate numbers are refused"
        for document in [
                self.document(self.opportunity(state='sleeping')),
                self.document(self.opportunity(probability='2')),
                self.document(self.opportunity(number='')),
                self.document(self.opportunity() + self.opportunity()),
                self.document(self.opportunity()).replace(
                    b'opportunities:1', b'opportunities:2'),
                ]:
            errors = opportunity_xml.validation_errors(document)
            self.assertTrue(errors, document)
            self.assertRegex(errors[0], r'^\d+:\d+: ')

    def test_serialize(self):
        "The document is UTF-8 with its declaration"
        root = etree.Element('{%s}opportunities' % opportunity_xml.NAMESPACE)
        content = opportunity_xml.serialize(root)
        self.assertTrue(content.startswith(
                b"<?xml version='1.0' encoding='UTF-8'?>"))


class ForecastSchemaTestCase(unittest.TestCase):
    "The published schema of the forecasts' XML export"

    def document(self, forecast=''):
        return (
            '<forecasts xmlns="urn:crm-plus:forecasts:1" '
            'company="Acme" created="2031-01-02T10:00:00+00:00">'
            + forecast + '</forecasts>').encode()

    def forecast(self, who='<salesperson>Ana</salesperson>', won='10.00',
            state='open'):
        return (
            '<forecast id="1"><period><name>2031-01</name><type>month</type>'
            '<start-date>2031-01-01</start-date>'
            '<end-date>2031-01-31</end-date><state>%s</state></period>'
            '%s<currency>EUR</currency><pipeline>0</pipeline>'
            '<weighted-pipeline>0</weighted-pipeline>'
            '<best-case>10.00</best-case><won>%s</won><committed/>'
            '</forecast>' % (state, who, won))

    def test_valid(self):
        "A salesperson's and a team's forecast follow the schema"
        for who in ['<salesperson>Ana</salesperson>', '<team>Sales</team>']:
            self.assertEqual(forecast_xml.validation_errors(
                    self.document(self.forecast(who=who))), [])

    def test_invalid(self):
        "Both a salesperson and a team, negative amounts, bad states fail"
        for document in [
                self.document(self.forecast(
                        who='<salesperson>Ana</salesperson>'
                        '<team>Sales</team>')),
                self.document(self.forecast(who='')),
                self.document(self.forecast(won='-1')),
                self.document(self.forecast(state='frozen')),
                ]:
            errors = forecast_xml.validation_errors(document)
            self.assertTrue(errors, document)
            self.assertRegex(errors[0], r'^\d+:\d+: ')
