# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The contact formats alone, on hand-written files of real address books"
import datetime
import os
import unittest

from trytond.modules.crm_plus.exchange import (
    Address, Contact, Email, ExchangeError, Phone, decode, detect, read,
    write)

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')


def fixture(name):
    with open(os.path.join(FIXTURES, name), 'rb') as file:
        return file.read()


class VCardReadTestCase(unittest.TestCase):

    def test_apple_vcard_3(self):
        "Apple's vCard 3.0: groups, folded lines, several e-mails and phones"
        format, contacts, _ = read(fixture('apple_v3.vcf'))
        self.assertEqual(format, 'vcard3')
        self.assertEqual(len(contacts), 3)
        novak, yamada, meridiana = contacts

        self.assertEqual(
            (novak.given_name, novak.middle_name, novak.family_name),
            ("Jiří", "Karel", "Novák"))
        self.assertEqual(novak.full_name, "Jiří Novák")
        self.assertEqual(novak.organisation, "Strojírny Brno a.s.")
        self.assertEqual(novak.department, "Nákup")
        self.assertEqual(novak.job_title, "Vedoucí nákupu")
        # The first e-mail was folded inside the domain name.
        self.assertEqual(novak.emails, [
                Email('jiri.novak@strojirny-brno.example', 'work'),
                Email('jirka.novak@posta.example', 'home'),
                ])
        self.assertEqual(novak.phones, [
                Phone('+420 541 123 456', 'work'),
                Phone('+420 777 987 654', 'mobile'),
                Phone('+420 541 123 499', 'fax'),
                ])
        self.assertEqual(novak.addresses, [Address(
                    street="Hybešova 42", city="Brno", postal_code="602 00",
                    country="Czech Republic", kind='work')])
        self.assertEqual(
            novak.websites, ['https://www.strojirny-brno.example'])
        self.assertEqual(novak.notes,
            "Met at the MSV trade fair, October. Prefers calls in the "
            "morning; speaks German.")
        self.assertEqual(novak.birthday, datetime.date(1975, 4, 23))
        self.assertEqual(novak.uid, '2F9B6C1E-7A4D-4C1B-9E0B-3A1D5C6E7F80')
        self.assertTrue(novak.is_person)

        self.assertEqual(yamada.full_name, "山田 太郎")
        self.assertEqual(
            (yamada.family_name, yamada.given_name), ("山田", "太郎"))
        self.assertEqual(yamada.organisation, "株式会社山田製作所")
        self.assertEqual(yamada.addresses[0].region, "東京都")

        # A company card: no person, the organisation itself.
        self.assertFalse(meridiana.is_person)
        self.assertEqual(meridiana.name, "Meridiana Industrial S.L.")
        self.assertEqual(meridiana.addresses[0].country, "Spain")

    def test_vcard_4(self):
        "vCard 4.0 with BOM: quoted TYPE lists, PREF, tel: URIs"
        format, contacts, _ = read(fixture('v4.vcf'))
        self.assertEqual(format, 'vcard4')
        wang, fernandez = contacts
        self.assertEqual(wang.full_name, "王秀英")
        self.assertEqual(
            (wang.family_name, wang.given_name), ("王", "秀英"))
        self.assertEqual(wang.phones, [
                Phone('+86-21-6123-4567', 'work'),
                Phone('+86-139-1234-5678', 'mobile'),
                ])
        self.assertEqual(wang.emails[0],
            Email('wang.xiuying@huadong-trade.example', 'work'))
        # The city was folded in the middle of a multibyte word.
        self.assertEqual(wang.addresses[0].city, "上海")
        self.assertEqual(wang.birthday, datetime.date(1982, 3, 9))
        self.assertEqual(fernandez.family_name, "Fernández Ruiz")
        self.assertEqual(fernandez.phones[1], Phone('+34-93-412-34-99', 'fax'))
        self.assertEqual(
            fernandez.addresses[0].street, "Passeig de Gràcia 55, 3º 2ª")
        self.assertEqual(fernandez.notes,
            "Prefiere reuniones por la tarde.\nCliente desde 2019.")

    def test_outlook_vcard_2_1_quoted_printable(self):
        "Outlook's 2.1 cards: QUOTED-PRINTABLE, charsets, soft line breaks"
        format, contacts, _ = read(fixture('outlook_21_qp.vcf'))
        self.assertEqual(format, 'vcard3')
        munoz, dvorak = contacts
        self.assertEqual(
            (munoz.given_name, munoz.family_name), ("José", "Muñoz"))
        self.assertEqual(munoz.organisation, "Logística Andaluza S.L.")
        self.assertEqual(munoz.department, "Almacén")
        # Written in the Windows code page without any CHARSET.
        self.assertEqual(munoz.job_title, "Jefe de almacén")
        self.assertEqual(munoz.addresses[0].country, "España")
        self.assertEqual(munoz.notes,
            "Entregas sólo por la mañana.\nLlamar antes de ir al almacén.")
        self.assertEqual(munoz.phones, [
                Phone('+34 954 12 34 56', 'work'),
                Phone('+34 612 34 56 78', 'mobile'),
                ])
        self.assertEqual(dvorak.full_name, "Oldřich Dvořák")
        self.assertEqual(dvorak.family_name, "Dvořák")
        self.assertEqual(
            [e.address for e in dvorak.emails],
            ['oldrich.dvorak@pivovar-hradec.example',
                'o.dvorak@seznam.example'])
        self.assertEqual(dvorak.phones[1], Phone('+420 495 333 444', 'home'))

    def test_line_endings(self):
        "CRLF, LF and CR-less files read the same"
        data = fixture('apple_v3.vcf')
        self.assertIn(b'\r\n', data)
        self.assertEqual(
            read(data.replace(b'\r\n', b'\n'))[1], read(data)[1])

    def test_unterminated_card(self):
        """A card without END:VCARD is a reject named by its number and
        line; the others are read"""
        _, contacts, rejects = read(fixture('broken_unterminated.vcf'))
        self.assertEqual([c.name for c in contacts],
            ["Tomáš Horák", "Anna Black", "Jan Kowalski"])
        self.assertEqual([c.number for c in contacts], [1, 2, 4])
        reject, = rejects
        self.assertEqual(reject.code, 'vcard_unterminated')
        self.assertEqual((reject.number, reject.line), (3, 13))
        self.assertEqual(
            str(reject), "card 3 (line 13): BEGIN:VCARD without END:VCARD")

    def test_unterminated_last_card(self):
        "A file cut in its last card"
        data = fixture('v4.vcf').rsplit(b'END:VCARD', 1)[0]
        _, contacts, rejects = read(data)
        self.assertEqual([c.name for c in contacts], ["王秀英"])
        self.assertEqual([str(r) for r in rejects],
            ["card 2 (line 18): BEGIN:VCARD without END:VCARD"])

    def test_end_without_begin(self):
        "END:VCARD alone is named by its line"
        data = b"BEGIN:VCARD\nVERSION:3.0\nFN:A\nEND:VCARD\nEND:VCARD\n"
        _, contacts, rejects = read(data)
        self.assertEqual([c.name for c in contacts], ["A"])
        self.assertEqual([str(r) for r in rejects],
            ["line 5: END:VCARD without BEGIN:VCARD"])

    def test_bad_line(self):
        "A line that is no property rejects its card, named with the line"
        data = (b"BEGIN:VCARD\nVERSION:3.0\nFN:A\nEND:VCARD\n"
            b"BEGIN:VCARD\nVERSION:3.0\nFN:B\nthis is not a property\n"
            b"END:VCARD\n")
        _, contacts, rejects = read(data)
        self.assertEqual([c.name for c in contacts], ["A"])
        reject, = rejects
        self.assertEqual(reject.code, 'vcard_bad_line')
        self.assertEqual((reject.number, reject.line), (2, 8))
        self.assertEqual(str(reject),
            "card 2 (line 8): cannot read the line this is not a property")

    def test_unsupported_version(self):
        "A file whose only card cannot be read raises that card's error"
        data = b"BEGIN:VCARD\nVERSION:5.0\nFN:A\nEND:VCARD\n"
        with self.assertRaises(ExchangeError) as context:
            read(data)
        self.assertEqual(str(context.exception),
            "card 1 (line 2): unsupported vCard version 5.0")


class CSVReadTestCase(unittest.TestCase):

    def test_outlook(self):
        "Outlook's CSV export in the Windows code page"
        data = fixture('outlook.csv')
        with self.assertRaises(UnicodeDecodeError):
            data.decode('utf-8')
        format, contacts, _ = read(data)
        self.assertEqual(format, 'outlook')
        munoz, weiss, nordwind = contacts
        self.assertEqual(munoz.full_name, "José Muñoz")
        self.assertEqual(munoz.organisation, "Logística Andaluza S.L.")
        self.assertEqual(munoz.notes,
            "Entregas sólo por la mañana.\nLlamar antes de ir al almacén.")
        # Outlook's "0/0/00" is no birthday.
        self.assertIsNone(munoz.birthday)
        self.assertEqual(weiss.family_name, "Weiß")
        self.assertEqual(weiss.birthday, datetime.date(1968, 5, 17))
        self.assertEqual(weiss.emails, [
                Email('j.weiss@mueller-soehne.example', 'work'),
                Email('juergen.weiss@mail.example', 'other'),
                ])
        self.assertEqual(
            sorted((p.kind, p.number) for p in weiss.phones), [
                ('fax', '+49 711 12345-99'),
                ('home', '+49 711 987654'),
                ('mobile', '+49 170 1234567'),
                ('work', '+49 711 12345-0'),
                ])
        self.assertEqual(
            [(a.kind, a.street, a.city) for a in weiss.addresses], [
                ('work', "Königstraße 12\nGebäude B", "Stuttgart"),
                ('home', "Lindenweg 3", "Esslingen"),
                ])
        self.assertFalse(nordwind.is_person)
        self.assertEqual(nordwind.name, "Nordwind Logistik AG")

    def test_outlook_utf8(self):
        "Outlook's export saved as UTF-8, with and without BOM"
        text = fixture('outlook.csv').decode('cp1252')
        expected = read(fixture('outlook.csv'))
        self.assertEqual(read(text.encode('utf-8')), expected)
        self.assertEqual(read(text.encode('utf-8-sig')), expected)

    def test_google(self):
        "Google Contacts' CSV: numbered columns, ::: lists, labels"
        format, contacts, _ = read(fixture('google.csv'))
        self.assertEqual(format, 'google')
        suzuki, svobodova, gomez = contacts
        self.assertEqual(suzuki.full_name, "Hanako Suzuki")
        self.assertEqual(suzuki.department, "調達部")
        self.assertEqual(suzuki.emails, [
                Email('h.suzuki@sakura-denki.example', 'work'),
                Email('hanako.s@mail.example', 'home'),
                ])
        self.assertEqual(suzuki.phones, [
                Phone('+81 6-6123-4567', 'work'),
                Phone('+81 80-9876-5432', 'mobile'),
                Phone('+81 80-1111-2222', 'mobile'),
                ])
        self.assertEqual(suzuki.addresses, [Address(
                    street="2-4-1 Umeda\nKita-ku", city="Osaka",
                    postal_code="530-0001", region="Osaka", country="Japan",
                    kind='work')])
        self.assertEqual(
            suzuki.notes, "Met at Japan IT Week.\nPrefers e-mail.")
        self.assertEqual(suzuki.birthday, datetime.date(1985, 11, 2))
        self.assertEqual(svobodova.job_title, "Účetní")
        # A birthday without year is no date.
        self.assertIsNone(svobodova.birthday)
        self.assertEqual(gomez.middle_name, "Alberto")
        self.assertEqual(gomez.organisation, '')
        self.assertEqual(gomez.addresses[0].kind, 'home')

    def test_bad_row(self):
        """A row with too few columns is a reject naming its line, counting
        multi-line cells; the other rows are read"""
        _, contacts, rejects = read(fixture('broken_row.csv'))
        self.assertEqual([str(r) for r in rejects],
            ["line 7: 5 columns where the header has 9"])
        self.assertEqual([c.family_name for c in contacts],
            ["Pereira", "Costa", "Lindqvist", "Berg", "Dahl"])
        self.assertEqual([c.number for c in contacts], [2, 4, 5, 6, 8])

    def test_unknown_format(self):
        with self.assertRaises(ExchangeError) as context:
            read(fixture('unknown.csv'))
        self.assertEqual(context.exception.code, 'unknown_format')

    def test_binary(self):
        with self.assertRaises(ExchangeError) as context:
            read(fixture('junk.bin'))
        self.assertEqual(context.exception.code, 'not_text')

    def test_empty(self):
        header = fixture('google.csv').split(b'\r\n', 1)[0] + b'\r\n'
        with self.assertRaises(ExchangeError) as context:
            read(header)
        self.assertEqual(context.exception.code, 'empty')


class WriteTestCase(unittest.TestCase):
    "What is written reads back the same in every format"

    def contacts(self):
        return [
            Contact(given_name="Jiří", family_name="Novák",
                organisation="Strojírny Brno a.s.", department="Nákup",
                job_title="Vedoucí nákupu",
                emails=[Email('jiri@strojirny.example', 'work'),
                    Email('jirka@posta.example', 'home')],
                phones=[Phone('+420 541 123 456', 'work'),
                    Phone('+420 777 987 654', 'mobile'),
                    Phone('+420 541 123 499', 'fax')],
                addresses=[Address("Hybešova 42", "Brno", "602 00", "",
                        "Czech Republic", 'work')],
                websites=['https://strojirny.example'],
                notes="Line one; with, punctuation\nline two",
                birthday=datetime.date(1975, 4, 23)).fill_names(),
            Contact(given_name="太郎", family_name="山田",
                full_name="山田 太郎", organisation="株式会社山田製作所",
                emails=[Email('t.yamada@yamada.example', 'work')],
                phones=[Phone('+81 90-1234-5678', 'mobile')]),
            Contact(organisation="Distribuciones Ibéricas S.A.",
                full_name="Distribuciones Ibéricas S.A.",
                emails=[Email('info@dibericas.example', 'work')],
                phones=[Phone('+34 93 412 34 56', 'work')],
                addresses=[Address("Passeig de Gràcia 55", "Barcelona",
                        "08007", "Cataluña", "España", 'work')]),
            ]

    def assertSame(self, written, read_, fields):
        self.assertEqual(len(written), len(read_))
        for a, b in zip(written, read_):
            for field in fields:
                self.assertEqual(
                    getattr(a, field), getattr(b, field), (a.name, field))

    fields = ['given_name', 'family_name', 'organisation', 'department',
        'job_title', 'emails', 'phones', 'addresses', 'websites', 'notes',
        'birthday', 'name', 'is_person']

    def test_vcard_3(self):
        data = write(self.contacts(), 'vcard3')
        text = data.decode('utf-8')
        self.assertIn('VERSION:3.0', text)
        self.assertIn('TYPE=WORK', text)
        # Lines are folded at 75 octets.
        self.assertTrue(all(
                len(line.encode('utf-8')) <= 75
                for line in text.split('\r\n')))
        format, contacts, _ = read(data)
        self.assertEqual(format, 'vcard3')
        self.assertSame(self.contacts(), contacts, self.fields)

    def test_vcard_4(self):
        data = write(self.contacts(), 'vcard4')
        text = data.decode('utf-8')
        self.assertIn('VERSION:4.0', text)
        self.assertIn('KIND:org', text)
        self.assertIn('TEL;TYPE="cell,voice"', text)
        format, contacts, _ = read(data)
        self.assertEqual(format, 'vcard4')
        self.assertSame(self.contacts(), contacts, self.fields)

    def test_outlook(self):
        data = write(self.contacts(), 'outlook')
        self.assertTrue(data.startswith(b'\xef\xbb\xbf"Title","First Name"'))
        format, contacts, _ = read(data)
        self.assertEqual(format, 'outlook')
        # Outlook has no kinds of e-mail, and one birthday format.
        self.assertSame(self.contacts(), contacts,
            set(self.fields) - {'emails'})
        self.assertEqual(
            [[e.address for e in c.emails] for c in contacts],
            [[e.address for e in c.emails] for c in self.contacts()])

    def test_google(self):
        data = write(self.contacts(), 'google')
        format, contacts, _ = read(data)
        self.assertEqual(format, 'google')
        self.assertSame(self.contacts(), contacts, self.fields)

    def test_fixtures_round_trip(self):
        "Every hand-written fixture survives a write and a read"
        for name in ['apple_v3.vcf', 'v4.vcf', 'outlook_21_qp.vcf',
                'outlook.csv', 'google.csv']:
            _, contacts, _ = read(fixture(name))
            for format in ['vcard3', 'vcard4', 'google']:
                with self.subTest(name=name, format=format):
                    _, again, _ = read(write(contacts, format))
                    self.assertSame(contacts, again, [
                            'name', 'organisation', 'emails', 'phones',
                            'job_title', 'department'])
            # Outlook has neither kinds of e-mail nor a full name, and one
            # column per kind of phone.
            _, again, _ = read(write(contacts, 'outlook'))
            self.assertSame(contacts, again, [
                    'given_name', 'family_name', 'organisation',
                    'job_title', 'department', 'is_person'])
            for a, b in zip(contacts, again):
                self.assertEqual(
                    sorted((p.kind, p.number) for p in a.phones),
                    sorted((p.kind, p.number) for p in b.phones))


class DetectTestCase(unittest.TestCase):

    def test_detect(self):
        self.assertEqual(detect(decode(fixture('outlook.csv'))), 'outlook')
        self.assertEqual(detect(decode(fixture('google.csv'))), 'google')
        self.assertEqual(detect(decode(fixture('v4.vcf'))), 'vcard4')
        self.assertEqual(detect(decode(fixture('apple_v3.vcf'))), 'vcard3')
        self.assertIsNone(detect(decode(fixture('unknown.csv'))))

    def test_utf16(self):
        "Windows' 'Unicode' text is UTF-16 with BOM"
        text = decode(fixture('google.csv'))
        self.assertEqual(decode(text.encode('utf-16')), text)
