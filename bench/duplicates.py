#!/usr/bin/env python3
"""Time find_duplicates for a batch of candidates against many partners.

The database gets crm_plus activated and is filled with synthetic partners
(an e-mail and a phone each, a tax identifier for one in three) written
straight in SQL with the keys the module computes, because creating them
through the ORM would take many minutes. It is kept for later runs.

The baseline, timed in the same run, is what a client does without the
module: one search of party.contact_mechanism by exact e-mail per
candidate, the host's plain look-up. find_duplicates does more (e-mail,
phone, tax identifier and similar name) for the whole batch at once.
"""
import datetime
import os
import random
import sys
import time

from sql import Table

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (  # noqa: E402
    activate, argument_parser, create_database, database_exists,
    parse_options)

SYLLABLES = [
    'ba', 'ko', 'ri', 'ta', 'men', 'sol', 'ver', 'dan', 'lu', 'mar', 'tek',
    'no', 'vi', 'ra', 'zen', 'pol', 'kar', 'si', 'do', 'len', 'gra', 'fi',
    'tor', 'nu', 'cas', 'bel', 'mo', 'ter', 'quin', 'sa',
    ]
SECTORS = [
    "Logistics", "Foods", "Systems", "Textiles", "Motors", "Pharma",
    "Energy", "Trading", "Consulting", "Metals", "Plastics", "Media",
    ]
FORMS = ["S.L.", "GmbH", "Ltd", "s.r.o.", "Inc.", "S.A.", ""]


def parse_arguments():
    parser = argument_parser(
        __doc__.splitlines()[0],
        database_help="the database (default: bench_duplicates_<partners>)")
    parser.add_argument('--partners', type=int, default=100000)
    parser.add_argument('--candidates', type=int, default=1000)
    parser.add_argument('--seed', type=int, default=42)
    parser.add_argument(
        '--profile', action='store_true',
        help="print where find_duplicates spends its time")
    options = parse_options(parser)
    options.database = options.database or 'bench_duplicates_%d' % (
        options.partners)
    return options


def company_name(rng):
    word = ''.join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
    return "%s %s %s" % (
        word.capitalize(), rng.choice(SECTORS), rng.choice(FORMS))


def phone(rng):
    return '+34 9%d %03d %02d %02d' % (
        rng.randint(10, 89), rng.randint(0, 999), rng.randint(0, 99),
        rng.randint(0, 99))


def fill(database, count, seed):
    "Insert count partners with their keys; return their data"
    from trytond.modules.crm_plus.models.duplicate import (
        normalize_email, normalize_name, normalize_phone,
        normalize_tax_identifier)
    from trytond.transaction import Transaction
    rng = random.Random(seed)
    party = Table('party_party')
    mechanism = Table('party_contact_mechanism')
    identifier = Table('party_identifier')
    now = datetime.datetime.now()
    partners = []
    with Transaction().start(database, 0) as transaction:
        cursor = transaction.connection.cursor()
        cursor.execute(*party.select(party.id, where=party.code == 'B-1'))
        if cursor.fetchone():
            cursor.execute(*party.select(party.id, party.name,
                    where=party.code.like('B-%')))
            ids = dict(cursor)
            benched = party.select(party.id, where=party.code.like('B-%'))
            cursor.execute(*mechanism.select(
                    mechanism.party, mechanism.type, mechanism.value,
                    where=mechanism.party.in_(benched)))
            values = {}
            for party_id, type_, value in cursor:
                values.setdefault(party_id, {})[type_] = value
            cursor.execute(*identifier.select(
                    identifier.party, identifier.code,
                    where=identifier.party.in_(benched)))
            taxes = dict(cursor)
            for party_id, name in sorted(ids.items()):
                partners.append((name, values[party_id]['email'],
                        values[party_id]['phone'], taxes.get(party_id)))
            return partners
        for n in range(1, count + 1):
            name = company_name(rng)
            email = 'info%d@%s.example' % (n, name.split()[0].lower())
            tel = phone(rng)
            tax = 'B%08d' % n if n % 3 == 0 else None
            partners.append((name, email, tel, tax))
        for start in range(0, count, 1000):
            chunk = partners[start:start + 1000]
            cursor.execute(*party.insert(
                    [party.code, party.name, party.name_key,
                        party.party_kind, party.active, party.create_uid,
                        party.create_date],
                    [['B-%d' % (start + i + 1), name, normalize_name(name),
                        'organisation', True, 0, now]
                        for i, (name, _, _, _) in enumerate(chunk)]))
            cursor.execute(*party.select(party.id, party.code,
                    where=party.code.in_(
                        ['B-%d' % (start + i + 1)
                            for i in range(len(chunk))])))
            ids = {code: id_ for id_, code in cursor}
            rows, taxes = [], []
            for i, (_, email, tel, tax) in enumerate(chunk):
                party_id = ids['B-%d' % (start + i + 1)]
                compact = normalize_phone(tel)
                rows.append([party_id, 'email', email, email,
                        normalize_email(email), True, 10, 0, now])
                rows.append([party_id, 'phone', tel, compact, compact,
                        True, 20, 0, now])
                if tax:
                    taxes.append([party_id, 'es_vat', tax, tax,
                            normalize_tax_identifier(tax), True, 0, now])
            cursor.execute(*mechanism.insert(
                    [mechanism.party, mechanism.type, mechanism.value,
                        mechanism.value_compact, mechanism.match_key,
                        mechanism.active, mechanism.sequence,
                        mechanism.create_uid, mechanism.create_date],
                    rows))
            if taxes:
                cursor.execute(*identifier.insert(
                        [identifier.party, identifier.type, identifier.code,
                            identifier.code_compact, identifier.match_key,
                            identifier.active, identifier.create_uid,
                            identifier.create_date],
                        taxes))
        transaction.commit()
    return partners


def make_candidates(partners, count, seed):
    "Half variants of existing partners, half new companies"
    rng = random.Random(seed + 1)
    candidates = []
    for n in range(count):
        if n % 2:
            name = company_name(rng)
            candidates.append({
                    'name': name,
                    'emails': ['sales@new%d.example' % n],
                    'phones': [phone(rng)],
                    })
            continue
        name, email, tel, tax = rng.choice(partners)
        variant = n % 8
        if variant == 0:
            candidates.append({'emails': ['  ' + email.upper()]})
        elif variant == 2:
            candidates.append({
                    'name': name.upper().rsplit(' ', 1)[0],
                    'phones': [tel.replace(' ', '')]})
        elif variant == 4:
            candidates.append({
                    'name': name, 'emails': [email],
                    'tax_identifier': tax and 'ES' + tax})
        else:
            candidates.append({
                    'name': name.replace('a', 'e', 1), 'emails': [email]})
    return candidates


def main():
    options = parse_arguments()
    from trytond import config
    config.update_etc(options.configfile)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    if not database_exists(options.database):
        create_database(options.database)
        returncode = activate(
            options.configfile, options.database, 'admin@bench.example')
        if returncode:
            return returncode
    started = time.monotonic()
    partners = fill(options.database, options.partners, options.seed)
    print("%d partners ready in %.0f s" % (
            len(partners), time.monotonic() - started), file=sys.stderr)
    candidates = make_candidates(
        partners, options.candidates, options.seed)

    Pool(options.database).init()
    with Transaction().start(options.database, 0, readonly=True):
        pool = Pool()
        Party = pool.get('party.party')
        ContactMechanism = pool.get('party.contact_mechanism')

        started = time.monotonic()
        if options.profile:
            import cProfile
            import pstats
            profile = cProfile.Profile()
            found = profile.runcall(Party.find_duplicates, candidates)
        else:
            found = Party.find_duplicates(candidates)
        duplicates_time = time.monotonic() - started
        if options.profile:
            pstats.Stats(profile, stream=sys.stderr).sort_stats(
                'tottime').print_stats(15)

        started = time.monotonic()
        baseline = []
        for candidate in candidates:
            parties = set()
            for email in candidate.get('emails', []):
                parties.update(m.party for m in ContactMechanism.search([
                            ('type', '=', 'email'),
                            ('value', '=', email),
                            ]))
            baseline.append(parties)
        baseline_time = time.monotonic() - started

    existing = options.candidates // 2 + options.candidates % 2
    matched = sum(1 for i, f in enumerate(found) if not i % 2 and f)
    print("partners: %d, candidates: %d" % (
            len(partners), len(candidates)))
    print("find_duplicates: %.2f s (%.1f ms per candidate), "
        "%d of %d variants of existing partners matched" % (
            duplicates_time, 1000 * duplicates_time / len(candidates),
            matched, existing))
    print("baseline (host's search by exact e-mail, per candidate): "
        "%.2f s, %d matched" % (
            baseline_time, sum(1 for b in baseline if b)))
    print("ratio find_duplicates / baseline: %.2f" % (
            duplicates_time / baseline_time))
    return 0


if __name__ == '__main__':
    sys.exit(main())
