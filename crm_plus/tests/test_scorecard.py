# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import unittest

from trytond.modules.crm_plus.models.scorecard import compute_score


class ScoreTestCase(unittest.TestCase):
    "The score of weighted criteria"

    def test_weighted(self):
        "100 x sum of weight x level over sum of weight x 10"
        self.assertEqual(compute_score([(3, 8), (1, 4)]), 70)
        self.assertEqual(compute_score([(0.5, 10), (1.5, 0)]), 25)
        self.assertEqual(compute_score([(1, 7), (2, 7)]), 70)

    def test_bounds(self):
        "All at the top is 100, all at the bottom 0"
        self.assertEqual(compute_score([(2, 10), (5, 10)]), 100)
        self.assertEqual(compute_score([(2, 0), (5, 0)]), 0)

    def test_unanswered_counts_zero(self):
        "A criterion without level weighs in as rated 0"
        self.assertEqual(compute_score([(1, 10), (1, None)]), 50)

    def test_rounded(self):
        "Scores keep two decimals"
        self.assertEqual(compute_score([(1, 10), (1, 10), (1, 0)]), 66.67)

    def test_empty(self):
        "No criterion, no score"
        self.assertIsNone(compute_score([]))
