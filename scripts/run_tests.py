"""Run every test module of crm_plus and print one closing count line.

The host's scenarios are doctests loaded through unittest's load_tests
protocol, so the suite runs under unittest rather than a collector that
ignores that protocol.
"""
import argparse
import pkgutil
import random
import subprocess
import sys
import time
import unittest
from collections import defaultdict


# Test modules whose data is committed (the demo data): they run after the
# others, in a process of their own, so that nothing they leave can meet
# the other tests, whatever the backend does with a dropped database.
ALONE = {'test_demo'}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        'patterns', nargs='*',
        help="run only the test modules, tests or scenarios whose name "
        "contains one of these (e.g. test_module, test_funnel, "
        "scenario_credit)")
    parser.add_argument('-v', '--verbose', action='store_true')
    parser.add_argument(
        '--shuffle', type=int, metavar='SEED',
        help="run the test classes, and the tests of each, in an order "
        "drawn from SEED: the tests pass in any order")
    parser.add_argument(
        '--alone', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()

    import trytond.modules.crm_plus.tests as tests_package

    modules = [m.name for m in pkgutil.iter_modules(tests_package.__path__)
        if m.name.startswith('test_')]
    modules = [m for m in modules if (m in ALONE) == args.alone]
    names = [f'{tests_package.__name__}.{m}' for m in modules]
    suite = unittest.TestLoader().loadTestsFromNames(names)
    if args.patterns:
        # A scenario's id is its file name (scenario_x_rst): matching the
        # ids as well as the modules selects single scenarios and tests.
        suite = unittest.TestSuite(
            t for t in _tests(suite)
            if any(p in t.id() or p in type(t).__module__
                for p in args.patterns))
    if args.shuffle is not None:
        suite = _shuffled(suite, args.shuffle)
        print(f"Order drawn from seed {args.shuffle}", file=sys.stderr)
    start = time.monotonic()
    result = unittest.TextTestRunner(
        verbosity=2 if args.verbose else 1).run(suite)
    # A test whose subtests fail is reported once per subtest: count tests.
    failed = len({
            getattr(test, 'test_case', test).id()
            for test, _ in result.failures + result.errors}) + len(
        result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    counts = [passed, failed, len(result.skipped), result.testsRun]
    if args.alone:
        print("alone:", *counts)
        return 0
    # The tests that commit to the database run in a process of their own,
    # on a database of their own.
    sys.stdout.flush()
    child = subprocess.run(
        [sys.executable, __file__, '--alone'] + sys.argv[1:],
        stdout=subprocess.PIPE, text=True)
    for line in child.stdout.splitlines():
        if line.startswith('alone: '):
            counts = [a + int(b) for a, b in zip(counts, line.split()[1:])]
        else:
            print(line)
    passed, failed, skipped, ran = counts
    if child.returncode:
        failed += 1
    print(f"Took {time.monotonic() - start:.0f}s")
    print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if failed == 0 and ran else 1


def _shuffled(suite, seed):
    """The tests of the suite, each class kept together so that its
    fixtures are set up once, in an order drawn from seed"""
    rng = random.Random(seed)
    classes = defaultdict(list)
    for test in _tests(suite):
        # A scenario is a class of its own.
        classes[type(test), getattr(test, '_dt_test', None)
            and test.id()].append(test)
    groups = list(classes.values())
    rng.shuffle(groups)
    for group in groups:
        rng.shuffle(group)
    return unittest.TestSuite(t for group in groups for t in group)


def _tests(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from _tests(test)
        else:
            yield test


if __name__ == '__main__':
    sys.exit(main())
