# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Approval rules and requests: guarded transitions are refused on the
server until the requests of the rules whose condition holds are approved
for what the document is now.

A document takes part by declaring on its own class the transitions an
approval may guard (`_approval_transitions`), the values the conditions
read (`_approval_values`), what the approver sees and approves
(`_approval_snapshot`) and who may not decide on it (`_approval_owners`);
the rules, the requests and their selections find the documents in the
pool.
"""
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
from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import (
    Transaction, check_access, inactive_records, without_check_access)
from trytond.wizard import Button, StateTransition, StateView, Wizard

# The snapshot is compared with the current values at this precision.
SNAPSHOT = Decimal('0.0001')
# The states in which the approvals of a document still matter: later, the
# requests are its history.
OPEN_STATES = {'draft', 'quotation', 'lead', 'opportunity', 'converted'}


def _snapshot(value):
    if value is None:
        return None
    return Decimal(value).quantize(SNAPSHOT)


def _canonical(value):
    "The JSON-able form of a value of a snapshot"
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (Decimal, float)):
        return str(_snapshot(value))
    if hasattr(value, 'id'):
        return value.id
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def dump_snapshot(values):
    return json.dumps(_canonical(values), sort_keys=True)


def serialize(Model, records):
    """Make the calls on the records in concurrent transactions happen one
    after the other: the first to update their rows holds the others until
    it commits; on PostgreSQL the others then fail to serialize and the
    host's dispatcher starts them again, seeing what the first did"""
    table = Model.__table__()
    cursor = Transaction().connection.cursor()
    ids = [r.id for r in records]
    for sub_ids in grouped_slice(ids):
        cursor.execute(*table.update(
                [table.write_date], [table.write_date],
                where=reduce_ids(table.id, sub_ids)))


def approval_documents():
    "The models that declare transitions an approval may guard"
    return [(name, Model) for name, Model in Pool().iterobject()
        if getattr(Model, '_approval_transitions', None)]


def document_selection():
    return sorted(
        ((name, Model._approval_kind())
            for name, Model in approval_documents()),
        key=lambda s: s[1])


class ApprovalDocument:
    """A document whose transitions may need an approval

    _approval_transitions maps each transition an approval may guard to
    the id of the message that names it and the states it leaves; a call
    on a record in another state is a no-op for the host's Workflow.
    _approval_fields are the fields whose change may change the snapshot.
    """
    __slots__ = ()
    _approval_transitions = {}
    _approval_fields = set()

    @classmethod
    def _approval_kind(cls):
        "What an approval of the document is about, as the user reads it"
        return cls.__names__()['model']

    def _approval_values(self):
        "The values the conditions of the rules read"
        raise NotImplementedError

    def _approval_snapshot(self):
        """What the approver sees and approves: an approval stands while it
        is unchanged"""
        raise NotImplementedError

    def _approval_party(self):
        "The party the document is for, shown on its requests"
        return getattr(self, 'party', None)

    def _approval_currency(self):
        return getattr(self, 'currency', None)

    def _approval_owners(self):
        """The users who may not decide on the requests of the document:
        its creator and the users working as its salesperson"""
        pool = Pool()
        User = pool.get('res.user')
        owners = set()
        if getattr(self, 'create_uid', None):
            owners.add(self.create_uid)
        employee = getattr(self, 'employee', None)
        if employee:
            owners.update(User.search([('employees', '=', employee.id)]))
        return owners

    @classmethod
    def get_approval_requests(cls, records, name):
        Request = Pool().get('crm.approval.request')
        with without_check_access():
            return {d.id: [r.id for r in rs]
                for d, rs in Request.requests_of(records).items()}

    @classmethod
    def _request_approvals(cls, records):
        """Ask the approvals the records need, on behalf of the user, or say
        why there is nothing to ask"""
        pool = Pool()
        Request = pool.get('crm.approval.request')
        User = pool.get('res.user')
        submitter = User(Transaction().user)
        # Two clicks at once wait for each other: the second finds the
        # requests of the first.
        serialize(cls, records)
        records = cls.browse(records)
        # Requests are only made here, from the rules: users cannot create
        # them directly.
        with without_check_access():
            if not Request.request_for(records, submitter=submitter):
                Request.explain_nothing_requested(records)

    @classmethod
    def _void_stale_approvals(cls, records):
        Request = Pool().get('crm.approval.request')
        records = [r for r in cls.browse(records)
            if getattr(r, 'state', 'draft') in OPEN_STATES]
        if records:
            with without_check_access():
                Request.void_stale(records)

    @classmethod
    def write(cls, *args):
        changed = []
        actions = iter(args)
        for records, values in zip(actions, actions):
            if cls._approval_fields & values.keys():
                changed.extend(records)
        super().write(*args)
        if changed:
            cls._void_stale_approvals(changed)


class ApprovalMixin(ApprovalDocument):
    "A workflow document whose transitions may need an approval"
    __slots__ = ()

    approval_requests = fields.Function(fields.Many2Many(
            'crm.approval.request', None, None, "Approval Requests"),
        'get_approval_requests')
    approval_needed = fields.Function(fields.Boolean(
            "Approval Needed",
            help="A transition ahead needs an approval not requested yet."),
        'get_approval_needed')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'request_approval': {
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    'invisible': ~Eval('state').in_(sorted(
                            {s for _, states in
                                cls._approval_transitions.values()
                                for s in states})),
                    },
                })

    @classmethod
    def view_attributes(cls):
        # Shown where the eye goes only when it asks something; the button
        # itself stays callable, to say why it asks nothing.
        return super().view_attributes() + [
            ('/form//group[@id="request_approval"]', 'states', {
                    'invisible': ~Eval('approval_needed', False),
                    }, ['approval_needed']),
            ]

    @classmethod
    def get_approval_needed(cls, records, name):
        """Whether Request Approval would ask something: a rule of the
        lowest level still missing holds for a transition ahead, without an
        approved request nor a pending one for what the record is now. The
        forms show the button only then; called anyway, it says why it
        asks nothing."""
        Request = Pool().get('crm.approval.request')
        sources = {s for _, states in cls._approval_transitions.values()
            for s in states}
        result = dict.fromkeys((r.id for r in records), False)
        records = [r for r in records if r.id >= 0 and r.state in sources]
        if not records:
            return result
        with without_check_access():
            records = cls.browse(records)
            missing = Request.missing(records)
            requests = Request.requests_of(records)
        for record in records:
            snapshot = dump_snapshot(record._approval_snapshot())
            pending = {r.rule for r in requests[record]
                if r.state == 'pending' and r.snapshot == snapshot}
            ahead = {t for t, (_, states) in cls._approval_transitions.items()
                if record.state in states}
            # The higher levels are asked once the lower ones are approved.
            lowest = {}
            for rule in missing[record]:
                lowest.setdefault(rule.transition, rule.level)
            result[record.id] = any(
                rule.transition in ahead
                and rule.level == lowest[rule.transition]
                and rule not in pending
                for rule in missing[record])
        return result

    @classmethod
    @ModelView.button
    def request_approval(cls, records):
        cls._request_approvals(records)

    @classmethod
    def _check_approval(cls, records, transition):
        Request = Pool().get('crm.approval.request')
        sources = cls._approval_transitions[transition][1]
        records = [r for r in records if r.state in sources]
        if records:
            # Whoever calls the transition is held by the rules, even a
            # user who may not read them.
            with without_check_access():
                Request.check_approved(cls.browse(records), transition)


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
    document = fields.Selection(
        'get_documents', "Document", required=True)
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
            },
        help="Its members and the members of its sub-groups approve.")
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

    @classmethod
    def get_documents(cls):
        return document_selection()

    @fields.depends('document')
    def get_transitions(self):
        pool = Pool()
        if not self.document:
            return []
        Document = pool.get(self.document)
        return [(name, gettext(message))
            for name, (message, _) in Document._approval_transitions.items()]

    @classmethod
    def validate_fields(cls, rules, field_names):
        super().validate_fields(rules, field_names)
        if field_names & {'document', 'transition'}:
            pool = Pool()
            for rule in rules:
                Document = pool.get(rule.document)
                if rule.transition not in Document._approval_transitions:
                    raise ValidationError(gettext(
                            'crm_plus.msg_approval_rule_transition',
                            rule=rule.rec_name))

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

    def candidates(self, document, submitter):
        """The users who may decide on a request of the rule for the
        document, and why they are not those the rule names"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        Group = pool.get('res.group')
        excluded = {submitter} | document._approval_owners()
        team = self._submitter_team(submitter)
        if self.approver_kind == 'group' and self.group:
            named = set(User.search([
                        ('groups', 'child_of', [self.group.id], 'parent'),
                        ]))
        elif self.approver_kind == 'user' and self.user:
            named = {self.user}
        elif self.approver_kind == 'team_leader':
            named = _leader_users(team)
            team = team.parent if team else None
        else:
            named = set()
        users = named - excluded
        if users:
            return users, None
        # Nobody named may decide: the next leader up the team hierarchy
        # does, else the CRM managers.
        while team:
            users = _leader_users(team) - excluded
            if users:
                return users, gettext(
                    'crm_plus.msg_approval_escalated_leader',
                    team=team.rec_name)
            team = team.parent
        managers = Group(ModelData.get_id('crm_plus', 'group_crm_manager'))
        users = set(User.search([
                    ('groups', 'child_of', [managers.id], 'parent'),
                    ])) - excluded
        if users:
            return users, gettext('crm_plus.msg_approval_escalated_managers')
        return set(), gettext('crm_plus.msg_approval_escalated_nobody')

    @staticmethod
    def _submitter_team(submitter):
        employee = submitter.employee
        return employee.administrative_team if employee else None


def _leader_users(team):
    "The users working as the leader of the team"
    User = Pool().get('res.user')
    if not team or not team.leader:
        return set()
    return set(User.search([('employees', '=', team.leader.id)]))


class Request(Workflow, ModelSQL, ModelView):
    "Approval Request"
    __name__ = 'crm.approval.request'
    __string__ = "Approval Request"

    rule = fields.Many2One(
        'crm.approval.rule', "Rule", required=True, readonly=True,
        ondelete='RESTRICT')
    document = fields.Reference(
        "Document", selection='get_documents', required=True, readonly=True)
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    submitter = fields.Many2One(
        'res.user', "Submitter", required=True, readonly=True)
    level = fields.Integer("Level", required=True, readonly=True)
    transition = fields.Function(fields.Selection(
            'get_all_transitions', "Transition"),
        'get_transition')
    # What the approver sees: the approval holds for it only.
    party = fields.Many2One(
        'party.party', "Party", readonly=True,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    currency = fields.Many2One('currency.currency', "Currency", readonly=True)
    amount = Monetary(
        "Amount", currency='currency', digits='currency', readonly=True)
    # Rates, shown as percentages; documents without them leave them empty
    discount = fields.Numeric(
        "Discount", digits=(16, 4), readonly=True,
        states={
            'invisible': Eval('discount', None) == None,  # noqa: E711
            })
    margin_rate = fields.Numeric(
        "Margin Rate", digits=(16, 4), readonly=True,
        states={
            'invisible': Eval('margin_rate', None) == None,  # noqa: E711
            })
    snapshot = fields.Text("Snapshot", readonly=True)
    candidates = fields.Many2Many(
        'crm.approval.request-res.user', 'request', 'user', "Approvers",
        readonly=True,
        help="The users who may decide, set when the request was made.")
    escalation = fields.Text(
        "Escalation", readonly=True,
        states={
            'invisible': ~Eval('escalation'),
            },
        help="Why the request went to other approvers than the rule's.")
    decisions = fields.One2Many(
        'crm.approval.decision', 'request', "Decisions", readonly=True)
    state = fields.Selection([
            ('pending', "Pending"),
            ('approved', "Approved"),
            ('rejected', "Rejected"),
            ('voided', "Voided"),
            ], "State", required=True, readonly=True, sort=False)
    state_string = state.translated('state')
    to_decide = fields.Function(
        fields.Boolean("To Decide",
            help="Pending and waiting for a decision of the user."),
        'get_to_decide', searcher='search_to_decide')
    document_readable = fields.Function(
        fields.Boolean("Document Readable"),
        'get_document_readable', searcher='search_document_readable')

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
                    'invisible': ~Eval('to_decide', False),
                    'icon': 'tryton-ok',
                    'depends': ['to_decide'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def get_documents(cls):
        return document_selection()

    @classmethod
    def get_all_transitions(cls):
        transitions = {}
        for _, Document in approval_documents():
            for name, (message, _) in Document._approval_transitions.items():
                transitions.setdefault(name, gettext(message))
        return sorted(transitions.items(), key=lambda t: t[1])

    def get_rec_name(self, name):
        return '%s: %s' % (
            self.rule.rec_name,
            self.document.rec_name if self.document else '')

    def get_transition(self, name):
        return self.rule.transition

    def matches(self, document):
        "Whether the request was made for what the document is now"
        return self.snapshot == dump_snapshot(document._approval_snapshot())

    def approvers(self):
        "The users who may decide on the request now"
        if not self.document:
            return set()
        excluded = {self.submitter} | self.document._approval_owners()
        return set(self.candidates) - excluded

    @classmethod
    def get_to_decide(cls, requests, name):
        "Whether the user may decide, for a page of requests at once"
        user_id = Transaction().user
        result = dict.fromkeys((r.id for r in requests), False)
        for sub in grouped_slice(requests):
            with without_check_access():
                found = cls.search([
                        ('id', 'in', [r.id for r in sub]),
                        ('to_decide', '=', True),
                        ])
            # The owners of the few documents waiting for the user
            for request in found:
                result[request.id] = (request.document is not None
                    and user_id not in {
                        u.id for u in request.document._approval_owners()})
        return result

    @classmethod
    def search_to_decide(cls, name, clause):
        pool = Pool()
        Decision = pool.get('crm.approval.decision')
        decision = Decision.__table__()
        _, operator, value = clause
        user_id = Transaction().user
        # The exclusions of the document's owners are checked again when
        # deciding.
        domain = [
            ('state', '=', 'pending'),
            ('candidates', '=', user_id),
            ('submitter', '!=', user_id),
            ('id', 'not in', decision.select(
                    decision.request, where=decision.user == user_id)),
            ]
        positive = (operator == '=') == bool(value)
        return domain if positive else ['NOT', domain]

    @classmethod
    def get_document_readable(cls, requests, name):
        "Whether the user may read the document of the request"
        readable = cls.search([
                ('id', 'in', [r.id for r in requests]),
                ('document_readable', '=', True),
                ])
        return {r.id: r in readable for r in requests}

    @classmethod
    def search_document_readable(cls, name, clause):
        """The requests of the documents the user may read, by the
        documents' own access and record rules

        The host evaluates the record rules of the requests as root, with
        the user in the context: the documents are searched as that user."""
        pool = Pool()
        transaction = Transaction()
        user = transaction.user or transaction.context.get('user') or 0
        _, operator, value = clause
        domain = ['OR']
        for document_name, _ in approval_documents():
            if not user:
                domain.append(('document', 'like', document_name + ',%'))
                continue
            Document = pool.get(document_name)
            with transaction.set_user(user), check_access(), \
                    inactive_records():
                try:
                    query = Document.search([], order=[], query=True)
                except AccessError:
                    continue
            domain.append(('document.id', 'in', query, document_name))
        if len(domain) == 1:
            # No kind of document is readable.
            domain = [('id', '=', None)]
        positive = (operator == '=') == bool(value)
        if positive:
            return domain
        return [('id', 'not in', cls.search(domain, order=[], query=True))]

    @classmethod
    def missing(cls, documents, transition=None):
        """The rules whose condition holds without an approved request for
        what the document is now, by document"""
        pool = Pool()
        Rule = pool.get('crm.approval.rule')
        rules = Rule.rules_for(documents)
        requests = cls.requests_of(documents)
        result = {}
        for document in documents:
            values = document._approval_values()
            approved = {r.rule for r in requests[document]
                if r.state == 'approved' and r.matches(document)}
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
            snapshot = dump_snapshot(document._approval_snapshot())
            # Requests made for what the document was no longer stand.
            stale.extend(r for r in requests[document]
                if r.state in {'pending', 'approved'}
                and r.snapshot != snapshot)
            pending = {r.rule for r in requests[document]
                if r.state == 'pending' and r.snapshot == snapshot}
            lowest = {}
            for rule in missing[document]:
                lowest.setdefault(rule.transition, rule.level)
            for rule in missing[document]:
                if rule.level == lowest[rule.transition] \
                        and rule not in pending:
                    users, escalation = rule.candidates(document, submitter)
                    party = document._approval_party()
                    currency = document._approval_currency()
                    amount = values.get('amount')
                    if amount is not None and currency:
                        amount = currency.round(amount)
                    to_create.append(cls(
                            rule=rule,
                            document=document,
                            company=document.company,
                            submitter=submitter,
                            level=rule.level,
                            party=party,
                            currency=currency,
                            amount=amount,
                            discount=_snapshot(values.get('discount')),
                            margin_rate=_snapshot(
                                values.get('margin_rate')),
                            snapshot=snapshot,
                            candidates=list(users),
                            escalation=escalation))
        with without_check_access():
            if stale:
                cls.void(stale)
            cls.save(to_create)
        cls._notify_users([(r, u, 'crm_plus.msg_approval_requested')
                for r in to_create for u in r.candidates])
        return to_create

    @classmethod
    def explain_nothing_requested(cls, documents):
        """Tell why Request Approval made no request: the pending or
        approved requests already cover the documents, or no rule holds"""
        requests = cls.requests_of(documents)
        for document in documents:
            standing = [r for r in requests[document]
                if r.state in {'pending', 'approved'}
                and r.matches(document)]
            if standing:
                raise UserError(gettext(
                        'crm_plus.msg_approval_already_requested',
                        document=document.rec_name,
                        requests=', '.join(
                            '"%s" (%s)' % (r.rule.rec_name, r.state_string)
                            for r in standing)))
            raise UserError(gettext(
                    'crm_plus.msg_approval_not_needed',
                    document=document.rec_name))

    @classmethod
    def check_approved(cls, documents, transition):
        "Refuse the transition of the documents that need an approval"
        for document, rules in cls.missing(documents, transition).items():
            if rules:
                raise UserError(gettext('crm_plus.msg_approval_required',
                        model=document._approval_kind(),
                        document=document.rec_name,
                        summary=cls._summary(
                            document._approval_party(),
                            document._approval_values().get('amount'),
                            document._approval_currency(),
                            document=document),
                        rules=', '.join(
                            '"%s"' % r.rec_name for r in rules)))

    @staticmethod
    def _summary(party, amount, currency, document=None):
        """The party, unless it is the document itself, and the amount, as
        the user reads them"""
        Lang = Pool().get('ir.lang')
        lang = Lang.get()
        parts = []
        if party and party != document:
            parts.append(party.rec_name)
        if amount is not None:
            parts.append(lang.currency(amount, currency, grouping=True)
                if currency else lang.format('%.2f', amount, grouping=True))
        return ', '.join(parts)

    @classmethod
    def void_stale(cls, documents):
        """Void the standing requests made for what the documents no longer
        are"""
        requests = cls.requests_of(documents)
        to_void = [r for d, rs in requests.items() for r in rs
            if r.state in {'pending', 'approved'} and not r.matches(d)]
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
            if (request.document
                    and user in request.document._approval_owners()):
                raise AccessError(gettext(
                        'crm_plus.msg_approval_own_document',
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
    def _lock_for_decision(cls, requests):
        """Two approvers deciding at once wait for each other, and the
        second decides on what the first left"""
        serialize(cls, requests)
        return cls.browse([r.id for r in requests])

    @classmethod
    def approve(cls, requests, comment=None):
        pool = Pool()
        Decision = pool.get('crm.approval.decision')
        requests = cls._lock_for_decision(requests)
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
                for r in approved], comment=comment)
        # The next level is asked on behalf of the same submitter.
        by_submitter = defaultdict(set)
        for request in approved:
            by_submitter[request.submitter].add(request.document)
        for submitter, documents in by_submitter.items():
            cls.request_for(list(documents), submitter=submitter)
        cls._after_approval(approved)

    @classmethod
    def _after_approval(cls, requests):
        "Go on with what the approved requests were waiting for"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        # An opportunity whose sales are done is won once approved.
        ids = {r.document.id for r in requests
            if r.rule.transition == 'won'
            and isinstance(r.document, Opportunity)}
        if ids:
            with without_check_access():
                opportunities = [o for o in Opportunity.browse(list(ids))
                    if o.state == 'converted']
                if opportunities:
                    Opportunity.process(opportunities)

    @classmethod
    def reject(cls, requests, comment):
        pool = Pool()
        Decision = pool.get('crm.approval.decision')
        if not comment:
            raise UserError(gettext('crm_plus.msg_approval_reject_comment'))
        requests = cls._lock_for_decision(requests)
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
            with Transaction().set_context(
                    language=user.language.code if user.language else None):
                document = request.document
                summary = cls._summary(
                    request.party, request.amount, request.currency,
                    document=document)
                label = gettext(message,
                    model=document._approval_kind(),
                    document=document.rec_name,
                    rule=request.rule.rec_name,
                    summary=summary)
            notifications.append(Notification(
                    user=user,
                    icon='tryton-info',
                    label=label,
                    description=comment or request.escalation
                    or request.rule.rec_name,
                    model=cls.__name__,
                    records=json.dumps([request.id])))
        with without_check_access():
            Notification.save(notifications)


class RequestCandidate(ModelSQL):
    "Approval Request Approver"
    __name__ = 'crm.approval.request-res.user'
    __string__ = "Approval Request Approver"

    request = fields.Many2One(
        'crm.approval.request', "Request", required=True,
        ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.request, Index.Range())),
                Index(t, (t.user, Index.Range())),
                })


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


class RuleAccess(metaclass=PoolMeta):
    "The record rules of the requests depend on the user"
    __name__ = 'ir.rule'

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name == 'crm.approval.request':
            context['user_id'] = Transaction().user
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if 'crm.approval.request' in model_names:
            key = (*key, Transaction().user)
        return key


def _max_discount(lines):
    discounts = [d for d in (getattr(l, 'discount', None) for l in lines)
        if d is not None]
    return max(discounts) if discounts else None


def _line_snapshot(line):
    return _canonical([
        getattr(line, 'type', 'line'),
        line.product.id if line.product else None,
        line.description if getattr(line, 'type', 'line') != 'line'
        or not line.product else None,
        line.quantity, line.unit.id if line.unit else None,
        line.unit_price, getattr(line, 'discount', None)])


class Sale(ApprovalMixin, metaclass=PoolMeta):
    __name__ = 'sale.sale'
    _approval_transitions = {
        'quote': ('crm_plus.msg_approval_transition_quote', ('draft',)),
        'confirm': (
            'crm_plus.msg_approval_transition_confirm', ('quotation',)),
        }
    _approval_fields = {
        'party', 'invoice_address', 'shipment_address', 'currency',
        'lines', 'employee'}

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

    def _approval_snapshot(self):
        values = self._approval_values()
        return {
            'party': self.party,
            'invoice_address': self.invoice_address,
            'shipment_address': self.shipment_address,
            'currency': self.currency,
            'employee': getattr(self, 'employee', None),
            'lines': sorted((_line_snapshot(l) for l in self.lines),
                key=json.dumps),
            'amount': values['amount'],
            'discount': values['discount'],
            'margin_rate': values['margin_rate'],
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
    _approval_transitions = {
        'convert': (
            'crm_plus.msg_approval_transition_convert', ('opportunity',)),
        # The host wins the opportunity itself when its sales are done.
        'won': ('crm_plus.msg_approval_transition_won', ('converted',)),
        }
    _approval_fields = {'party', 'currency', 'lines', 'amount', 'employee'}

    @classmethod
    def view_attributes(cls):
        # While an approval is still to be asked, Request Approval is the
        # step: a quotation would be refused. The button itself stays
        # callable, to say why.
        return super().view_attributes() + [
            ('/form//group[@id="new_quotation"]', 'states', {
                    'invisible': (
                        (Eval('state') == 'opportunity')
                        & Eval('approval_needed', False)),
                    }, ['state', 'approval_needed']),
            ]

    def _approval_amount(self):
        # With lines, the deal is what they add up to: the amount the
        # product writes from them changes nothing.
        return self.lines_amount if self.lines else self.amount

    def _approval_values(self):
        return {
            'amount': self._approval_amount(),
            'discount': _max_discount(self.lines),
            'margin_rate': self.margin_rate if self.lines else None,
            }

    def _approval_snapshot(self):
        values = self._approval_values()
        return {
            'party': self.party,
            'currency': self.currency,
            'employee': self.employee,
            'lines': sorted((_line_snapshot(l) for l in self.lines),
                key=json.dumps),
            'amount': values['amount'],
            'discount': values['discount'],
            'margin_rate': values['margin_rate'],
            }

    @classmethod
    def convert(cls, opportunities):
        cls._check_approval(opportunities, 'convert')
        return super().convert(opportunities)

    def is_won(self):
        # The host wins the opportunity when its sales are done: without
        # the approval it stays converted, and the sale goes on; the
        # approval processes it again.
        Request = Pool().get('crm.approval.request')
        won = super().is_won()
        if won and self.state in self._approval_transitions['won'][1]:
            with without_check_access():
                missing = Request.missing(
                    [self.__class__(self.id)], 'won')
            won = not any(missing.values())
        return won

    @classmethod
    def won(cls, opportunities):
        cls._check_approval(opportunities, 'won')
        super().won(opportunities)


class Expense(ApprovalMixin, metaclass=PoolMeta):
    __name__ = 'crm.expense'
    _approval_transitions = {
        'confirm': ('crm_plus.msg_approval_transition_confirm', ('draft',)),
        }
    _approval_fields = {
        'amount', 'currency', 'type', 'opportunity', 'employee', 'date'}

    def _approval_party(self):
        return self.opportunity.party if self.opportunity else None

    def _approval_values(self):
        return {
            'amount': self.amount,
            'discount': None,
            'margin_rate': None,
            }

    def _approval_snapshot(self):
        return {
            'amount': self.amount,
            'currency': self.currency,
            'type': self.type,
            'opportunity': self.opportunity,
            'employee': self.employee,
            'date': self.date,
            }

    @classmethod
    def confirm(cls, expenses):
        cls._check_approval(expenses, 'confirm')
        super().confirm(expenses)


class _ApprovalLine:
    """A line whose direct changes may void the approvals of its parent,
    whichever way it is written"""
    __slots__ = ()
    _approval_parent = None

    def _approval_parent_id(self):
        parent = getattr(self, self._approval_parent)
        return parent.id if parent else None

    @classmethod
    def _void_parents(cls, parent_ids):
        Parent = Pool().get(cls._fields[cls._approval_parent].model_name)
        parent_ids = [i for i in parent_ids if i is not None]
        if parent_ids:
            Parent._void_stale_approvals(Parent.browse(parent_ids))

    @classmethod
    def create(cls, vlist):
        lines = super().create(vlist)
        cls._void_parents({l._approval_parent_id() for l in lines})
        return lines

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        changed = []
        for lines, values in zip(actions, actions):
            changed.extend(lines)
        # Both the former and the new parent of a moved line change.
        parent_ids = {l._approval_parent_id() for l in changed}
        super().write(*args)
        if changed:
            parent_ids |= {l._approval_parent_id()
                for l in cls.browse(changed)}
            cls._void_parents(parent_ids)

    @classmethod
    def delete(cls, lines):
        parent_ids = {l._approval_parent_id() for l in lines}
        super().delete(lines)
        cls._void_parents(parent_ids)


class SaleLine(_ApprovalLine, metaclass=PoolMeta):
    __name__ = 'sale.line'
    _approval_parent = 'sale'


class OpportunityLine(_ApprovalLine, metaclass=PoolMeta):
    __name__ = 'sale.opportunity.line'
    _approval_parent = 'opportunity'
