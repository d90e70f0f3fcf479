"""Unit test of the agreement rule of the README's seed-paper table (scripts/seeds_verdict.py).

    test_seeds_verdict.py SOURCE_DIR      (ctest: seeds_verdict, skipped with 77 without /usr/bin/python3)
"""
import math
import os
import sys
import unittest

sys.path.insert(0, os.path.join(sys.argv.pop(1) if len(sys.argv) > 1 else "..", "scripts"))
import seeds_verdict as sv  # noqa: E402

NAN = math.nan


class Point(unittest.TestCase):
    def test_within_tolerance_with_a_clear_interval_agrees(self):
        self.assertEqual(sv.point(1.20, 0.05, 1.5), sv.AGREES)      # -20%
        self.assertEqual(sv.point(1.875, 0.10, 1.5), sv.AGREES)     # +25%, the edge
        self.assertEqual(sv.point(1.20, NAN, 1.5), sv.AGREES)       # one seed: no interval

    def test_beyond_tolerance_is_same_direction(self):
        self.assertEqual(sv.point(1.29, 0.44, 10.94), sv.SAME)
        self.assertEqual(sv.point(1.10, 0.02, 1.5), sv.SAME)        # -26.7%

    def test_an_interval_reaching_the_other_side_does_not_agree(self):
        self.assertEqual(sv.point(1.20, 0.25, 1.5), sv.SAME)        # 0.95 .. 1.45 straddles 1
        self.assertEqual(sv.point(1.20, 0.20, 1.5), sv.SAME)        # reaches 1 exactly

    def test_the_other_direction_disagrees(self):
        self.assertEqual(sv.point(0.9, 0.01, 1.5), sv.DISAGREES)
        self.assertEqual(sv.point(1.0, 0.0, 1.5), sv.DISAGREES)     # neutral favours neither

    def test_percent_reductions_use_zero_as_neutral(self):
        self.assertEqual(sv.point(90.0, 3.0, 93.84, neutral=0.0), sv.AGREES)
        self.assertEqual(sv.point(2.7, 10.3, 93.84, neutral=0.0), sv.SAME)
        self.assertEqual(sv.point(-2.1, 20.6, 96.01, neutral=0.0), sv.DISAGREES)

    def test_no_result(self):
        self.assertEqual(sv.point(NAN, 0.1, 1.5), sv.NONE)


class Span(unittest.TestCase):
    def test_inside_the_widened_range_agrees(self):
        self.assertEqual(sv.span([1.7, 20.0], 2.2, 18.2), sv.AGREES)   # 1.65 .. 22.75

    def test_overlapping_is_not_enough(self):
        # The case the earlier rule called "agrees": min 0.77x .. max 2.23x against 2.2-18.2x.
        self.assertEqual(sv.span([0.77, 2.23], 2.2, 18.2), sv.DISAGREES)
        self.assertEqual(sv.span([1.2, 2.23], 2.2, 18.2), sv.SAME)
        self.assertEqual(sv.span([3.0, 30.0], 2.2, 18.2), sv.SAME)

    def test_nan_points_are_ignored(self):
        self.assertEqual(sv.span([NAN, 2.5], 2.2, 18.2), sv.AGREES)
        self.assertEqual(sv.span([NAN], 2.2, 18.2), sv.NONE)


class Absolute(unittest.TestCase):
    def test_rates_agree_within_tolerance_only(self):
        self.assertEqual(sv.absolute(203.9, 247.9), sv.AGREES)
        self.assertEqual(sv.absolute(11.57, 14.01), sv.AGREES)
        self.assertEqual(sv.absolute(9.0, 14.01), sv.DISAGREES)


class Combine(unittest.TestCase):
    def test_common_verdict_or_counts(self):
        self.assertEqual(sv.combine([sv.AGREES, sv.AGREES]), sv.AGREES)
        self.assertEqual(sv.combine([sv.AGREES, sv.SAME, sv.SAME]), "1 of 3 agree, 2 same direction")
        self.assertEqual(sv.combine([sv.SAME, sv.DISAGREES]), "0 of 2 agree, 1 same direction, 1 disagrees")


if __name__ == "__main__":
    unittest.main(verbosity=1)
