"""Refresh the translation catalogues of crm_plus in crm_plus/locale.

Tryton keys each translatable string by its origin (field, help text,
selection, view, record of the module's XML data...) and loads a catalogue
only if the keys are exactly those its own export writes. So the catalogues
are rebuilt with that export, from a throwaway database with crm_plus
activated: for each language the strings of the views are registered
(ir.translation.set), copied to the language (ir.translation.update) and
exported (ir.translation.export). The export is then merged with the
catalogue on disk: translations of unchanged strings are kept, new or
changed strings get an empty translation and strings that left the module
are dropped.
"""
import argparse
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / 'crm_plus' / 'locale'
MODULE = 'crm_plus'
LANGUAGES = ['ja', 'es', 'cs', 'zh_CN']
DATABASE = 'translations'


def write_config(directory):
    "Configuration of a SQLite database in directory, in English"
    path = directory / 'trytond.conf'
    # The source strings are English only if English is the database's
    # language; the export refuses to run otherwise.
    path.write_text(
        '[database]\n'
        'uri = sqlite://\n'
        f'path = {directory}\n'
        'language = en\n')
    return path


def activate_module(directory, config_path):
    "Create the database and activate crm_plus with its dependencies"
    (directory / f'{DATABASE}.sqlite').touch()
    password = directory / 'password'
    password.write_text(secrets.token_hex(16) + '\n')
    # A configuration of the calling shell (a PostgreSQL URI, another
    # language) must not leak into the throwaway database.
    env = {k: v for k, v in os.environ.items() if not k.startswith('TRYTOND')}
    env['TRYTONPASSFILE'] = str(password)
    admin = Path(sys.executable).with_name('trytond-admin')
    subprocess.run([
            str(admin), '-c', str(config_path), '-d', DATABASE,
            '-u', MODULE, '--activate-dependencies',
            '--email', 'admin@example.com'],
        env=env, check=True)


def export_catalogues(config_path, languages):
    "Return the catalogue Tryton exports for each language, as bytes"
    from trytond import config
    config.update_etc(str(config_path))

    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool(DATABASE)
    pool.init()
    catalogues = {}
    with Transaction().start(DATABASE, 0, readonly=False) as transaction:
        Lang = pool.get('ir.lang')
        Module = pool.get('ir.module')
        TranslationSet = pool.get('ir.translation.set', type='wizard')
        TranslationUpdate = pool.get(
            'ir.translation.update', type='wizard')
        TranslationExport = pool.get(
            'ir.translation.export', type='wizard')

        module, = Module.search([('name', '=', MODULE)])
        langs = Lang.search([('code', 'in', languages)])
        missing = set(languages) - {lang.code for lang in langs}
        if missing:
            sys.exit(f"Unknown languages: {', '.join(sorted(missing))}")
        # Only translatable languages are offered to the wizards; Japanese
        # comes from crm_plus, which leaves it to the administrator to
        # enable it.
        Lang.write(langs, {'translatable': True})

        session_id, _, _ = TranslationSet.create()
        TranslationSet(session_id).transition_set_()
        TranslationSet.delete(session_id)

        for lang in langs:
            session_id, _, _ = TranslationUpdate.create()
            update = TranslationUpdate(session_id)
            update.start.language = lang
            update.do_update({})
            TranslationUpdate.delete(session_id)

            session_id, _, _ = TranslationExport.create()
            export = TranslationExport(session_id)
            export.start.language = lang
            export.start.module = module
            export.transition_export()
            catalogues[lang.code] = export.result.file or b''
            TranslationExport.delete(session_id)
        # The database only serves the export.
        transaction.rollback()
    return catalogues


def merge(exported, path):
    """Write the exported catalogue to path with the translations of path

    Return the number of entries and of untranslated ones."""
    import polib

    from trytond.ir.translation import TrytonPOFile

    def key(entry):
        return entry.msgctxt, entry.msgid, entry.msgid_plural

    previous = {}
    if path.exists():
        previous = {
            key(e): e for e in polib.pofile(str(path))
            if not e.obsolete}
    pofile = polib.pofile(
        exported.decode('utf-8'), wrapwidth=78, klass=TrytonPOFile)
    untranslated = 0
    for entry in pofile:
        old = previous.get(key(entry))
        # The update wizard may propose the translation of an equal string
        # elsewhere; only translations made for this very string count.
        entry.msgstr = old.msgstr if old else ''
        if entry.msgid_plural:
            entry.msgstr_plural = dict(old.msgstr_plural) if old else {0: ''}
        if 'fuzzy' in entry.flags:
            entry.flags.remove('fuzzy')
        if old and old.fuzzy:
            entry.flags.append('fuzzy')
        translated = (
            any(entry.msgstr_plural.values()) if entry.msgid_plural
            else bool(entry.msgstr))
        # Tryton ignores fuzzy translations.
        if not translated or entry.fuzzy:
            untranslated += 1
    pofile.sort()
    path.write_text(str(pofile), encoding='utf-8')
    return len(pofile), untranslated


def main():
    parser = argparse.ArgumentParser(
        prog='scripts/update-translations',
        description=__doc__.splitlines()[0])
    parser.add_argument(
        'languages', nargs='*', default=LANGUAGES, metavar='LANGUAGE',
        help="the languages to refresh (default: %s)" % ' '.join(LANGUAGES))
    parser.add_argument(
        '--check', action='store_true',
        help="exit with an error when an entry is untranslated")
    args = parser.parse_args()

    LOCALE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix='crm_plus-translations-') as tmp:
        directory = Path(tmp)
        config_path = write_config(directory)
        print("Activating crm_plus in a throwaway database", file=sys.stderr)
        activate_module(directory, config_path)
        catalogues = export_catalogues(config_path, args.languages)

    total_untranslated = 0
    for code in args.languages:
        path = LOCALE / f'{code}.po'
        entries, untranslated = merge(catalogues[code], path)
        total_untranslated += untranslated
        print(f"{code}: {untranslated} untranslated of {entries} entries "
            f"({path.relative_to(ROOT)})")
    if args.check and total_untranslated:
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
