# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Credit control: confirming a sale that takes the customer over its credit
limit, or while it has overdue receivables beyond the tolerance, needs an
approval; raising a credit limit needs one too.  Both go through the
approval rules and requests (approval.py), extended here."""
import datetime
from contextlib import contextmanager
from collections import defaultdict
from decimal import Decimal

from sql import Null
from sql.aggregate import Sum

from trytond import backend
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction, without_check_access

from .approval import ApprovalDocument, dump_snapshot

CONDITIONS = [
    ('over_credit_limit', "Over credit limit"),
    ('overdue_beyond_tolerance', "Overdue receivables beyond tolerance"),
    ]


class Configuration(metaclass=PoolMeta):
    __name__ = 'crm.configuration'

    overdue_tolerance_amount = fields.Numeric(
        "Overdue Tolerance", digits=(16, 2),
        domain=['OR',
            ('overdue_tolerance_amount', '=', None),
            ('overdue_tolerance_amount', '>=', 0),
            ],
        help="In the currency of the company: a customer whose overdue "
        "receivables total more cannot have a sale confirmed without "
        "approval.")
    overdue_tolerance_days = fields.Integer(
        "Overdue Grace Days",
        domain=['OR',
            ('overdue_tolerance_days', '=', None),
            ('overdue_tolerance_days', '>=', 0),
            ],
        help="Receivables are overdue this many days after their maturity.")

    @classmethod
    def default_overdue_tolerance_amount(cls):
        return Decimal(0)

    @classmethod
    def default_overdue_tolerance_days(cls):
        return 0


class Rule(metaclass=PoolMeta):
    __name__ = 'crm.approval.rule'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        for condition in CONDITIONS:
            if condition not in cls.condition.selection:
                cls.condition.selection.append(condition)
        cls.value.help = ("Rates are fractions: 0.1 for 10%. "
            "Not used by the credit conditions.")

    def holds(self, values):
        # The credit conditions are computed for the document: the value
        # of the rule is not used.
        if self.condition in {c for c, _ in CONDITIONS}:
            return bool(values.get(self.condition))
        return super().holds(values)


class Request(metaclass=PoolMeta):
    __name__ = 'crm.approval.request'

    @classmethod
    def missing(cls, documents, transition=None):
        # The credit figures of the sales are computed for the whole batch
        with credit_prefetched(documents):
            return super().missing(documents, transition=transition)

    @classmethod
    def request_for(cls, documents, submitter=None):
        with credit_prefetched(documents):
            return super().request_for(documents, submitter=submitter)


# The credit values of the sales of the batch being checked, by
# transaction and sale id
_credit_values = {}


@contextmanager
def credit_prefetched(documents):
    "Compute the credit values of the sales among documents together"
    key = id(Transaction())
    sales = [d for d in documents
        if d.__name__ == 'sale.sale' and (key, d.id) not in _credit_values]
    if not sales:
        yield
        return
    for sale_id, values in Pool().get('sale.sale').credit_values(
            sales).items():
        _credit_values[key, sale_id] = values
    try:
        yield
    finally:
        for sale in sales:
            _credit_values.pop((key, sale.id), None)


def overdue_amounts(party_ids, company, date=None):
    """The receivables of the parties in the company, not reconciled and
    past their maturity by more than the grace days, in one query per
    slice"""
    pool = Pool()
    Configuration = pool.get('crm.configuration')
    Date = pool.get('ir.date')
    MoveLine = pool.get('account.move.line')
    Move = pool.get('account.move')
    Account = pool.get('account.account')
    AccountType = pool.get('account.account.type')
    cursor = Transaction().connection.cursor()
    if date is None:
        with Transaction().set_context(company=company.id):
            date = Date.today()
    days = Configuration(1).overdue_tolerance_days or 0
    date -= datetime.timedelta(days=days)
    line = MoveLine.__table__()
    move = Move.__table__()
    account = Account.__table__()
    type_ = AccountType.__table__()
    result = dict.fromkeys(party_ids, Decimal(0))
    for sub_ids in grouped_slice(party_ids, backend.MAX_QUERY_PARAMS // 2):
        cursor.execute(*line
            .join(move, condition=line.move == move.id)
            .join(account, condition=line.account == account.id)
            .join(type_, condition=account.type == type_.id)
            .select(line.party, Sum(line.debit - line.credit),
                where=reduce_ids(line.party, list(sub_ids))
                & (move.company == company.id)
                & (type_.receivable == True)  # noqa: E712
                & (line.reconciliation == Null)
                & (line.maturity_date < date),
                group_by=[line.party]))
        for party_id, amount in cursor:
            result[party_id] = company.currency.round(
                Decimal(str(amount or 0)))
    return result


def credit_limits(party_ids, company):
    """The credit limits of the parties in the company, read together:
    the host's multi-value field reads them one party at a time"""
    pool = Pool()
    Party = pool.get('party.party')
    PartyLimit = pool.get('party.party.credit_limit_amount')
    result = {}
    for sub_ids in grouped_slice(party_ids, backend.MAX_QUERY_PARAMS // 2):
        for value in PartyLimit.search([
                    ('party', 'in', list(sub_ids)),
                    ('company', '=', company.id),
                    ]):
            result[value.party.id] = value.credit_limit_amount
    # Without a value of its own, the party has the default limit.
    missing = [i for i in party_ids if i not in result]
    if missing:
        default = Party.default_credit_limit_amount(company=company.id)
        result.update(dict.fromkeys(missing, default))
    return result


def credit_figures(parties, company):
    """The credit limit, the credit used and the overdue amount of each
    party in the company, by party id"""
    pool = Pool()
    Party = pool.get('party.party')
    ids = [p.id for p in parties]
    with Transaction().set_context(company=company.id), \
            without_check_access():
        used = Party.get_account_overview(
            Party.browse(ids), ['credit_used'])['credit_used']
        limits = credit_limits(ids, company)
    overdue = overdue_amounts(ids, company)
    return {i: (limits[i], used[i], overdue[i]) for i in ids}


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    @classmethod
    def credit_values(cls, sales):
        """Return for each sale id whether the batch takes its customer over
        the credit limit, and whether the customer has overdue receivables
        beyond the tolerance, with one query per kind for all customers"""
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        Currency = pool.get('currency.currency')
        tolerance = Configuration(1).overdue_tolerance_amount or 0
        result = {}
        by_company = defaultdict(list)
        for sale in sales:
            by_company[sale.company].append(sale)
        for company, c_sales in by_company.items():
            figures = credit_figures({s.party for s in c_sales}, company)
            # The sales of the batch not confirmed yet add up.
            batch = defaultdict(Decimal)
            for sale in c_sales:
                if sale.state in {'draft', 'quotation'}:
                    batch[sale.party.id] += Currency.compute(
                        sale.currency, sale.untaxed_amount or 0,
                        company.currency, round=False)
            for sale in c_sales:
                limit, used, overdue = figures[sale.party.id]
                result[sale.id] = {
                    'over_credit_limit': (limit is not None
                        and used + batch[sale.party.id] > limit),
                    'overdue_beyond_tolerance': overdue > tolerance,
                    }
        return result

    def _approval_values(self):
        values = super()._approval_values()
        credit = _credit_values.get((id(Transaction()), self.id))
        if credit is None:
            credit = self.credit_values([self])[self.id]
        values.update(credit)
        return values


class Party(ApprovalDocument, metaclass=PoolMeta):
    __name__ = 'party.party'
    # Raising a credit limit has no workflow of its own: it is guarded
    # where the limit is written, and applied by Apply Credit Limit.
    _approval_transitions = {
        'credit_limit': (
            'crm_plus.msg_approval_transition_credit_limit', ()),
        }
    _approval_fields = {'requested_credit_limit'}

    requested_credit_limit = fields.Numeric(
        "Requested Credit Limit", digits=(16, 2),
        domain=['OR',
            ('requested_credit_limit', '=', None),
            ('requested_credit_limit', '>=', 0),
            ],
        help="The credit limit to ask approval for; "
        "applied once approved.")
    overdue_amount = fields.Function(Monetary(
            "Overdue", digits='currency', currency='currency',
            help="The receivables past their maturity by more than the "
            "grace days of the configuration."),
        'get_credit_control')
    credit_blocked = fields.Function(fields.Boolean(
            "Orders Blocked",
            help="Confirming an order needs an approval: the credit used "
            "reaches the limit or the overdue receivables exceed the "
            "tolerance."),
        'get_credit_control')
    approval_requests = fields.Function(fields.Many2Many(
            'crm.approval.request', None, None, "Approval Requests"),
        'get_approval_requests')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # PYSON compares with None by ==.
        nothing_requested = (
            Eval('requested_credit_limit', None) == None)  # noqa: E711
        cls._buttons.update({
                'request_approval': {
                    'invisible': nothing_requested,
                    'icon': 'tryton-forward',
                    'depends': ['requested_credit_limit'],
                    },
                'apply_credit_limit': {
                    'invisible': nothing_requested,
                    'icon': 'tryton-ok',
                    'depends': ['requested_credit_limit'],
                    },
                })

    @property
    def company(self):
        # Rules and requests belong to a company: the party's credit limit
        # is guarded by the rules of the company of the context.
        Company = Pool().get('company.company')
        company_id = Transaction().context.get('company')
        return Company(company_id) if company_id is not None else None

    @classmethod
    def get_credit_control(cls, parties, names):
        pool = Pool()
        Company = pool.get('company.company')
        Configuration = pool.get('crm.configuration')
        result = {n: {} for n in names}
        company_id = Transaction().context.get('company')
        if company_id is None or company_id < 0:
            return {n: dict.fromkeys([p.id for p in parties])
                for n in names}
        company = Company(company_id)
        tolerance = Configuration(1).overdue_tolerance_amount or 0
        figures = credit_figures(parties, company)
        for party_id, (limit, used, overdue) in figures.items():
            if 'overdue_amount' in names:
                result['overdue_amount'][party_id] = overdue
            if 'credit_blocked' in names:
                result['credit_blocked'][party_id] = (
                    (limit is not None and used >= limit)
                    or overdue > tolerance)
        return result

    def _approval_values(self):
        return {
            'amount': self.requested_credit_limit,
            'discount': None,
            'margin_rate': None,
            }

    def _approval_snapshot(self):
        return {'amount': self.requested_credit_limit}

    @classmethod
    def _approval_kind(cls):
        return gettext('crm_plus.msg_approval_kind_credit_limit')

    def _approval_party(self):
        return self

    def _approval_currency(self):
        return self.company.currency if self.company else None

    def _credit_limit_text(self, limit):
        "The limit with the currency of the company, as the user reads it"
        Lang = Pool().get('ir.lang')
        currency = self._approval_currency()
        lang = Lang.get()
        if currency:
            return lang.currency(limit, currency, grouping=True)
        return lang.format('%.2f', limit, grouping=True)

    @classmethod
    def get_approval_requests(cls, parties, name):
        if Transaction().context.get('company') is None:
            return {p.id: [] for p in parties}
        return super().get_approval_requests(parties, name)

    @classmethod
    def _void_stale_approvals(cls, parties):
        # Requests belong to the company of the context.
        if Transaction().context.get('company') is not None:
            super()._void_stale_approvals(parties)

    @classmethod
    @ModelView.button
    def request_approval(cls, parties):
        cls._request_approvals([p for p in parties
                if p.requested_credit_limit is not None])

    @classmethod
    @ModelView.button
    def apply_credit_limit(cls, parties):
        """Apply the requested credit limit approved: the approval stands
        for the access to the limit, kept to the accounting group"""
        pool = Pool()
        Request = pool.get('crm.approval.request')
        parties = [p for p in cls.browse(parties)
            if p.requested_credit_limit is not None]
        with without_check_access():
            requests = Request.requests_of(parties)
        for party in parties:
            if not any(r.state == 'approved' and r.matches(party)
                    for r in requests[party]):
                raise UserError(gettext(
                        'crm_plus.msg_credit_limit_not_approved',
                        party=party.rec_name,
                        limit=party._credit_limit_text(
                            party.requested_credit_limit)))
        to_write = []
        for party in parties:
            to_write.extend([[party], {
                        'credit_limit_amount': party.requested_credit_limit,
                        'requested_credit_limit': None,
                        }])
        if to_write:
            # The rules are checked again by write, for the new limit.
            with without_check_access():
                cls.write(*to_write)

    @classmethod
    def _check_credit_limit_approval(cls, parties, limit):
        """Refuse to raise the credit limit of the parties to limit without
        an approved request for it"""
        pool = Pool()
        Rule = pool.get('crm.approval.rule')
        Request = pool.get('crm.approval.request')
        raised = [p for p in parties
            if p.credit_limit_amount is None
            or limit > p.credit_limit_amount]
        if not raised or Transaction().context.get('company') is None:
            return
        values = {'amount': limit}
        snapshot = dump_snapshot({'amount': limit})
        with without_check_access():
            raised = cls.browse(raised)
            rules = Rule.rules_for(raised)
            requests = Request.requests_of(raised)
        for party in raised:
            approved = {r.rule for r in requests[party]
                if r.state == 'approved' and r.snapshot == snapshot}
            missing = [r for r in rules[party]
                if r.transition == 'credit_limit' and r.holds(values)
                and r not in approved]
            if missing:
                raise UserError(gettext(
                        'crm_plus.msg_credit_limit_approval_required',
                        party=party.rec_name,
                        limit=party._credit_limit_text(limit),
                        rules=', '.join(
                            '"%s"' % r.rec_name for r in missing)))


class PartyCreditLimitAmount(metaclass=PoolMeta):
    """The host's credit limit of a party in a company: accounting sets it
    (security/credit.xml), and a raise needs the approval of the rules
    however it is written"""
    __name__ = 'party.party.credit_limit_amount'

    @classmethod
    def create(cls, vlist):
        changes = [(v.get('party'), v.get('company'),
                v.get('credit_limit_amount')) for v in vlist]
        cls._check_credit_limit_company(changes)
        cls._check_credit_limit_approval(changes)
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        Party = Pool().get('party.party')
        actions = iter(args)
        changes, left = [], []
        for records, values in zip(actions, actions):
            if not values.keys() & {'party', 'company', 'credit_limit_amount'}:
                continue
            for record in records:
                party = record.party.id if record.party else None
                company = record.company.id if record.company else None
                changes.append((
                        values.get('party', party),
                        values.get('company', company),
                        values.get('credit_limit_amount',
                            record.credit_limit_amount)))
                if (party, company) != changes[-1][:2] and company:
                    # The party left falls back to the default limit.
                    left.append((party, company,
                            Party.default_credit_limit_amount(
                                company=company)))
        cls._check_credit_limit_company(changes)
        cls._check_credit_limit_approval(changes + left)
        super().write(*args)

    @classmethod
    def delete(cls, records):
        Party = Pool().get('party.party')
        deleted = Transaction().delete_records.get('party.party', set())
        # Without its own limit, the party has the default one.
        cls._check_credit_limit_approval([
                (r.party.id, r.company.id,
                    Party.default_credit_limit_amount(company=r.company.id))
                for r in records
                if r.party and r.company and r.party.id not in deleted])
        super().delete(records)

    @classmethod
    def _check_credit_limit_company(cls, changes):
        """A credit limit is given in the currency of a company, for it: the
        host only leaves the company empty where there is no limit"""
        Party = Pool().get('party.party')
        for party_id, company_id, limit in changes:
            if company_id is None and limit is not None:
                party = Party(party_id).rec_name if party_id else ''
                raise UserError(gettext(
                        'crm_plus.msg_credit_limit_company_required',
                        party=party))

    @classmethod
    def _check_credit_limit_approval(cls, changes):
        """Refuse the raises of (party id, company id, limit) changes without
        an approval: the party's credit limit, and its credit limit amounts
        that a client writes with it, all come here.  No limit (None) is
        above any limit."""
        Party = Pool().get('party.party')
        by_limit = defaultdict(list)
        removed = defaultdict(list)
        for party_id, company_id, limit in changes:
            if None in (party_id, company_id):
                continue
            if limit is None:
                removed[company_id].append(party_id)
            else:
                by_limit[company_id, limit].append(party_id)
        for (company_id, limit), party_ids in by_limit.items():
            # Compared with the party's current limit in that company.
            with Transaction().set_context(company=company_id):
                Party._check_credit_limit_approval(
                    Party.browse(party_ids), limit)
        for company_id, party_ids in removed.items():
            cls._check_credit_limit_removal(party_ids, company_id)

    @classmethod
    def _check_credit_limit_removal(cls, party_ids, company_id):
        """Refuse to remove the credit limit of parties that rules guard: no
        approval can be requested for no limit"""
        pool = Pool()
        Party = pool.get('party.party')
        Rule = pool.get('crm.approval.rule')
        unlimited = {'amount': Decimal('Infinity'), 'discount': None,
            'margin_rate': None}
        with Transaction().set_context(company=company_id), \
                without_check_access():
            parties = [p for p in Party.browse(party_ids)
                if p.credit_limit_amount is not None]
            rules = Rule.rules_for(parties) if parties else {}
            for party in parties:
                guarding = [r for r in rules[party]
                    if r.transition == 'credit_limit'
                    and r.holds(unlimited)]
                if guarding:
                    raise UserError(gettext(
                            'crm_plus.msg_credit_limit_removal_approval',
                            party=party.rec_name,
                            rules=', '.join(
                                '"%s"' % r.rec_name for r in guarding)))
