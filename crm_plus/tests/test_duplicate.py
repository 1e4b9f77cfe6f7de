# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The normalisers behind duplicate detection, without a database."
import unittest

from trytond.modules.crm_plus.models.duplicate import (
    normalize_email, normalize_name, normalize_phone,
    normalize_tax_identifier, similarity)


class NormaliserTestCase(unittest.TestCase):

    def test_name_legal_forms(self):
        "Legal forms, case, accents and punctuation do not count"
        for names in [
                ["Acme Ibérica S.L.", "ACME IBERICA, SL", "acme iberica"],
                ["Müller GmbH & Co. KG", "Muller", "MÜLLER GMBH"],
                ["Brown Ltd", "Brown Limited", "brown"],
                ["Novák a spol. s r.o.", "Novak a", "NOVÁK A SPOL S.R.O."],
                ["株式会社ソニック", "ソニック株式会社", "ソニック"],
                ["华为技术有限公司", "华为技术"],
                ]:
            with self.subTest(names=names):
                self.assertEqual(len({normalize_name(n) for n in names}), 1)
        self.assertEqual(normalize_name("Acme Ibérica S.L."), 'acme iberica')

    def test_name_keeps_essential_words(self):
        "A name made only of a legal form word is kept"
        self.assertEqual(normalize_name("Limited"), 'limited')
        self.assertEqual(normalize_name("Co"), 'co')
        self.assertNotEqual(normalize_name("Acme"), normalize_name("Acne"))
        self.assertIsNone(normalize_name(""))
        self.assertIsNone(normalize_name(None))

    def test_email(self):
        "E-mails compare trimmed and in lower case"
        self.assertEqual(
            normalize_email("  Ana.Garcia@Acme.EXAMPLE "),
            'ana.garcia@acme.example')
        self.assertIsNone(normalize_email("   "))

    def test_phone(self):
        "Phones compare in their international form"
        self.assertEqual(normalize_phone("+34 911 23 45 67"), '+34911234567')
        self.assertEqual(
            normalize_phone("911 23 45 67", ['ES']), '+34911234567')
        self.assertEqual(
            normalize_phone("0034 911-234-567", ['ES']), '+34911234567')
        self.assertEqual(
            normalize_phone("(020) 7946 0018", ['GB']), '+442079460018')
        # Not a valid number anywhere: its digits
        self.assertEqual(normalize_phone("12-34"), '1234')
        self.assertIsNone(normalize_phone("n/a"))

    def test_tax_identifier(self):
        "Tax identifiers compare without separators nor case"
        self.assertEqual(
            normalize_tax_identifier("es b-1234.5678 "), 'B12345678')
        self.assertEqual(normalize_tax_identifier("B12345678"), 'B12345678')
        self.assertEqual(
            normalize_tax_identifier("CZ 25123891"),
            normalize_tax_identifier("cz25123891"))

    def test_similarity(self):
        "Trigram similarity: 1 for the same, high for a typo, low else"
        self.assertEqual(similarity('acme iberica', 'acme iberica'), 1)
        self.assertGreater(similarity('acme iberica', 'acme iberia'), 0.5)
        self.assertLess(similarity('acme iberica', 'zeta logistics'), 0.1)
        self.assertEqual(similarity('', 'acme'), 0)
