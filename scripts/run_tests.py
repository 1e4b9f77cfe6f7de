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
from functools import cache


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
        '--jobs', type=int, default=1, metavar='N',
        help="run the test classes and scenarios in N processes at once "
        "(each on its own in-memory database: SQLite only)")
    parser.add_argument(
        '--alone', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--shard', help=argparse.SUPPRESS)
    args = parser.parse_args()

    _remember_modules()
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
    if args.shard:
        # One of the processes of --jobs: its share of the groups of tests,
        # a class or a scenario kept whole so that its set-up runs once.
        index, jobs = map(int, args.shard.split('/'))
        suite = unittest.TestSuite(
            t for group in _share(_groups(suite), index, jobs)
            for t in group)
    if args.jobs > 1 and not (args.alone or args.shard):
        counts, returncodes = [0, 0, 0, 0], []
        children = [subprocess.Popen(
                [sys.executable, __file__, '--shard', f'{i}/{args.jobs}']
                + _without_jobs(sys.argv[1:]),
                stdout=subprocess.PIPE, text=True)
            for i in range(args.jobs)]
        for child in children:
            counts = _add_counts(counts, child.communicate()[0])
            returncodes.append(child.returncode)
    else:
        result = unittest.TextTestRunner(
            verbosity=2 if args.verbose else 1).run(suite)
        # A test whose subtests fail is reported once per subtest: count
        # tests.
        failed = len({
                getattr(test, 'test_case', test).id()
                for test, _ in result.failures + result.errors}) + len(
            result.unexpectedSuccesses)
        passed = result.testsRun - failed - len(result.skipped)
        counts = [passed, failed, len(result.skipped), result.testsRun]
        returncodes = []
    if args.alone or args.shard:
        # A child reports its counts to the parent.
        print("alone:", *counts)
        return 0
    # The tests that commit to the database run in a process of their own,
    # on a database of their own.
    sys.stdout.flush()
    child = subprocess.run(
        [sys.executable, __file__, '--alone']
        + _without_jobs(sys.argv[1:]),
        stdout=subprocess.PIPE, text=True)
    counts = _add_counts(counts, child.stdout)
    returncodes.append(child.returncode)
    passed, failed, skipped, ran = counts
    failed += sum(1 for r in returncodes if r)
    print(f"Took {time.monotonic() - start:.0f}s")
    print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
    return 0 if failed == 0 and ran else 1


def _remember_modules():
    """Find each Tryton module once per process: the host looks a module
    up among every installed entry point at each call, and its tests of a
    module (depends, rec_name, buttons ...) make some 70,000 calls each,
    minutes of the suite"""
    from trytond.tools import misc
    misc.import_module = cache(misc.import_module)


def _without_jobs(arguments):
    "The arguments without --jobs and its value"
    result = []
    arguments = iter(arguments)
    for argument in arguments:
        if argument == '--jobs':
            next(arguments, None)
        elif not argument.startswith('--jobs='):
            result.append(argument)
    return result


def _add_counts(counts, output):
    "The counts plus those of a child's output, whose other lines it prints"
    for line in output.splitlines():
        if line.startswith('alone: '):
            counts = [a + int(b) for a, b in zip(counts, line.split()[1:])]
        else:
            print(line)
    return counts


def _groups(suite):
    "The tests of the suite by class, a scenario being a class of its own"
    classes = defaultdict(list)
    for test in _tests(suite):
        classes[type(test), getattr(test, '_dt_test', None)
            and test.id()].append(test)
    return list(classes.values())


def _share(groups, index, jobs):
    """The groups of the index-th of jobs processes: the heaviest first to
    the least loaded, a scenario weighing as much as ten unit tests (it
    sets up its own database), so that the processes end together; every
    process computes the same shares"""
    def weight(group):
        return 10 if getattr(group[0], '_dt_test', None) else len(group)
    loads = [0] * jobs
    shares = [[] for _ in range(jobs)]
    order = sorted(range(len(groups)), key=lambda i: -weight(groups[i]))
    for i in order:
        least = loads.index(min(loads))
        loads[least] += weight(groups[i])
        shares[least].append(i)
    return [groups[i] for i in sorted(shares[index])]


def _shuffled(suite, seed):
    """The tests of the suite, each class kept together so that its
    fixtures are set up once, in an order drawn from seed"""
    rng = random.Random(seed)
    groups = _groups(suite)
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
