# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Contacts imported into existing partners: keys, countries, round trips"
import datetime
import unittest

from trytond.modules.crm_plus import exchange
from trytond.modules.crm_plus.models.exchange import (
    _address_key, _place_key, _same_address, _website_key, dump_reading,
    load_reading)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction


class AddressKeyTestCase(unittest.TestCase):
    "Addresses, countries and web pages compare on their normalised parts"

    def test_street_abbreviations(self):
        "Case, spaces, punctuation and street abbreviations do not count"
        for streets in [
                ["1200 Main St.\nSuite 400", "1200 MAIN STREET, STE 400",
                    "1200 Main Street  Suite 400"],
                ["Hauptstr. 5", "Hauptstraße 5", "HAUPTSTRASSE 5"],
                ["742 Evergreen Ave", "742 Evergreen Avenue"],
                ]:
            with self.subTest(streets=streets):
                keys = {_address_key(s, "Austin", "78701") for s in streets}
                self.assertEqual(len(keys), 1)

    def test_same_address(self):
        "Addresses are the same with the same street, city and postal code"
        key = _address_key("1 Poultry", "London", "EC2R 8EJ")
        self.assertTrue(_same_address(
                key, _address_key("1 POULTRY", "london", "ec2r8ej")))
        # A part missing on one side does not tell them apart.
        self.assertTrue(_same_address(
                key, _address_key("1 Poultry", "London", "")))
        self.assertFalse(_same_address(
                key, _address_key("2 Poultry", "London", "EC2R 8EJ")))
        self.assertFalse(_same_address(
                key, _address_key("1 Poultry", "Leeds", "EC2R 8EJ")))
        self.assertFalse(_same_address(
                _address_key("", "", ""), _address_key("", "", "")))

    def test_place_key(self):
        "Countries compare without case, accents, dots nor spaces"
        self.assertEqual(_place_key("U.S.A."), 'usa')
        self.assertEqual(_place_key(" Česká  republika "), 'ceska republika')
        self.assertEqual(_place_key("日本"), '日本')

    def test_website(self):
        "Web pages compare without scheme, www nor final slash"
        self.assertEqual(
            _website_key("https://www.Northwind.example/"),
            _website_key("http://northwind.example"))

    def test_reading_dump(self):
        "A reading is kept as JSON and read back the same"
        contact = exchange.Contact(
            given_name="Ana", family_name="García", full_name="Ana García",
            organisation="Acme", emails=[exchange.Email('a@acme.example')],
            phones=[exchange.Phone('+34 600 111 222', 'mobile')],
            addresses=[exchange.Address(street="Calle 1", country="ES")],
            websites=['https://acme.example'], notes="Note",
            birthday=datetime.date(1980, 1, 15), number=3,
            dropped=[exchange.ExchangeError(
                    'vcard_bad_line', 3, text="EMAIL:x")])
        reading = exchange.Reading('vcard3', [contact], [
                exchange.ExchangeError('vcard_unterminated', 4)])
        loaded = load_reading(dump_reading(reading))
        self.assertEqual(loaded.format, 'vcard3')
        self.assertEqual(loaded.contacts, [contact])
        self.assertEqual(loaded.contacts[0].number, 3)
        self.assertEqual(
            [str(e) for e in loaded.contacts[0].dropped],
            [str(e) for e in contact.dropped])
        self.assertEqual(
            [(e.code, e.number) for e in loaded.rejects],
            [('vcard_unterminated', 4)])


class ContactMergeTestCase(unittest.TestCase):
    "Contacts imported into the database"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('crm_plus')

    def _countries(self):
        pool = Pool()
        Country = pool.get('country.country')
        Subdivision = pool.get('country.subdivision')
        spain, poland = Country.create([
                {'name': "Spain", 'code': 'ES', 'code3': 'ESP'},
                {'name': "Poland", 'code': 'PL', 'code3': 'POL'},
                ])
        madrid, = Subdivision.create([{
                    'name': "Madrid", 'code': 'ES-M', 'type': 'province',
                    'country': spain.id}])
        return spain, poland, madrid

    @with_transaction()
    def test_country_names_of_every_language(self):
        "Countries are found by their names in every language"
        pool = Pool()
        Party = pool.get('party.party')
        Translation = pool.get('ir.translation')
        spain, poland, _ = self._countries()
        Translation.create([{
                    'name': 'country.country,name', 'res_id': poland.id,
                    'lang': 'fr', 'type': 'model', 'src': "Poland",
                    'value': "Pologne", 'module': 'country',
                    }])
        countries = Party._import_countries()
        for name, country in [
                ("Pologne", poland), ("POLAND", poland), ("pl", poland),
                ("POL", poland), ("España", spain), ("spain", spain)]:
            with self.subTest(name=name):
                self.assertEqual(countries[_place_key(name)].id, country.id)

    @with_transaction()
    def test_round_trip(self):
        """Exported partners import into an empty database as the same
        partners, and the same file again changes nothing"""
        pool = Pool()
        Party = pool.get('party.party')
        spain, _, madrid = self._countries()
        acme, = Party.create([{
                    'name': "Acme Ibérica S.L.",
                    'party_kind': 'organisation',
                    'contact_mechanisms': [('create', [
                                {'type': 'email',
                                    'value': 'info@acme.example'},
                                {'type': 'phone', 'value': '+34 911 23 45 67'},
                                {'type': 'website',
                                    'value': 'https://acme.example'},
                                ])],
                    'addresses': [('create', [{
                                    'street_unstructured': "Calle Mayor 1",
                                    'city': "Madrid", 'postal_code': "28013",
                                    'country': spain.id,
                                    'subdivision': madrid.id,
                                    }])],
                    }])
        ana, = Party.create([{
                    'name': "Ana García",
                    'party_kind': 'person',
                    'surname': "García",
                    'organisation': acme.id,
                    'job_title': "Buyer",
                    'department': "Purchasing",
                    'private_notes': "Prefers mornings.",
                    'contact_mechanisms': [('create', [
                                {'type': 'email', 'value': 'ana@acme.example'},
                                {'type': 'mobile',
                                    'value': '+34 600 11 12 22'},
                                {'type': 'fax', 'value': '+34 911 23 45 99'},
                                ])],
                    'addresses': [('create', [{
                                    'street_unstructured': "Calle Mayor 1\n"
                                    "Planta 2",
                                    'city': "Madrid", 'postal_code': "28013",
                                    'country': spain.id,
                                    'subdivision': madrid.id,
                                    }])],
                    }])
        parties = [acme, ana]

        def state(party):
            return (party.name, party.party_kind, party.surname,
                party.job_title, party.department,
                party.organisation.name if party.organisation else None,
                party.private_notes,
                sorted((m.type, m.value) for m in party.contact_mechanisms),
                sorted((a.street_unstructured, a.city, a.postal_code,
                        a.country.code if a.country else None,
                        a.subdivision.code if a.subdivision else None)
                    for a in party.addresses))

        expected = sorted(state(p) for p in parties)
        for format in exchange.FORMATS:
            with self.subTest(format=format):
                data = exchange.write(
                    Party.export_contacts(parties), format)
                Party.delete(parties)
                reading = exchange.read(data)
                self.assertEqual(reading.format, format)
                matches = Party.match_import_contacts(reading.contacts)
                self.assertEqual(matches, [([], [])] * 2)
                outcomes = []
                ids = Party.import_contacts(
                    format, reading.contacts, [None] * 2, outcomes=outcomes)
                self.assertEqual(outcomes, ['created'] * 2)
                parties = Party.browse(ids)
                self.assertEqual(sorted(state(p) for p in parties), expected)

                matches = Party.match_import_contacts(reading.contacts)
                self.assertEqual(
                    [same for same, _ in matches], [[i] for i in ids])
                outcomes = []
                Party.import_contacts(
                    format, reading.contacts, ids, outcomes=outcomes)
                self.assertEqual(outcomes, ['unchanged'] * 2)
                self.assertEqual(
                    sorted(state(p) for p in Party.browse(ids)), expected)

    @with_transaction()
    def test_name_alone(self):
        """A person of the same name is the same partner only with the
        same organisation, or when nothing else tells them apart"""
        pool = Pool()
        Party = pool.get('party.party')
        jan, = Party.create([{
                    'name': "Jan Kowalski", 'party_kind': 'person',
                    'contact_mechanisms': [('create', [
                                {'type': 'email', 'value': 'jan@a.example'},
                                ])],
                    }])
        contacts = [
            # Only the name and an address: nothing tells another person.
            exchange.Contact(full_name="Jan Kowalski", addresses=[
                    exchange.Address(street="Ulica 1", city="Kraków")]),
            # An e-mail that Jan does not have: maybe another person.
            exchange.Contact(full_name="Jan Kowalski", emails=[
                    exchange.Email('kowalski@b.example')]),
            # Another organisation.
            exchange.Contact(full_name="Jan Kowalski", organisation="B"),
            ]
        self.assertEqual(
            Party.match_import_contacts(contacts),
            [([jan.id], []), ([], [jan.id]), ([], [jan.id])])
