"""Run the host's own scenarios with crm_plus activated beside them.

crm_plus extends the host's parties, sales and opportunities: their own
scenarios (the doctests shipped in the tests folder of the host modules
sale_opportunity, sale and party) must still pass once crm_plus is
activated in the same database, so that the host's API keeps its meaning
for every other module and integrator.

Each scenario calls trytond.tests.tools.activate_modules(modules, *setup);
here that function activates crm_plus instead, which depends on all of
these host modules, so the database holds the host module and crm_plus.
Its activated database is the one the crm_plus tests cache under the name
"crm_plus" (DB_CACHE), and each set-up (create_company, create_chart) is
run on a copy of it and cached in turn: the run activates crm_plus at most
once.

A scenario that cannot run here is listed in EXCLUDED with the reason, and
the run prints it: none is skipped silently.
"""
import argparse
import os
import sys
import time
import unittest

HOST_MODULES = ['sale_opportunity', 'sale', 'party']

# (module, scenario file): why it does not run with crm_plus.
EXCLUDED = {}


def _closure(module):
    "The module and every module it depends on"
    from trytond.modules import get_module_info
    seen, todo = set(), [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(get_module_info(name).get('depends', []))
    return seen


def install_activate_modules():
    """Replace trytond.tests.tools.activate_modules by one that activates
    crm_plus with the modules asked"""
    from trytond.tests import test_tryton, tools

    original = tools.activate_modules
    crm_plus = _closure('crm_plus')

    def activate_modules(modules, *setup):
        if isinstance(modules, str):
            modules = [modules]
        if not set(modules) <= crm_plus:
            # A module that crm_plus does not bring: activate both.
            return original(sorted(set(modules) | {'crm_plus'}), *setup)
        cache_name = 'crm_plus'
        if setup_name := '|'.join(tools._func_name(f) for f in setup):
            cache_name += f'--{setup_name}'
        if test_tryton.restore_db_cache(cache_name):
            config = tools._get_config()
        else:
            # The set-up runs on the database of crm_plus alone, which
            # the crm_plus tests have most likely cached already.
            config = original(['crm_plus'])
            for func in setup:
                func(config=config)
            test_tryton.backup_db_cache(cache_name)
        _check_activated(config, set(modules) | {'crm_plus'})
        return config

    tools.activate_modules = activate_modules


def _check_activated(config, modules):
    from proteus import Model
    Module = Model.get('ir.module', config=config)
    activated = {m.name for m in Module.find([
                ('name', 'in', sorted(modules)),
                ('state', '=', 'activated'),
                ])}
    assert activated == modules, f"Not activated: {modules - activated}"


def load_scenarios(module, patterns):
    "The doctests of the module's scenarios, as its test_scenario loads them"
    import importlib

    from trytond.tests.test_tryton import load_doc_tests
    package = f'trytond.modules.{module}.tests'
    tests_module = importlib.import_module(f'{package}.test_scenario')
    directory = os.path.dirname(tests_module.__file__)
    loader = unittest.TestLoader()
    names = sorted(n for n in os.listdir(directory) if n.endswith('.rst'))
    excluded = {n for n in names if (module, n) in EXCLUDED}
    selected = [n for n in names if n not in excluded
        and (not patterns or any(p in f'{module}/{n}' for p in patterns))]
    # load_doc_tests filters the files by the loader's name patterns.
    loader.testNamePatterns = selected or ['-']
    suite = load_doc_tests(
        tests_module.__name__, tests_module.__file__, loader,
        unittest.TestSuite(), None)
    return suite, selected, sorted(excluded)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'patterns', nargs='*',
        help="run only the scenarios whose module/file name contains one "
        "of these (e.g. sale_opportunity, scenario_party_erase)")
    parser.add_argument('-v', '--verbose', action='store_true')
    args = parser.parse_args()

    install_activate_modules()
    suite = unittest.TestSuite()
    for module in HOST_MODULES:
        module_suite, selected, excluded = load_scenarios(
            module, args.patterns)
        suite.addTests(module_suite)
        for name in selected:
            print(f"host scenario {module}/{name}", file=sys.stderr)
        for name in excluded:
            print(f"EXCLUDED {module}/{name}: {EXCLUDED[module, name]}",
                file=sys.stderr)
    start = time.monotonic()
    result = unittest.TextTestRunner(
        verbosity=2 if args.verbose else 1).run(suite)
    failed = len(result.failures) + len(result.errors)
    print(f"Took {time.monotonic() - start:.0f}s")
    print(f"host scenarios: {result.testsRun - failed} passed, "
        f"{failed} failed, {len(EXCLUDED)} excluded")
    return 0 if failed == 0 and result.testsRun else 1


if __name__ == '__main__':
    sys.exit(main())
