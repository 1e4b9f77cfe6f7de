# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The contact formats on the files that real phones and mail clients
write, each quirk in its own small fixture"""
import codecs
import datetime
import os
import unittest

from trytond.modules.crm_plus.exchange import (
    EXTENSIONS, FORMAT_NAMES, FORMATS, LOCATIONS, MIME_TYPES, Address,
    Contact, Email, ExchangeError, Phone, decode, detect, read, write)
from trytond.modules.crm_plus.exchange.errors import MESSAGES

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')


def fixture(name):
    with open(os.path.join(FIXTURES, name), 'rb') as file:
        return file.read()


class QuirksTestCase(unittest.TestCase):
    maxDiff = None

    def read(self, name, format, count, rejects=0):
        reading = read(fixture(name))
        self.assertEqual(reading.format, format)
        self.assertEqual(len(reading.contacts), count, reading.contacts)
        self.assertEqual(len(reading.rejects), rejects, reading.rejects)
        return reading.contacts


class VCardQuirksTestCase(QuirksTestCase):

    def test_outlook_2003_unescaped_commas(self):
        "Outlook 2003 escapes no comma: every text keeps them"
        contact, = self.read(
            'outlook2003_unescaped_commas.vcf', 'vcard3', 1)
        self.assertEqual(contact, Contact(
                given_name="James", family_name="Doe",
                full_name="Mr. John Richter, James Doe Sr.",
                organisation="Company, The", department="TheDepartment",
                job_title="Sales, Marketing and Support",
                notes="Met at the fair, booth 12, very interested.",
                emails=[Email('forrestgump@example.com', 'other')],
                phones=[Phone('(111) 555-1212', 'work'),
                    Phone('(404) 555-1212', 'home'),
                    Phone('(404) 555-1213', 'mobile'),
                    Phone('(111) 555-1214', 'fax'),
                    # A pager has no kind of its own.
                    Phone('(111) 555-1215', 'other')],
                websites=['http://www.example.com/dir_file.html'],
                addresses=[
                    Address("100 Waters Edge, Suite 3", "Baytown", "30314",
                        "LA", "United States of America", 'work'),
                    Address("42 Plantation St.", "Baytown", "30314", "LA",
                        "United States of America", 'home')]))
        self.assertEqual(contact.name, "Mr. John Richter, James Doe Sr.")

    def test_lotus_notes_profile(self):
        "Lotus Notes' PROFILE, NAME, SOURCE and X- properties are skipped"
        weber, schmidt = self.read('lotus_notes_profile.vcf', 'vcard3', 2)
        self.assertEqual(weber, Contact(
                given_name="Klaus", family_name="Weber",
                full_name="Dr. Klaus Weber",
                organisation="Weber Maschinenbau GmbH",
                department="Vertrieb", job_title="Vertriebsleiter",
                emails=[Email(
                        'klaus.weber@weber-maschinenbau.example', 'work')],
                phones=[Phone('+49 89 1234567', 'work'),
                    Phone('+49 89 1234568', 'fax')],
                addresses=[Address("Leopoldstraße 10", "München", "80802",
                        "Bayern", "Deutschland", 'work')]))
        self.assertEqual(schmidt, Contact(
                given_name="Anna", family_name="Schmidt",
                full_name="Anna Schmidt", emails=[Email(
                        'anna.schmidt@weber-maschinenbau.example', 'other')]))

    def test_agent_nested_card_and_binaries(self):
        "AGENT with its nested card, PHOTO, LOGO, SOUND, KEY never stop"
        eva, = self.read('agent_nested.vcf', 'vcard3', 1)
        self.assertEqual(eva, Contact(
                given_name="Eva", family_name="Lindqvist",
                full_name="Eva Lindqvist", organisation="Nordic Fabrics AB",
                department="Inköp",
                emails=[Email('eva.lindqvist@nordicfabrics.example')],
                phones=[Phone('+46 8 123 456 00', 'work')]))

    def test_shift_jis_charset(self):
        """Raw Shift_JIS bytes in an ASCII file, decoded by the CHARSET of
        each property, encoded or not; ソ and 表 end with the byte of \\"""
        data = fixture('shift_jis_charset.vcf')
        with self.assertRaises(UnicodeDecodeError):
            data.decode('utf-8')
        # 表 then ; reads \; if split before decoding.
        self.assertIn('表'.encode('cp932') + b';', data)
        self.assertTrue('ソ'.encode('cp932').endswith(b'\\'))
        ando, = self.read('shift_jis_charset.vcf', 'vcard3', 1)
        self.assertEqual(ando, Contact(
                given_name="ロイド", family_name="安藤",
                full_name="安藤 ロイド", organisation="表示ソフト株式会社",
                department="代表; 開発部", job_title="主任",
                emails=[Email('ando@docomo.example')],
                phones=[Phone('090-1234-5678', 'mobile'),
                    Phone('03-1234-5678', 'home')],
                addresses=[Address("六本木1-2-3", "港区", "106-0032",
                        "東京都", "日本", 'home')],
                notes="打ち合わせは火曜日、表参道の事務所で。"))

    def test_utf16_without_bom(self):
        "UTF-16 without BOM is told from its NUL bytes"
        data = fixture('utf16_no_bom.vcf')
        self.assertFalse(data.startswith(codecs.BOM_UTF16_LE))
        expected = [
            Contact(given_name="Łukasz", family_name="Kowalski",
                full_name="Łukasz Kowalski",
                organisation="Zakłady Mięsne Łódź Sp. z o.o.",
                department="Zakupy",
                emails=[Email(
                        'lukasz.kowalski@zaklady-lodz.example', 'work')],
                phones=[Phone('+48 601 234 567', 'mobile')],
                addresses=[Address("ul. Piotrkowska 12", "Łódź", "90-001",
                        "łódzkie", "Polska", 'work')]),
            Contact(given_name="Zofia", family_name="Wiśniewska",
                full_name="Zofia Wiśniewska",
                emails=[Email('zofia.w@poczta.example', 'home')]),
            ]
        self.assertEqual(self.read('utf16_no_bom.vcf', 'vcard3', 2),
            expected)
        text = data.decode('utf-16-le')
        # Big-endian, and both with BOM.
        for encoded in [text.encode('utf-16-be'), text.encode('utf-16'),
                codecs.BOM_UTF16_BE + text.encode('utf-16-be')]:
            self.assertEqual(read(encoded).contacts, expected)
        self.assertEqual(decode(data), text)

    def test_android_broken_photo(self):
        """Six Android contacts, one photo not base64: all six are read,
        those with only a phone or an e-mail too"""
        contacts = self.read('android_broken_photo.vcf', 'vcard3', 6)
        self.assertEqual(contacts, [
                Contact(given_name="Bożena", family_name="Łukaszewicz",
                    full_name="Bożena Łukaszewicz",
                    emails=[Email('bozena@poczta.example', 'home')],
                    phones=[Phone('+48 600 100 200', 'mobile'),
                        Phone('+48 22 100 20 30', 'home')]),
                Contact(given_name="Marko", family_name="Novak",
                    full_name="Marko Novak", organisation="Novak d.o.o.",
                    job_title="Direktor",
                    phones=[Phone('+386 1 234 56 78', 'work')]),
                Contact(phones=[Phone('+34 600 111 222', 'mobile')]),
                Contact(given_name="Pablo", family_name="Ortiz",
                    full_name="Pablo Ortiz",
                    emails=[Email('pablo.ortiz@ortiz.example', 'work')],
                    phones=[Phone('+34 655 44 33 22', 'mobile')]),
                Contact(emails=[Email('sofia.r@correo.example', 'home')]),
                Contact(given_name="Sofía", family_name="Ruiz",
                    full_name="Sofía Ruiz",
                    phones=[Phone('+34 91 555 66 77', 'other')]),
                ])
        self.assertEqual([c.number for c in contacts], [1, 2, 3, 4, 5, 6])
        self.assertEqual(contacts[2].name, '+34 600 111 222')
        self.assertTrue(contacts[2].name_is_fallback)
        self.assertEqual(contacts[4].name, 'sofia.r@correo.example')
        self.assertFalse(contacts[0].name_is_fallback)

    def test_quoted_printable_soft_breaks(self):
        """Soft line breaks join the next line as it is: its leading spaces
        are text"""
        garcia, = self.read('qp_soft_breaks.vcf', 'vcard3', 1)
        self.assertEqual(garcia, Contact(
                given_name="Lucía", family_name="García",
                full_name="Lucía García",
                emails=[Email('lucia.garcia@example.es')],
                addresses=[Address("Avenida de la Constitución 8, bajo",
                        "Sevilla", "41001", "Andalucía", "España", 'work')],
                notes="Primera línea de una nota larga que Outlook cortó "
                "en varias líneas;\nSegunda línea con dos espacios:  aquí, "
                "y una línea que empieza con un espacio."))

    def test_email_or_phone_only(self):
        "A contact without name is named by its e-mail, else its phone"
        info, reservas, mobile = self.read('email_only.vcf', 'vcard3', 3)
        self.assertEqual(info, Contact(
                emails=[Email('info@hotel-sol.example')]))
        # An FN that is only the e-mail is no name.
        self.assertEqual(reservas, Contact(
                emails=[Email('reservas@hotel-sol.example', 'work')]))
        self.assertEqual(mobile, Contact(
                phones=[Phone('+34 699 000 111', 'mobile')]))
        self.assertEqual([c.name for c in (info, reservas, mobile)], [
                'info@hotel-sol.example', 'reservas@hotel-sol.example',
                '+34 699 000 111'])
        self.assertTrue(all(c.name_is_fallback
                for c in (info, reservas, mobile)))
        self.assertFalse(any(c.is_person for c in (info, reservas, mobile)))

    def test_gb18030(self):
        """GB18030 bytes, with CHARSET GB2312, GB18030, GBK or none (the
        file's encoding is then guessed)"""
        wang, li = self.read('gb18030.vcf', 'vcard3', 2)
        self.assertEqual(wang, Contact(
                given_name="秀英", family_name="王", full_name="王秀英",
                organisation="上海华东贸易有限公司", department="采购部",
                job_title="采购经理",
                phones=[Phone('+86 139 1234 5678', 'mobile')],
                addresses=[Address("南京东路100号", "上海", "200001",
                        "上海市", "中国", 'work')]))
        self.assertEqual(li, Contact(
                given_name="娜", family_name="李", full_name="李娜",
                notes="客户，来自广州。",
                phones=[Phone('+86 20 8765 4321', 'work')]))

    def test_big5(self):
        "Big5, raw and QUOTED-PRINTABLE"
        chen, = self.read('big5.vcf', 'vcard3', 1)
        self.assertEqual(chen, Contact(
                given_name="大文", family_name="陳", full_name="陳大文",
                organisation="臺灣貿易股份有限公司",
                emails=[Email('chen@tw-trade.example')],
                phones=[Phone('+886 2 2345 6789', 'work')],
                addresses=[Address("信義路五段7號", "台北市", "110",
                        "信義區", "臺灣", 'work')]))

    def test_euc_jp(self):
        suzuki, = self.read('euc_jp.vcf', 'vcard3', 1)
        self.assertEqual(suzuki, Contact(
                given_name="花子", family_name="鈴木",
                full_name="鈴木 花子", organisation="さくら電機株式会社",
                department="調達部",
                emails=[Email('h.suzuki@sakura-denki.example', 'work')],
                phones=[Phone('+81 6-6123-4567', 'work')],
                addresses=[Address("梅田2-4-1", "大阪市北区", "530-0001",
                        "大阪府", "日本", 'work')]))

    def test_iso_8859_2_and_windows_1251(self):
        "ISO-8859-2 QUOTED-PRINTABLE (Evolution), raw windows-1251 (The Bat!)"
        dvorak, ivanov = self.read(
            'iso8859_2_windows_1251.vcf', 'vcard3', 2)
        self.assertEqual(dvorak, Contact(
                given_name="Oldřich", family_name="Dvořák",
                full_name="Oldřich Dvořák",
                organisation="Pivovar Hradec s.r.o.", department="Účtárna",
                emails=[Email('oldrich.dvorak@pivovar-hradec.example')]))
        self.assertEqual(ivanov, Contact(
                given_name="Пётр", family_name="Иванов",
                full_name="Пётр Иванов", organisation="ООО Ромашка",
                emails=[Email('p.ivanov@romashka.example')],
                phones=[Phone('+7 495 123-45-67', 'work')]))

    def test_gmail_escapes_and_types(self):
        """Escaped URLs, every web page, display names and mailto: of
        e-mails, invalid e-mails left out, every spelling of phone types"""
        ibm, = self.read('gmail_escapes.vcf', 'vcard3', 1)
        self.assertEqual(ibm, Contact(
                full_name="International Business Machines",
                given_name="International Business", family_name="Machines",
                organisation="IBM, Inc.",
                department="Software, Services; Research",
                websites=['http://www.ibm.com',
                    'https://research.ibm.com/labs;zurich',
                    'http://www.ibm.com/de,ch'],
                emails=[Email('omega@example.com'),
                    # The domain is normalised, not the local part.
                    Email('Alpha@example.com', 'home')],
                phones=[Phone('+1 555 0101', 'mobile'),
                    Phone('+1 555 0102', 'mobile'),
                    Phone('+1 555 0103', 'mobile'),
                    Phone('+1 555 0104', 'mobile'),
                    Phone('+1 555 0105', 'mobile'),
                    Phone('+1 555 0106', 'fax'),
                    Phone('+1 555 0107', 'other'),
                    Phone('+1 555 0108', 'home'),
                    Phone('+1 555 0109', 'work')],
                notes="Line one\nLine two, with a comma; and a semicolon\\ "
                "and a backslash",
                addresses=[Address("1 New Orchard Road", "Armonk", "10504",
                        "NY", "USA", 'work')]))
        dropped, = ibm.dropped
        self.assertEqual(dropped.code, 'invalid_email')
        self.assertEqual(dropped.number, 1)
        self.assertEqual(dropped.params, {'value': 'bad@@example'})
        self.assertEqual(str(dropped),
            "the e-mail address bad@@example is not valid: left out")

    def test_errors_copied(self):
        "Errors and contacts with their dropped values copy and pickle"
        import copy
        import dataclasses
        import pickle
        reading = read(fixture('bad_card.vcf'))
        reject, = reading.rejects
        for again in [copy.deepcopy(reject), pickle.loads(
                    pickle.dumps(reject))]:
            self.assertEqual(again, reject)
            self.assertEqual(str(again), str(reject))
            self.assertEqual(again.line, 9)
        ibm, = read(fixture('gmail_escapes.vcf')).contacts
        self.assertEqual(dataclasses.asdict(ibm)['dropped'], ibm.dropped)
        self.assertEqual(pickle.loads(pickle.dumps(ibm)).dropped,
            ibm.dropped)

    def test_bad_card(self):
        "A card with a line that is no property is a reject, not the others"
        reading = read(fixture('bad_card.vcf'))
        self.assertEqual([(c.number, c.name) for c in reading.contacts],
            [(1, "Ana Pereira"), (3, "Eva Lindqvist")])
        reject, = reading.rejects
        self.assertIsInstance(reject, ExchangeError)
        self.assertEqual((reject.code, reject.number, reject.line),
            ('vcard_bad_line', 2, 9))
        self.assertEqual(reject.params,
            {'line': 9, 'text': "this line is no property"})
        self.assertEqual(str(reject),
            "card 2 (line 9): cannot read the line this line is no property")

    def test_parser_failure_is_reject(self):
        "Whatever fails in a card is a reject naming the card and its line"
        data = (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEND:VCARD\r\n"
            b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:B\r\n"
            b"EMAIL;ENCODING=B:=====\r\nEND:VCARD\r\n")
        reading = read(data)
        self.assertEqual([c.name for c in reading.contacts], ["A"])
        reject, = reading.rejects
        self.assertEqual((reject.code, reject.number, reject.line),
            ('vcard_unreadable', 2, 8))
        self.assertTrue(
            str(reject).startswith("card 2 (line 8): cannot read the card:"))

    def test_text_outside_cards(self):
        data = (b"BEGIN:VCARD\nVERSION:3.0\nFN:A\nEND:VCARD\n"
            b"junk\nmore junk\nBEGIN:VCARD\nVERSION:3.0\nFN:B\nEND:VCARD\n")
        reading = read(data)
        self.assertEqual([c.name for c in reading.contacts], ["A", "B"])
        self.assertEqual([str(r) for r in reading.rejects],
            ["line 5: text outside of a card: junk"])

    def test_photo_lines_not_indented(self):
        """The base64 lines of a photo without indent, an unbalanced quote
        in a parameter: neither stops the card"""
        data = (b"BEGIN:VCARD\r\nVERSION:2.1\r\nN:Holm;Mia\r\n"
            b"PHOTO;ENCODING=BASE64;TYPE=JPEG:/9j/4AAQSkZJRgABAQEASABIAAD\r\n"
            b"2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsj\r\n"
            b"HBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKC==\r\n"
            b"\r\n"
            b"FN;X-NOTE=\"unbalanced:Mia Holm\r\n"
            b"TEL;CELL:+46 70 123 45 67\r\nEND:VCARD\r\n")
        contact, = read(data).contacts
        self.assertEqual(contact, Contact(
                given_name="Mia", family_name="Holm",
                full_name="Mia Holm",
                phones=[Phone('+46 70 123 45 67', 'mobile')]))

    def test_apple_labels(self):
        "The X-ABLabel of a group of Apple's cards types its properties"
        data = ("BEGIN:VCARD\r\nVERSION:3.0\r\nN:Rossi;Marco;;;\r\n"
            "FN:Marco Rossi\r\n"
            "item1.TEL:+39 02 1234 5678\r\n"
            "item1.X-ABLabel:_$!<Mobile>!$_\r\n"
            "item2.TEL;type=pref:+39 02 1234 5679\r\n"
            "item2.X-ABLabel:Work Fax\r\n"
            "item3.EMAIL;type=INTERNET:marco@rossi.example\r\n"
            "item3.X-ABLabel:_$!<Work>!$_\r\n"
            "item4.ADR:;;Via Roma 1;Milano;MI;20121;Italia\r\n"
            "item4.X-ABLabel:_$!<Home>!$_\r\n"
            "item4.X-ABADR:it\r\n"
            "END:VCARD\r\n").encode('utf-8')
        contact, = read(data).contacts
        self.assertEqual(contact, Contact(
                given_name="Marco", family_name="Rossi",
                full_name="Marco Rossi",
                emails=[Email('marco@rossi.example', 'work')],
                phones=[Phone('+39 02 1234 5679', 'fax'),
                    Phone('+39 02 1234 5678', 'mobile')],
                addresses=[Address("Via Roma 1", "Milano", "20121", "MI",
                        "Italia", 'home')]))

    def test_undeclared_encoding(self):
        """Cards in a code page without any CHARSET: the encoding of the
        file is guessed from its text"""
        card = ("BEGIN:VCARD\r\nVERSION:2.1\r\nN:{family};{given}\r\n"
            "FN:{given} {family}\r\nORG:{org}\r\nNOTE:{note}\r\n"
            "END:VCARD\r\n")
        for encoding, values in [
                ('cp932', dict(family="安藤", given="ロイド",
                        org="表示ソフト株式会社", note="火曜日に連絡。")),
                ('euc_jp', dict(family="鈴木", given="花子",
                        org="さくら電機株式会社", note="調達部の部長。")),
                ('big5', dict(family="陳", given="大文",
                        org="臺灣貿易股份有限公司", note="台北市信義區")),
                ('cp1250', dict(family="Šťastný", given="Jiří",
                        org="Strojírny Brno", note="Přeje si, aby se mu "
                        "volalo ráno; mluví česky.")),
                ('cp1252', dict(family="Muñoz", given="José",
                        org="Logística Andaluza", note="Sólo por la "
                        "mañana.")),
                ]:
            with self.subTest(encoding=encoding):
                contact, = read(card.format(**values).encode(
                        encoding)).contacts
                self.assertEqual(contact, Contact(
                        given_name=values['given'],
                        family_name=values['family'],
                        full_name=f"{values['given']} {values['family']}",
                        organisation=values['org'], notes=values['note']))

    def test_charset_when_text(self):
        """Text given as str: CHARSET applies to encoded values only, the
        others being already decoded"""
        data = ("BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=SHIFT_JIS:安藤;ロイド\r\n"
            "ORG;CHARSET=ISO-8859-2;ENCODING=QUOTED-PRINTABLE:"
            "Pivovar Hradec=0D=0As.r.o. =F8\r\nEND:VCARD\r\n")
        contact, = read(data).contacts
        self.assertEqual(contact.family_name, "安藤")
        self.assertEqual(contact.organisation, "Pivovar Hradec\ns.r.o. ř")


class CSVQuirksTestCase(QuirksTestCase):

    def test_outlook_semicolon_german(self):
        "German Outlook: semicolons, German header, Windows-1252"
        weiss, oeztuerk = self.read('outlook_semicolon_de.csv', 'outlook', 2)
        self.assertEqual(weiss, Contact(
                given_name="Jürgen", family_name="Weiß",
                full_name="Jürgen Weiß", organisation="Müller & Söhne GmbH",
                department="Einkauf", job_title="Einkaufsleiter",
                emails=[Email('j.weiss@mueller-soehne.example', 'work'),
                    Email('juergen.weiss@mail.example', 'other')],
                phones=[Phone('+49 711 12345-0', 'work'),
                    Phone('+49 170 1234567', 'mobile'),
                    Phone('+49 711 12345-99', 'fax'),
                    Phone('+49 711 555', 'other')],
                websites=['https://www.mueller-soehne.example'],
                addresses=[Address("Königstraße 12\nGebäude B", "Stuttgart",
                        "70173", "Baden-Württemberg", "Deutschland",
                        'work')],
                notes="Bevorzugt Anrufe am Vormittag; spricht Englisch.",
                birthday=datetime.date(1968, 5, 17)))
        self.assertEqual(oeztuerk, Contact(
                given_name="Sabine", family_name="Öztürk",
                full_name="Sabine Öztürk",
                organisation="Nordwind Logistik AG",
                emails=[Email('sabine.oeztuerk@nordwind.example', 'work')],
                phones=[Phone('+49 711 987654', 'home')],
                addresses=[Address("Lindenweg 3", "Esslingen", "73728",
                        "Baden-Württemberg", "Deutschland", 'home')]))
        self.assertEqual([c.number for c in (weiss, oeztuerk)], [2, 3])

    def test_outlook_tab(self):
        "Outlook's tab-separated export, an invalid e-mail left out"
        obrien, murphy = self.read('outlook_tab.csv', 'outlook', 2)
        self.assertEqual(obrien, Contact(
                given_name="Mary", middle_name="Ann", family_name="O'Brien",
                full_name="Mary Ann O'Brien",
                organisation="Shannon Foods, Ltd.",
                department="Purchasing", job_title="Buyer",
                emails=[Email('mary.obrien@shannonfoods.example', 'work')],
                phones=[Phone('+353 61 123 456', 'work'),
                    Phone('+353 87 123 4567', 'mobile'),
                    Phone('+353 61 123 457', 'fax'),
                    Phone('+353 61 999', 'other')],
                websites=['www.shannonfoods.example'],
                addresses=[Address("Unit 4, Shannon Business Park",
                        "Shannon", "V14 EE06", "Co. Clare", "Ireland",
                        'work')],
                notes='Tab\tinside a note, and "quotes".'))
        self.assertEqual(murphy, Contact(
                given_name="Seán", family_name="Murphy",
                full_name="Seán Murphy", organisation="Shannon Foods, Ltd.",
                emails=[Email('sean.murphy@shannonfoods.example', 'work')]))
        self.assertEqual([(d.code, d.number, d.params) for d in
                murphy.dropped],
            [('invalid_email', 3, {'value': 'not an address'})])
        # Outlook's "Tab Separated Values (Windows)" in Unicode: UTF-16.
        text = fixture('outlook_tab.csv').decode('cp1252')
        for encoding in ['utf-16', 'utf-16-le', 'utf-8']:
            reading = read(text.encode(encoding))
            self.assertEqual(reading.format, 'outlook')
            self.assertEqual(reading.contacts, [obrien, murphy])

    def test_outlook_japanese_cp932(self):
        "Japanese Outlook: Japanese header in the Windows code page 932"
        yamada, = self.read('outlook_ja_cp932.csv', 'outlook', 1)
        self.assertEqual(yamada, Contact(
                given_name="太郎", family_name="山田", full_name="山田 太郎",
                organisation="株式会社山田製作所", department="営業部",
                job_title="部長",
                emails=[Email('t.yamada@yamada-ss.example', 'work')],
                phones=[Phone('03-1234-5678', 'work'),
                    Phone('090-1234-5678', 'mobile'),
                    Phone('03-1234-5679', 'fax')],
                websites=['https://www.yamada-ss.example'],
                addresses=[Address("千代田1-2-3", "千代田区", "100-0001",
                        "東京都", "日本", 'work')],
                notes="表示ソフトの件で連絡。"))

    def test_outlook_headers_languages(self):
        "French and Spanish headers are read as the English ones"
        french = ('"Prénom";"Nom";"Société";"Fonction";"Dép/Région (bureau)";'
            '"Tél. mobile";"Adresse de messagerie"\r\n'
            '"Amélie";"Durand";"Vins de Loire";"Acheteuse";"Anjou";'
            '"+33 6 12 34 56 78";"amelie@vins.example"\r\n')
        spanish = ('Nombre,Apellidos,Organización,Puesto,'
            'Provincia o estado de trabajo,Ciudad de trabajo,Móvil,'
            'Dirección de correo electrónico\r\n'
            'Lucía,García,Aceites del Sur,Compradora,Sevilla,Écija,'
            '+34 600 000 000,lucia@aceites.example\r\n')
        expected = {
            'Amélie': Contact(given_name="Amélie", family_name="Durand",
                full_name="Amélie Durand", organisation="Vins de Loire",
                job_title="Acheteuse",
                emails=[Email('amelie@vins.example', 'work')],
                phones=[Phone('+33 6 12 34 56 78', 'mobile')],
                addresses=[Address(region="Anjou", kind='work')]),
            'Lucía': Contact(given_name="Lucía", family_name="García",
                full_name="Lucía García", organisation="Aceites del Sur",
                job_title="Compradora",
                emails=[Email('lucia@aceites.example', 'work')],
                phones=[Phone('+34 600 000 000', 'mobile')],
                addresses=[Address(city="Écija", region="Sevilla",
                        kind='work')]),
            }
        # Both titles named "Titre" in some French versions.
        french_titres = french.replace(
            '"Prénom";', '"Titre";"Prénom";').replace(
            '"Fonction"', '"Titre"').replace('"Amélie";', '"Mme";"Amélie";')
        for text in [french, spanish, french_titres]:
            for encoding in ['cp1252', 'utf-8-sig']:
                reading = read(text.encode(encoding))
                self.assertEqual(reading.format, 'outlook')
                contact, = reading.contacts
                self.assertEqual(contact, expected[contact.given_name])

    def test_excel_sep_line(self):
        "Excel's sep= first line names the delimiter; lines count it"
        text = ('sep=;\r\n"First Name";"Last Name";"Company";'
            '"E-mail Address"\r\n"Ana";"Pereira";"Têxteis, Lda.";'
            '"ana@texteis.example"\r\n"Rui"\r\n')
        reading = read(text.encode('utf-8'))
        ana, = reading.contacts
        self.assertEqual((ana.number, ana.organisation),
            (3, "Têxteis, Lda."))
        self.assertEqual([str(r) for r in reading.rejects],
            ["line 4: 1 columns where the header has 4"])
        reading = read(text.replace(';', '\t').encode('utf-8'))
        self.assertEqual(reading.contacts, [ana])

    def test_cp1250_czech(self):
        "Czech values in Windows-1250, told from Windows-1252 by the text"
        novak, svobodova = self.read('cp1250_czech.csv', 'outlook', 2)
        self.assertEqual(novak, Contact(
                given_name="Jiří", family_name="Novák",
                full_name="Jiří Novák", organisation="Strojírny Brno a.s.",
                department="Nákup", job_title="Vedoucí nákupu",
                emails=[Email('jiri.novak@strojirny-brno.example', 'work')],
                phones=[Phone('+420 541 123 456', 'work'),
                    Phone('+420 777 987 654', 'mobile')],
                addresses=[Address("Hybešova 42", "Brno", "602 00",
                        "Jihomoravský kraj", "Česká republika", 'work')],
                notes="Potkali jsme se na veletrhu; dává přednost ranním "
                "hovorům."))
        self.assertEqual(svobodova, Contact(
                given_name="Petra", family_name="Svobodová",
                full_name="Petra Svobodová",
                organisation="Pivovar Hradec s.r.o.",
                department="Účetní oddělení", job_title="Účetní",
                emails=[Email(
                        'petra.svobodova@pivovar-hradec.example', 'work')],
                addresses=[Address(city="Hradec Králové",
                        country="Česká republika", kind='work')]))

    def test_google_old_layout(self):
        "Google's older layout: Given Name, E-mail 1 - Type, Organization 1"
        gomez, support = self.read('google_old.csv', 'google', 2)
        self.assertEqual(gomez, Contact(
                given_name="Carlos", middle_name="Alberto",
                family_name="Gómez", full_name="Carlos Alberto Gómez",
                organisation="Gómez y Asociados, S.L.", job_title="Socio",
                department="Fiscal",
                emails=[
                    Email('carlos.gomez@gomez-asociados.example', 'work'),
                    Email('carlos@correo.example', 'home'),
                    Email('cag@correo.example', 'home')],
                phones=[Phone('+34 655 44 33 22', 'mobile'),
                    Phone('+34 91 444 55 67', 'fax'),
                    Phone('+34 91 444 55 68', 'other')],
                websites=['https://gomez-asociados.example',
                    'https://blog.gomez.example'],
                addresses=[Address("Calle Mayor 5", "Madrid", "28013",
                        "Comunidad de Madrid", "España", 'work')],
                notes="Vecino de la oficina de Madrid.",
                birthday=datetime.date(1979, 6, 30)))
        self.assertEqual(support, Contact(
                emails=[Email('soporte@proveedor.example')]))
        self.assertEqual(support.name, 'soporte@proveedor.example')
        # Lines count the multi-line cell of the first contact.
        self.assertEqual([c.number for c in (gomez, support)], [2, 5])

    def test_thunderbird(self):
        "Thunderbird's CSV: Primary Email, Work State, Mobile Number..."
        lefevre, service = self.read('thunderbird.csv', 'thunderbird', 2)
        self.assertEqual(lefevre, Contact(
                given_name="Françoise", family_name="Lefèvre",
                full_name="Françoise Lefèvre",
                organisation="Vins de Loire, SARL", department="Ventes",
                job_title="Directrice commerciale",
                emails=[Email('f.lefevre@vins-loire.example', 'work'),
                    Email('francoise@laposte.example', 'other')],
                phones=[Phone('+33 2 41 12 34 56', 'work'),
                    Phone('+33 2 41 98 76 54', 'home'),
                    Phone('+33 6 12 34 56 78', 'mobile'),
                    Phone('+33 2 41 12 34 57', 'fax'),
                    Phone('+33 6 00 00 00 01', 'other')],
                websites=['https://www.vins-loire.example',
                    'https://blog.vins-loire.example'],
                addresses=[
                    Address("12, rue du Château\nBâtiment C", "Angers",
                        "49000", "Maine-et-Loire", "France", 'work'),
                    Address("3, allée des Tilleuls", "Saumur", "49400",
                        "Pays de la Loire", "France", 'home')],
                notes="Salon des vins, avril.\nPréfère le téléphone.",
                birthday=datetime.date(1971, 9, 14)))
        self.assertEqual(service.name, "Service client")
        self.assertEqual(service.emails,
            [Email('contact@vins-loire.example', 'work')])


class JSONXMLTestCase(QuirksTestCase):

    def expected(self):
        return Contact(
            given_name="Simon", family_name="Perreault",
            full_name="Simon Perreault", organisation="Viagenie",
            department="R&D, Montréal",
            job_title="Research engineer, networks",
            emails=[Email('simon.perreault@viagenie.ca', 'work')],
            phones=[Phone('+1-418-656-9254;ext=102', 'work'),
                Phone('+1-418-262-6501', 'mobile'),
                Phone('+1-418-656-9255', 'fax')],
            websites=['http://nomis80.org', 'https://www.viagenie.ca'],
            addresses=[Address("2875 Laurier\nSuite D2-630", "Quebec",
                    "G1V 2M2", "QC", "Canada", 'work')],
            # jCard and xCard values are not escaped.
            notes="Met at IETF 80, Prague; likes \\, backslashes")

    def test_jcard(self):
        "RFC 7095's example"
        simon, = self.read('jcard.json', 'jcard', 1)
        self.assertEqual(simon, self.expected())
        self.assertEqual([d.params for d in simon.dropped],
            [{'value': 'bad@@viagenie'}])

    def test_xcard(self):
        "RFC 6351's example"
        simon, viagenie = self.read('xcard.xml', 'xcard', 2)
        self.assertEqual(simon, self.expected())
        self.assertEqual(viagenie, Contact(
                full_name="Viagenie", organisation="Viagenie",
                emails=[Email('info@viagenie.ca')]))
        self.assertFalse(viagenie.is_person)

    def test_detect(self):
        self.assertEqual(detect(decode(fixture('jcard.json'))), 'jcard')
        self.assertEqual(detect(decode(fixture('xcard.xml'))), 'xcard')
        self.assertEqual(
            detect(decode(fixture('thunderbird.csv'))), 'thunderbird')
        self.assertEqual(detect(decode(fixture('google_old.csv'))), 'google')
        self.assertEqual(
            detect(decode(fixture('outlook_tab.csv'))), 'outlook')

    def test_malformed(self):
        with self.assertRaises(ExchangeError) as context:
            read(b'["vcard", [["fn", {}, "text", "A"]')
        self.assertEqual(context.exception.code, 'json_malformed')
        with self.assertRaises(ExchangeError) as context:
            read(b'<vcards xmlns="urn:ietf:params:xml:ns:vcard-4.0"><vcard>')
        self.assertEqual(context.exception.code, 'xml_malformed')

    def test_jcard_bad_card(self):
        "A jCard that is no jCard is a reject, not the others"
        data = ('[["vcard", [["fn", {}, "text", "A"]]], ["vcard", 12], '
            '["vcard", [["fn", {}, "text", "C"]]]]').encode('utf-8')
        reading = read(data)
        self.assertEqual([(c.number, c.name) for c in reading.contacts],
            [(1, "A"), (3, "C")])
        self.assertEqual([(r.code, r.number) for r in reading.rejects],
            [('jcard_unreadable', 2)])

    def test_no_external_entities(self):
        "An xCard cannot make the reader fetch or read files"
        data = (b'<?xml version="1.0"?><!DOCTYPE vcards [<!ENTITY x SYSTEM '
            b'"file:///etc/passwd">]><vcards xmlns="urn:ietf:params:xml:ns:'
            b'vcard-4.0"><vcard><fn><text>A&x;</text></fn></vcard></vcards>')
        contact, = read(data).contacts
        self.assertNotIn('root', contact.full_name)


class RoundTripTestCase(unittest.TestCase):
    "Write then read gives the same contacts in every format"
    maxDiff = None

    def contacts(self):
        return [
            Contact(given_name="Jiří", middle_name="Karel",
                family_name="Novák", full_name="Jiří Karel Novák",
                organisation="Strojírny Brno, a.s.", department="Nákup",
                job_title="Vedoucí nákupu, export",
                emails=[Email('jiri@strojirny.example', 'work'),
                    Email('jirka@posta.example', 'other')],
                phones=[Phone('+420 541 123 456', 'work'),
                    Phone('+420 541 654 321', 'home'),
                    Phone('+420 777 987 654', 'mobile'),
                    Phone('+420 541 123 499', 'fax')],
                addresses=[
                    Address("Hybešova 42\nBudova B", "Brno", "602 00",
                        "Jihomoravský kraj", "Czech Republic", 'work'),
                    Address("Lidická 7", "Brno", "602 00", "",
                        "Czech Republic", 'home')],
                websites=['https://strojirny.example',
                    'https://blog.strojirny.example/a,b;c'],
                notes="Line one; with, punctuation\\ and\nline two",
                birthday=datetime.date(1975, 4, 23)),
            Contact(organisation="Distribuciones Ibéricas S.A.",
                full_name="Distribuciones Ibéricas S.A.",
                emails=[Email('info@dibericas.example', 'work')],
                phones=[Phone('+34 93 412 34 56', 'work')],
                addresses=[Address("Passeig de Gràcia 55", "Barcelona",
                        "08007", "Cataluña", "España", 'work')]),
            Contact(emails=[Email('only@mail.example', 'work')]),
            Contact(phones=[Phone('+34 600 000 001', 'mobile')]),
            ]

    def test_formats(self):
        # What each format cannot carry.
        lost = {
            'outlook': {'full_name', 'uid'},
            'google': {'uid'},
            'thunderbird': {'middle_name', 'uid'},
            }
        fields = ['given_name', 'middle_name', 'family_name', 'full_name',
            'organisation', 'job_title', 'department', 'emails', 'phones',
            'websites', 'addresses', 'notes', 'birthday', 'uid']
        for format in FORMATS:
            with self.subTest(format=format):
                data = write(self.contacts(), format)
                reading = read(data)
                self.assertEqual(reading.format, format)
                self.assertEqual(reading.rejects, [])
                again = reading.contacts
                self.assertEqual(len(again), 4)
                for a, b in zip(self.contacts(), again):
                    a.fill_names()
                    for field in fields:
                        if field in lost.get(format, ()):
                            continue
                        expected = getattr(a, field)
                        if format == 'outlook' and field == 'websites':
                            expected = expected[:1]
                        if format in {'outlook', 'thunderbird'} and (
                                field == 'emails'):
                            # No kinds: the first is the main one.
                            expected = [Email(e.address, k) for e, k in
                                zip(expected, ['work', 'other', 'other'])]
                        self.assertEqual(getattr(b, field), expected,
                            (format, a.name, field))
                    self.assertEqual(b.name, a.name)
                    self.assertEqual(b.is_person, a.is_person)
                    self.assertEqual(b.name_is_fallback, a.name_is_fallback)
                    self.assertEqual(b.dropped, [])

    def test_fixtures(self):
        "Every fixture survives a write and a read in every card format"
        names = sorted(n for n in os.listdir(FIXTURES)
            if n.endswith(('.vcf', '.csv', '.json', '.xml'))
            and not n.startswith(('broken', 'unknown')))
        for name in names:
            contacts = read(fixture(name)).contacts
            for format in ['vcard3', 'vcard4', 'jcard', 'xcard']:
                with self.subTest(name=name, format=format):
                    again = read(write(contacts, format)).contacts
                    self.assertEqual(again, contacts)

    def test_names(self):
        "Every format has its name, location, extension and MIME type"
        for mapping in [FORMAT_NAMES, LOCATIONS, EXTENSIONS, MIME_TYPES]:
            self.assertEqual(set(mapping), set(FORMATS))

    def test_messages(self):
        "Every message has its record for the translated text"
        import re
        path = os.path.join(os.path.dirname(FIXTURES), '..', 'data',
            'message.xml')
        with open(path, encoding='utf-8') as file:
            xml = file.read()
        for code, text in MESSAGES.items():
            with self.subTest(code=code):
                match = re.search(
                    r'id="msg_exchange_%s">\s*<field name="text">([^<]*)<'
                    % code, xml)
                self.assertTrue(match)
                params = set(re.findall(r'%\((\w+)\)s', text))
                record = set(re.findall(r'%\((\w+)\)s', match.group(1)))
                self.assertEqual(record - {'number', 'line'}, params)
