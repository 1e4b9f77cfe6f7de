# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Territory and sales team of the host's leads and opportunities."
from collections import defaultdict

from trytond.model import Index, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.transaction import without_check_access


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    territory = fields.Many2One(
        'crm.territory', "Territory", ondelete='RESTRICT',
        states={
            'readonly': Eval('state').in_(['won', 'lost', 'cancelled']),
            },
        help="Defaults to the territory of the party.")
    team = fields.Many2One(
        'crm.team', "Sales Team", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        states={
            'readonly': Eval('state').in_(['won', 'lost', 'cancelled']),
            },
        help="Defaults to the sales team of the party, "
        "else to the administrative team of the employee.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # An estimate is not negative, and an open deal is not expected to
        # end before it starts: the client shows the domains, the server
        # enforces them. The host closes a deal on the day it is won or
        # lost, even one planned to start later.
        cls.amount.domain = [
            cls.amount.domain or [],
            ['OR', ('amount', '=', None), ('amount', '>=', 0)],
            ]
        cls.end_date.domain = [
            cls.end_date.domain or [],
            If(Eval('state').in_(['lead', 'opportunity', 'converted']),
                ['OR',
                    ('end_date', '=', None),
                    ('end_date', '>=', Eval('start_date', None)),
                    ],
                []),
            ]
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.territory, Index.Range())),
                Index(t, (t.team, Index.Range())),
                })

    @fields.depends(methods=['_set_organisation_defaults'])
    def on_change_party(self):
        super().on_change_party()
        self._set_organisation_defaults()

    @fields.depends(methods=['_set_organisation_defaults'])
    def on_change_employee(self):
        self._set_organisation_defaults()

    @fields.depends('party', 'employee', 'territory', 'team', 'company')
    def _set_organisation_defaults(self):
        "Fill territory and team that are still empty from party and employee"
        if self.party:
            if not self.territory:
                self.territory = self.party.territory
            if not self.team and self.party.team:
                if (not self.company
                        or self.party.team.company == self.company):
                    self.team = self.party.team
        if not self.team and self.employee:
            self.team = self.employee.administrative_team

    @classmethod
    def create(cls, vlist):
        vlist = cls._numbered(vlist)
        opportunities = super().create(vlist)
        # Opportunities created over RPC or by other modules get the same
        # defaults as in the form; the user may not see these fields, so the
        # defaults are written without checking field access.
        to_write = defaultdict(list)
        for opportunity in opportunities:
            if opportunity.territory and opportunity.team:
                continue
            opportunity._set_organisation_defaults()
            if opportunity.territory or opportunity.team:
                key = (opportunity.territory, opportunity.team)
                to_write[key].append(opportunity)
        if to_write:
            args = []
            for (territory, team), records in to_write.items():
                args.extend((records, {
                            'territory': territory.id if territory else None,
                            'team': team.id if team else None,
                            }))
            with without_check_access():
                cls.write(*args)
        return opportunities

    @classmethod
    def _numbered(cls, vlist):
        """The values with the numbers the host gives them one by one (see
        preprocess_values), taken from each sequence once for the whole
        list, in the same order: one update of the sequence rather than
        one per opportunity"""
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        ModelAccess = pool.get('ir.model.access')
        # Who may not create gets the host's error, not the sequence's.
        ModelAccess.check(cls.__name__, 'create')
        vlist = [v.copy() for v in vlist]
        with without_check_access():
            configuration = Configuration(1)
            sequences, unnumbered = {}, defaultdict(list)
            for values in vlist:
                if values.get('number'):
                    continue
                company_id = values.get('company', cls.default_company())
                if company_id is None:
                    continue
                if company_id not in sequences:
                    sequences[company_id] = configuration.get_multivalue(
                        'sale_opportunity_sequence', company=company_id)
                sequence = sequences[company_id]
                if sequence:
                    unnumbered[sequence].append(values)
            for sequence, sequence_values in unnumbered.items():
                numbers = list(sequence.get_many(len(sequence_values)))
                for values, number in zip(sequence_values, numbers):
                    values['number'] = number
        return vlist
