# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Approval rules and requests: guarded transitions are refused on the
server until the requests of the rules whose condition holds are approved
for the current values of the document."""
import datetime
import json
from collections import defaultdict
from decimal import Decimal

from trytond import backend
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Workflow, fields,
    sequence_ordered)
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

# The transitions each document may guard, with the states they leave:
# a call on a record in another state is a no-op for the host's Workflow.
GUARDED = {
    'sale.sale': {'quote': ('draft',), 'confirm': ('quotation',)},
    'sale.opportunity': {'convert': ('opportunity',)},
    'crm.expense': {'confirm': ('draft',)},
    }
DOCUMENTS = [
    ('sale.sale', "Sale"),
    ('sale.opportunity', "Opportunity"),
    ('crm.expense', "Expense"),
    ]
TRANSITIONS = {
    'quote': "Quote",
    'confirm': "Confirm",
    'convert': "Convert",
    }
# The snapshot is compared with the current values at this precision.
SNAPSHOT = Decimal('0.0001')


def _snapshot(value):
    if value is None:
        return None
    return Decimal(value).quantize(SNAPSHOT)


class Rule(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    "Approval Rule"
    __name__ = 'crm.approval.rule'
    __string__ = "Approval Rule"

    name = fields.Char("Name", required=True, translate=True)
    # The shipped rules have no company: companies do not exist yet when
    # the module is activated.
    company = fields.Many2One(
        'company.company', "Company",
        help="Empty for every company.")
    document = fields.Selection(DOCUMENTS, "Document", required=True)
    transition = fields.Selection(
        'get_transitions', "Transition", required=True,
        help="The transition of the document that needs the approval.")
    condition = fields.Selection([
            ('amount_ge', "Untaxed amount greater than or equal to"),
            ('discount_gt', "Largest discount greater than"),
            ('margin_lt', "Margin rate less than"),
            ], "Condition", required=True, sort=False)
    value = fields.Numeric(
        "Value", digits=(16, 4), required=True,
        help="Rates are fractions: 0.1 for 10%.")
    approver_kind = fields.Selection([
            ('group', "Group"),
            ('team_leader', "Leader of the Submitter's Team"),
            ('user', "User"),
            ], "Approver", required=True, sort=False)
    group = fields.Many2One(
        'res.group', "Group", ondelete='RESTRICT',
        states={
            'required': Eval('approver_kind') == 'group',
            'invisible': Eval('approver_kind') != 'group',
            })
    user = fields.Many2One(
        'res.user', "User", ondelete='RESTRICT',
        states={
            'required': Eval('approver_kind') == 'user',
            'invisible': Eval('approver_kind') != 'user',
            })
    approvals_needed = fields.Integer(
        "Approvals Needed", required=True,
        domain=[('approvals_needed', '>=', 1)],
        help="How many distinct approvers must approve.")
    level = fields.Integer(
        "Level", required=True, domain=[('level', '>=', 1)],
        help="The requests of a level are asked once those of the lower "
        "levels of the same transition are approved.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.company, Index.Range()),
                (t.document, Index.Equality(cardinality='low'))))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_document(cls):
        return 'sale.sale'

    @classmethod
    def default_condition(cls):
        return 'amount_ge'

    @classmethod
    def default_approver_kind(cls):
        return 'group'

    @classmethod
    def default_approvals_needed(cls):
        return 1

    @classmethod
    def default_level(cls):
        return 1

    @fields.depends('document')
    def get_transitions(self):
        return [(t, TRANSITIONS[t])
            for t in GUARDED.get(self.document, {})]

    def holds(self, values):
        "Whether the condition holds for the values of a document"
        value = self.value or 0
        if self.condition == 'amount_ge':
            current = values.get('amount')
            return current is not None and current >= value
        elif self.condition == 'discount_gt':
            current = values.get('discount')
            return current is not None and current > value
        elif self.condition == 'margin_lt':
            current = values.get('margin_rate')
            return current is not None and current < value
        return False

    @classmethod
    def rules_for(cls, documents):
        "The active rules of each document, by document"
        rules = defaultdict(list)
        keys = {(d.__name__, d.company.id) for d in documents}
        if not keys:
            return {}
        domain = ['OR'] + [
            [('document', '=', n),
                ['OR', ('company', '=', c), ('company', '=', None)]]
            for n, c in keys]
        for rule in cls.search(domain, order=[('level', 'ASC')]):
            company = rule.company.id if rule.company else None
            rules[rule.document, company].append(rule)
        # A rule without company holds for the documents of every company.
        return {d: sorted(
                    rules[d.__name__, d.company.id]
                    + rules[d.__name__, None],
                    key=lambda r: r.level)
            for d in documents}


class Request(Workflow, ModelSQL, ModelView):
    "Approval Request"
    __name__ = 'crm.approval.request'
    __string__ = "Approval Request"

    rule = fields.Many2One(
        'crm.approval.rule', "Rule", required=True, readonly=True,
        ondelete='RESTRICT')
    document = fields.Reference(
        "Document", DOCUMENTS, required=True, readonly=True)
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    submitter = fields.Many2One(
        'res.user', "Submitter", required=True, readonly=True)
    level = fields.Integer("Level", required=True, readonly=True)
    transition = fields.Function(fields.Selection(
            [(k, v) for k, v in TRANSITIONS.items()], "Transition"),
        'get_transition')
    # A snapshot of the guarded values: the approval holds for them only.
    amount = fields.Numeric("Amount", digits=(16, 4), readonly=True)
    discount = fields.Numeric("Discount", digits=(16, 4), readonly=True)
    margin_rate = fields.Numeric("Margin Rate", digits=(16, 4), readonly=True)
    decisions = fields.One2Many(
        'crm.approval.decision', 'request', "Decisions", readonly=True)
    state = fields.Selection([
            ('pending', "Pending"),
            ('approved', "Approved"),
            ('rejected', "Rejected"),
            ('voided', "Voided"),
            ], "State", required=True, readonly=True, sort=False)
    to_decide = fields.Function(
        fields.Boolean("To Decide",
            help="Pending and waiting for a decision of the user."),
        'get_to_decide', searcher='search_to_decide')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.document, Index.Equality())),
                Index(t, (t.state, Index.Equality(cardinality='low'))),
                })
        cls._order = [('id', 'DESC')]
        cls._transitions |= {
            ('pending', 'approved'),
            ('pending', 'rejected'),
            ('pending', 'voided'),
            ('approved', 'voided'),
            }
        cls._buttons.update({
                'decide': {
                    'invisible': Eval('state') != 'pending',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'pending'

    def get_rec_name(self, name):
        return '%s: %s' % (
            self.rule.rec_name,
            self.document.rec_name if self.document else '')

    def get_transition(self, name):
        return self.rule.transition

    @classmethod
    def _values_key(cls, values):
        return tuple(_snapshot(values.get(n))
            for n in ['amount', 'discount', 'margin_rate'])

    def matches(self, values):
        "Whether the request was made for these values"
        return (self._values_key({
                    'amount': self.amount,
                    'discount': self.discount,
                    'margin_rate': self.margin_rate,
                    }) == self._values_key(values))

    def approvers(self):
        "The users who may decide on the request"
        pool = Pool()
        User = pool.get('res.user')
        rule = self.rule
        if rule.approver_kind == 'group' and rule.group:
            users = set(rule.group.users)
        elif rule.approver_kind == 'user' and rule.user:
            users = {rule.user}
        elif rule.approver_kind == 'team_leader':
            employee = self.submitter.employee
            team = employee.administrative_team if employee else None
            if team and team.leader:
                users = set(User.search([
                            ('employees', '=', team.leader.id),
                            ]))
            else:
                users = set()
        else:
            users = set()
        # Nobody approves their own request.
        return {u for u in users if u != self.submitter}

    @classmethod
    def get_to_decide(cls, requests, name):
        user_id = Transaction().user
        return {r.id: (r.state == 'pending'
                and user_id in {u.id for u in r.approvers()}
                and user_id not in {d.user.id for d in r.decisions})
            for r in requests}

    @classmethod
    def search_to_decide(cls, name, clause):
        _, operator, value = clause
        # Pending requests are few: their approvers are resolved in Python.
        pending = cls.search([('state', '=', 'pending')])
        to_decide = cls.get_to_decide(pending, name)
        ids = [i for i, v in to_decide.items() if v]
        positive = (operator == '=') == bool(value)
        return [('id', 'in' if positive else 'not in', ids)]

    @classmethod
    def documents_values(cls, documents):
        return {d: d._approval_values() for d in documents}

    @classmethod
    def missing(cls, documents, transition=None):
        """The rules whose condition holds without an approved request for
        the current values, by document"""
        pool = Pool()
        Rule = pool.get('crm.approval.rule')
        rules = Rule.rules_for(documents)
        requests = cls.requests_of(documents)
        result = {}
        for document in documents:
            values = document._approval_values()
            approved = {r.rule for r in requests[document]
                if r.state == 'approved' and r.matches(values)}
            result[document] = [rule for rule in rules[document]
                if (transition is None or rule.transition == transition)
                and rule.holds(values) and rule not in approved]
        return result

    @classmethod
    def requests_of(cls, documents):
        "The requests of each document, by document"
        result = {d: [] for d in documents}
        by_name = {str(d): d for d in documents}
        for sub in grouped_slice(list(by_name), backend.MAX_QUERY_PARAMS):
            for request in cls.search([('document', 'in', list(sub))],
                    order=[('level', 'ASC'), ('id', 'ASC')]):
                result[by_name[str(request.document)]].append(request)
        return result

    @classmethod
    def request_for(cls, documents, submitter=None):
        """Create the pending requests of the lowest level still missing of
        each guarded transition; return them"""
        pool = Pool()
        User = pool.get('res.user')
        if submitter is None:
            submitter = User(Transaction().user)
        requests = cls.requests_of(documents)
        missing = cls.missing(documents)
        stale, to_create = [], []
        for document in documents:
            values = document._approval_values()
            # Requests made for other values no longer stand.
            stale.extend(r for r in requests[document]
                if r.state in {'pending', 'approved'}
                and not r.matches(values))
            pending = {r.rule for r in requests[document]
                if r.state == 'pending' and r.matches(values)}
            lowest = {}
            for rule in missing[document]:
                lowest.setdefault(rule.transition, rule.level)
            for rule in missing[document]:
                if rule.level == lowest[rule.transition] \
                        and rule not in pending:
                    to_create.append(cls(
                            rule=rule,
                            document=document,
                            company=document.company,
                            submitter=submitter,
                            level=rule.level,
                            amount=_snapshot(values.get('amount')),
                            discount=_snapshot(values.get('discount')),
                            margin_rate=_snapshot(
                                values.get('margin_rate'))))
        with without_check_access():
            if stale:
                cls.void(stale)
            cls.save(to_create)
        cls._notify_users([(r, u, 'crm_plus.msg_approval_requested')
                for r in to_create for u in r.approvers()])
        return to_create

    @classmethod
    def check_approved(cls, documents, transition):
        "Refuse the transition of the documents that need an approval"
        for document, rules in cls.missing(documents, transition).items():
            if rules:
                raise UserError(gettext('crm_plus.msg_approval_required',
                        document=document.rec_name,
                        rules=', '.join(
                            '"%s"' % r.rec_name for r in rules)))

    @classmethod
    def void_documents(cls, documents):
        "Void the standing requests of the documents whose values changed"
        requests = cls.requests_of(documents)
        to_void = [r for rs in requests.values() for r in rs
            if r.state in {'pending', 'approved'}]
        if to_void:
            with without_check_access():
                cls.void(to_void)

    @classmethod
    @Workflow.transition('voided')
    def void(cls, requests):
        pass

    @classmethod
    @ModelView.button_action('crm_plus.wizard_approval_request_decide')
    def decide(cls, requests):
        pass

    @classmethod
    def _check_decider(cls, requests):
        pool = Pool()
        User = pool.get('res.user')
        user = User(Transaction().user)
        for request in requests:
            if request.state != 'pending':
                raise AccessError(gettext(
                        'crm_plus.msg_approval_not_pending',
                        request=request.rec_name))
            if request.submitter == user:
                raise AccessError(gettext(
                        'crm_plus.msg_approval_own_request',
                        request=request.rec_name))
            if user not in request.approvers():
                raise AccessError(gettext(
                        'crm_plus.msg_approval_not_approver',
                        request=request.rec_name))
            if user in {d.user for d in request.decisions}:
                raise AccessError(gettext(
                        'crm_plus.msg_approval_already_decided',
                        request=request.rec_name))
        return user

    @classmethod
    def approve(cls, requests, comment=None):
        pool = Pool()
        Decision = pool.get('crm.approval.decision')
        user = cls._check_decider(requests)
        with without_check_access():
            Decision.save([Decision(request=r, user=user,
                        decision='approve', comment=comment)
                    for r in requests])
            requests = cls.browse([r.id for r in requests])
            approved = [r for r in requests
                if len({d.user for d in r.decisions
                        if d.decision == 'approve'})
                >= r.rule.approvals_needed]
            cls.write(approved, {'state': 'approved'})
        cls._notify_users([(r, r.submitter, 'crm_plus.msg_approval_approved')
                for r in approved])
        # The next level is asked on behalf of the same submitter.
        by_submitter = defaultdict(set)
        for request in approved:
            by_submitter[request.submitter].add(request.document)
        for submitter, documents in by_submitter.items():
            cls.request_for(list(documents), submitter=submitter)

    @classmethod
    def reject(cls, requests, comment):
        pool = Pool()
        Decision = pool.get('crm.approval.decision')
        if not comment:
            raise UserError(gettext('crm_plus.msg_approval_reject_comment'))
        user = cls._check_decider(requests)
        with without_check_access():
            Decision.save([Decision(request=r, user=user,
                        decision='reject', comment=comment)
                    for r in requests])
            cls.write(list(requests), {'state': 'rejected'})
        cls._notify_users([(r, r.submitter, 'crm_plus.msg_approval_rejected')
                for r in requests], comment=comment)

    @classmethod
    def _notify_users(cls, notices, comment=None):
        "Notify each (request, user, message) in the client"
        pool = Pool()
        Notification = pool.get('res.notification')
        notifications = []
        for request, user, message in notices:
            notifications.append(Notification(
                    user=user,
                    icon='tryton-info',
                    label=gettext(message,
                        document=request.document.rec_name,
                        rule=request.rule.rec_name),
                    description=comment or request.rule.rec_name,
                    model=cls.__name__,
                    records=json.dumps([request.id])))
        with without_check_access():
            Notification.save(notifications)


class Decision(ModelSQL, ModelView):
    "Approval Decision"
    __name__ = 'crm.approval.decision'
    __string__ = "Approval Decision"

    request = fields.Many2One(
        'crm.approval.request', "Request", required=True,
        ondelete='CASCADE', readonly=True)
    user = fields.Many2One('res.user', "User", required=True, readonly=True)
    date = fields.DateTime("Date", required=True, readonly=True)
    decision = fields.Selection([
            ('approve', "Approve"),
            ('reject', "Reject"),
            ], "Decision", required=True, readonly=True)
    comment = fields.Text("Comment", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.request, Index.Range())))
        cls._order = [('date', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_date(cls):
        return datetime.datetime.now()


class RequestDecideStart(ModelView):
    "Decide on Approval Request"
    __name__ = 'crm.approval.request.decide.start'
    __string__ = "Decide on Approval Request"

    comment = fields.Text(
        "Comment", help="Required to reject: the submitter receives it.")


class RequestDecide(Wizard):
    "Decide on Approval Request"
    __name__ = 'crm.approval.request.decide'
    start = StateView(
        'crm.approval.request.decide.start',
        'crm_plus.approval_request_decide_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Reject", 'reject', 'tryton-cancel'),
            Button("Approve", 'approve', 'tryton-ok', default=True),
            ])
    approve = StateTransition()
    reject = StateTransition()

    def transition_approve(self):
        self.model.approve(self.records, self.start.comment)
        return 'end'

    def transition_reject(self):
        self.model.reject(self.records, self.start.comment)
        return 'end'


class ApprovalMixin:
    "A document whose transitions may need an approval"
    __slots__ = ()
    # Writing these fields changes the guarded values.
    _approval_fields = set()

    approval_requests = fields.Function(fields.Many2Many(
            'crm.approval.request', None, None, "Approval Requests"),
        'get_approval_requests')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'request_approval': {
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    'invisible': ~Eval('state').in_(sorted(
                            {s for states in GUARDED[cls.__name__].values()
                                for s in states})),
                    },
                })

    def _approval_values(self):
        "The guarded values: amount, discount and margin_rate"
        raise NotImplementedError

    @classmethod
    def get_approval_requests(cls, records, name):
        Request = Pool().get('crm.approval.request')
        return {d.id: [r.id for r in rs]
            for d, rs in Request.requests_of(records).items()}

    @classmethod
    @ModelView.button
    def request_approval(cls, records):
        pool = Pool()
        Request = pool.get('crm.approval.request')
        User = pool.get('res.user')
        submitter = User(Transaction().user)
        # Requests are only made here, from the rules: users cannot create
        # them directly.
        with without_check_access():
            Request.request_for(cls.browse(records), submitter=submitter)

    @classmethod
    def _check_approval(cls, records, transition):
        Request = Pool().get('crm.approval.request')
        sources = GUARDED[cls.__name__][transition]
        records = [r for r in records if r.state in sources]
        if records:
            # Whoever calls the transition is held by the rules, even a
            # user who may not read them.
            with without_check_access():
                Request.check_approved(cls.browse(records), transition)

    @classmethod
    def write(cls, *args):
        changed = []
        actions = iter(args)
        for records, values in zip(actions, actions):
            if cls._approval_fields & values.keys():
                changed.extend(records)
        super().write(*args)
        if changed:
            Pool().get('crm.approval.request').void_documents(changed)


def _max_discount(lines):
    discounts = [d for d in (getattr(l, 'discount', None) for l in lines)
        if d is not None]
    return max(discounts) if discounts else None


class Sale(ApprovalMixin, metaclass=PoolMeta):
    __name__ = 'sale.sale'
    _approval_fields = {'lines', 'currency'}

    def _approval_values(self):
        lines = [l for l in self.lines if l.type == 'line']
        discount = _max_discount(lines)
        if discount is None:
            discount = self._policy_discount(lines)
        amount = self.untaxed_amount
        cost = sum(
            (Decimal(str(l.quantity or 0)) * (l.product.cost_price or 0)
                for l in lines if l.product),
            Decimal(0))
        margin_rate = (amount - cost) / amount if amount else None
        return {
            'amount': amount,
            'discount': discount,
            'margin_rate': margin_rate,
            }

    @staticmethod
    def _policy_discount(lines):
        """The largest discount of the lines from the price the price policy
        gives them: sale lines have no discount of their own, and a price
        lowered on the quotation counts even if its opportunity was not
        updated"""
        discounts = []
        for line in lines:
            if not line.product or line.unit_price is None:
                continue
            price = line.compute_unit_price()
            if price:
                discounts.append(max(1 - line.unit_price / price, 0))
        return max(discounts) if discounts else None

    @classmethod
    def quote(cls, sales):
        cls._check_approval(sales, 'quote')
        super().quote(sales)

    @classmethod
    def confirm(cls, sales):
        cls._check_approval(sales, 'confirm')
        super().confirm(sales)


class Opportunity(ApprovalMixin, metaclass=PoolMeta):
    __name__ = 'sale.opportunity'
    _approval_fields = {'lines', 'amount', 'currency'}

    def _approval_values(self):
        return {
            'amount': self.lines_amount if self.lines else self.amount,
            'discount': _max_discount(self.lines),
            'margin_rate': self.margin_rate if self.lines else None,
            }

    @classmethod
    def convert(cls, opportunities):
        cls._check_approval(opportunities, 'convert')
        return super().convert(opportunities)


class Expense(ApprovalMixin, metaclass=PoolMeta):
    __name__ = 'crm.expense'
    _approval_fields = {'amount', 'currency'}

    def _approval_values(self):
        return {
            'amount': self.amount,
            'discount': None,
            'margin_rate': None,
            }

    @classmethod
    def confirm(cls, expenses):
        cls._check_approval(expenses, 'confirm')
        super().confirm(expenses)
