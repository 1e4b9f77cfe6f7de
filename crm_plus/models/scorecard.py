# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Scorecards: weighted criteria rating an opportunity into a win chance.

A representative evaluates an opportunity against a scorecard by picking a
level of each criterion; the completed evaluation gives the opportunity its
score (0 to 100) and win chance, and the evaluations stay as its history.
"""
import datetime

from sql.aggregate import Sum
from sql.conditionals import Coalesce

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Workflow, fields,
    sequence_ordered)
from trytond.model.exceptions import AccessError
from trytond.exceptions import UserError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If, PYSONEncoder
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

# The levels of a criterion are rated on this scale.
SCALE = 10
# States of the opportunities that are still being worked on.
OPEN_STATES = ['lead', 'opportunity', 'converted']


def compute_score(answers):
    """Return the score (0 to 100) of (weight, level score) pairs

    A criterion without level counts as rated 0, so that an incomplete
    evaluation never looks better than it is.
    """
    total = sum(weight * SCALE for weight, _ in answers)
    if not total:
        return None
    rated = sum(weight * (score or 0) for weight, score in answers)
    return round(100 * rated / total, 2)


class Scorecard(DeactivableMixin, ModelSQL, ModelView):
    "Scorecard"
    __name__ = 'crm.scorecard'
    __string__ = "Scorecard"

    name = fields.Char("Name", required=True, translate=True)
    company = fields.Many2One(
        'company.company', "Company", ondelete='CASCADE',
        help="Leave empty to share the scorecard between the companies.")
    description = fields.Text("Description", translate=True)
    criteria = fields.One2Many(
        'crm.scorecard.criterion', 'scorecard', "Criteria")
    threshold = fields.Float(
        "Threshold", digits=(5, 2), required=True,
        domain=[
            ('threshold', '>=', 0),
            ('threshold', '<=', 100),
            ],
        help="Opportunities scoring below it are flagged (0 to 100).")
    update_probability = fields.Boolean(
        "Update Probability",
        help="The win chance of a completed evaluation becomes the "
        "conversion probability of the opportunity.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_threshold(cls):
        return 50.0

    @classmethod
    def default_update_probability(cls):
        return True


class Criterion(sequence_ordered(), ModelSQL, ModelView):
    "Scorecard criterion"
    __name__ = 'crm.scorecard.criterion'
    __string__ = "Scorecard Criterion"

    scorecard = fields.Many2One(
        'crm.scorecard', "Scorecard", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True, translate=True)
    weight = fields.Float(
        "Weight", digits=(6, 2), required=True,
        domain=[('weight', '>', 0)],
        help="The share of the criterion in the score, "
        "relative to the other criteria.")
    description = fields.Text(
        "Description", translate=True,
        help="What to look at to pick the level.")
    levels = fields.One2Many(
        'crm.scorecard.criterion.level', 'criterion', "Levels")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.scorecard, Index.Range())))

    @classmethod
    def default_weight(cls):
        return 1.0


class CriterionLevel(ModelSQL, ModelView):
    "Scorecard criterion level"
    __name__ = 'crm.scorecard.criterion.level'
    __string__ = "Scorecard Criterion Level"

    criterion = fields.Many2One(
        'crm.scorecard.criterion', "Criterion", required=True,
        ondelete='CASCADE')
    name = fields.Char("Name", required=True, translate=True)
    score = fields.Float(
        "Score", digits=(4, 2), required=True,
        domain=[
            ('score', '>=', 0),
            ('score', '<=', SCALE),
            ],
        help="The rating of the level, from 0 to 10.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.criterion, Index.Range())))
        # The best level first, as a representative reads them.
        cls._order = [('score', 'DESC'), ('id', 'ASC')]


class Evaluation(Workflow, ModelSQL, ModelView):
    "Scorecard evaluation"
    __name__ = 'crm.scorecard.evaluation'
    __string__ = "Scorecard Evaluation"

    _states = {
        'readonly': Eval('state') != 'draft',
        }

    opportunity = fields.Many2One(
        'sale.opportunity', "Opportunity", required=True, ondelete='CASCADE',
        states=_states)
    scorecard = fields.Many2One(
        'crm.scorecard', "Scorecard", required=True, ondelete='RESTRICT',
        states={
            'readonly': _states['readonly'] | Bool(Eval('answers', [0])),
            })
    date = fields.DateTime("Date", required=True, states=_states)
    employee = fields.Many2One(
        'company.employee', "Employee", states=_states)
    answers = fields.One2Many(
        'crm.scorecard.evaluation.answer', 'evaluation', "Answers",
        states=_states)
    score = fields.Function(
        fields.Float("Score", digits=(5, 2)), 'get_score')
    win_chance = fields.Function(
        fields.Float("Win Chance", digits=(1, 4)), 'get_score')
    notes = fields.Text("Notes", states=_states)
    state = fields.Selection([
            ('draft', "Draft"),
            ('done', "Done"),
            ], "State", required=True, readonly=True, sort=False)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.opportunity, Index.Range()),
                (t.date, Index.Range(order='DESC'))))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {('draft', 'done')}
        cls._buttons.update({
                'complete': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_date(cls):
        return datetime.datetime.now().replace(microsecond=0)

    @classmethod
    def default_employee(cls):
        return Transaction().context.get('employee')

    @fields.depends('scorecard', 'answers')
    def on_change_scorecard(self):
        if self.scorecard and not self.answers:
            self.answers = self._default_answers(self.scorecard)

    @classmethod
    def _default_answers(cls, scorecard):
        "One empty answer per criterion of the scorecard"
        pool = Pool()
        Answer = pool.get('crm.scorecard.evaluation.answer')
        return [Answer(criterion=c) for c in scorecard.criteria]

    @fields.depends('answers')
    def on_change_with_score(self, name=None):
        return compute_score([
                (a.criterion.weight if a.criterion else 0,
                    a.level.score if a.level else None)
                for a in self.answers or []])

    @fields.depends(methods=['on_change_with_score'])
    def on_change_with_win_chance(self, name=None):
        score = self.on_change_with_score()
        return round(score / 100, 4) if score is not None else None

    @classmethod
    def get_score(cls, evaluations, names):
        "Compute the scores of all evaluations in one query per slice"
        pool = Pool()
        Answer = pool.get('crm.scorecard.evaluation.answer')
        Criterion = pool.get('crm.scorecard.criterion')
        Level = pool.get('crm.scorecard.criterion.level')
        answer = Answer.__table__()
        criterion = Criterion.__table__()
        level = Level.__table__()
        cursor = Transaction().connection.cursor()

        result = {n: {e.id: None for e in evaluations} for n in names}
        for sub_ids in grouped_slice(
                [e.id for e in evaluations], backend.MAX_QUERY_PARAMS):
            cursor.execute(*answer
                .join(criterion, condition=answer.criterion == criterion.id)
                .join(level, 'LEFT', condition=answer.level == level.id)
                .select(
                    answer.evaluation,
                    Sum(criterion.weight * Coalesce(level.score, 0)),
                    Sum(criterion.weight * SCALE),
                    where=reduce_ids(answer.evaluation, sub_ids),
                    group_by=answer.evaluation))
            for evaluation_id, rated, total in cursor:
                if not total:
                    continue
                score = round(100 * float(rated) / float(total), 2)
                if 'score' in result:
                    result['score'][evaluation_id] = score
                if 'win_chance' in result:
                    result['win_chance'][evaluation_id] = round(
                        score / 100, 4)
        return result

    def get_rec_name(self, name):
        return '%s @ %s' % (self.opportunity.rec_name, self.date)

    @classmethod
    def check_modification(cls, mode, evaluations, values=None,
            external=False):
        super().check_modification(
            mode, evaluations, values=values, external=external)
        # A completed evaluation is the history of the opportunity; it goes
        # only with the opportunity (a cascade, not external).
        if mode == 'write' or (
                mode == 'delete' and external):
            for evaluation in evaluations:
                if evaluation.state == 'done':
                    raise AccessError(gettext(
                            'crm_plus.msg_scorecard_evaluation_done',
                            evaluation=evaluation.rec_name))

    @classmethod
    def copy(cls, evaluations, default=None):
        default = default.copy() if default is not None else {}
        # A copy is a new evaluation, made now.
        default.setdefault('date', cls.default_date())
        return super().copy(evaluations, default=default)

    @classmethod
    def check_answers(cls, evaluations):
        "Refuse evaluations where a criterion of the scorecard has no level"
        for evaluation in evaluations:
            answered = {
                a.criterion.id for a in evaluation.answers if a.level}
            for criterion in evaluation.scorecard.criteria:
                if criterion.id not in answered:
                    raise UserError(gettext(
                            'crm_plus.msg_scorecard_evaluation_missing_answer',
                            evaluation=evaluation.rec_name,
                            criterion=criterion.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def complete(cls, evaluations):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        cls.check_answers(evaluations)

        # The latest evaluation of each opportunity gives its score; the
        # score it replaces is kept to see a drop.
        evaluations = sorted(evaluations, key=lambda e: (e.date, e.id))
        scores = cls.get_score(evaluations, ['score', 'win_chance'])
        latest = {}
        previous = {}
        for evaluation in evaluations:
            opportunity = evaluation.opportunity
            if opportunity.id in latest:
                previous[opportunity.id] = scores['score'][
                    latest[opportunity.id].id]
            else:
                previous[opportunity.id] = opportunity.score
            latest[opportunity.id] = evaluation
        to_write = []
        for opportunity_id, evaluation in latest.items():
            values = {
                'scorecard': evaluation.scorecard.id,
                'score': scores['score'][evaluation.id],
                'previous_score': previous[opportunity_id],
                'win_chance': scores['win_chance'][evaluation.id],
                'evaluated_at': evaluation.date,
                }
            if (evaluation.scorecard.update_probability
                    and evaluation.opportunity.state in OPEN_STATES):
                values['conversion_probability'] = values['win_chance']
                # The evaluation is not a probability entered by hand: it
                # gives way to the next stage's unless one was.
                values['probability_manual'] = bool(
                    evaluation.opportunity.probability_manual)
            to_write.extend(([Opportunity(opportunity_id)], values))
        if to_write:
            Opportunity.write(*to_write)

    @classmethod
    def create_for(cls, opportunities):
        "Create a draft evaluation of each opportunity on its scorecard"
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        default_scorecard = Configuration(1).default_scorecard
        evaluations = []
        for opportunity in opportunities:
            scorecard = opportunity.scorecard or default_scorecard
            if not scorecard:
                raise UserError(gettext(
                        'crm_plus.msg_scorecard_evaluation_no_scorecard',
                        opportunity=opportunity.rec_name))
            evaluations.append(cls(
                    opportunity=opportunity,
                    scorecard=scorecard,
                    answers=cls._default_answers(scorecard)))
        cls.save(evaluations)
        return evaluations


class EvaluationAnswer(ModelSQL, ModelView):
    "Scorecard evaluation answer"
    __name__ = 'crm.scorecard.evaluation.answer'
    __string__ = "Scorecard Evaluation Answer"

    evaluation = fields.Many2One(
        'crm.scorecard.evaluation', "Evaluation", required=True,
        ondelete='CASCADE')
    criterion = fields.Many2One(
        'crm.scorecard.criterion', "Criterion", required=True,
        ondelete='RESTRICT',
        domain=[
            If(Eval('evaluation_scorecard', None),
                ('scorecard', '=', Eval('evaluation_scorecard', -1)),
                ()),
            ])
    evaluation_scorecard = fields.Function(
        fields.Many2One('crm.scorecard', "Scorecard"),
        'on_change_with_evaluation_scorecard')
    level = fields.Many2One(
        'crm.scorecard.criterion.level', "Level", ondelete='RESTRICT',
        domain=[('criterion', '=', Eval('criterion', -1))])
    weight = fields.Function(
        fields.Float("Weight", digits=(6, 2)), 'on_change_with_weight')
    level_score = fields.Function(
        fields.Float("Score", digits=(4, 2)), 'on_change_with_level_score')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.evaluation, Index.Range())))

    @fields.depends('evaluation', '_parent_evaluation.scorecard')
    def on_change_with_evaluation_scorecard(self, name=None):
        if self.evaluation and self.evaluation.scorecard:
            return self.evaluation.scorecard

    @fields.depends('criterion')
    def on_change_with_weight(self, name=None):
        if self.criterion:
            return self.criterion.weight

    @fields.depends('level')
    def on_change_with_level_score(self, name=None):
        if self.level:
            return self.level.score

    @fields.depends('criterion', 'level')
    def on_change_criterion(self):
        if self.level and self.level.criterion != self.criterion:
            self.level = None

    @classmethod
    def check_modification(cls, mode, answers, values=None, external=False):
        super().check_modification(
            mode, answers, values=values, external=external)
        if mode == 'write' or (
                mode == 'delete' and external):
            for answer in answers:
                if answer.evaluation.state == 'done':
                    raise AccessError(gettext(
                            'crm_plus.msg_scorecard_evaluation_done',
                            evaluation=answer.evaluation.rec_name))


class Configuration(metaclass=PoolMeta):
    __name__ = 'crm.configuration'

    default_scorecard = fields.Many2One(
        'crm.scorecard', "Default Scorecard", ondelete='SET NULL',
        help="The scorecard of new opportunities.")
    warning_inactive_days = fields.Integer(
        "Inactive after (days)", required=True,
        domain=[('warning_inactive_days', '>', 0)],
        help="Flag an open opportunity without activity for this many days.")
    warning_score_drop = fields.Float(
        "Score Drop", digits=(5, 2), required=True,
        domain=[('warning_score_drop', '>=', 0)],
        help="Flag an opportunity whose score dropped by more than these "
        "points since its previous evaluation.")

    @classmethod
    def default_default_scorecard(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Scorecard = pool.get('crm.scorecard')
        # Out of the box, opportunities are evaluated on the shipped one,
        # unless the administrators deleted or archived it.
        try:
            scorecard_id = ModelData.get_id('crm_plus', 'scorecard_default')
        except KeyError:
            return None
        if Scorecard.search([('id', '=', scorecard_id)]):
            return scorecard_id

    @classmethod
    def default_warning_inactive_days(cls):
        return 14

    @classmethod
    def default_warning_score_drop(cls):
        return 10.0


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    scorecard = fields.Many2One(
        'crm.scorecard', "Scorecard", ondelete='RESTRICT',
        domain=[
            ('company', 'in', [Eval('company', -1), None]),
            ],
        states={
            'readonly': ~Eval('state').in_(OPEN_STATES),
            })
    score = fields.Float(
        "Score", digits=(5, 2), readonly=True,
        help="The score of the last evaluation, from 0 to 100.")
    previous_score = fields.Float(
        "Previous Score", digits=(5, 2), readonly=True,
        help="The score of the evaluation before the last one.")
    win_chance = fields.Float(
        "Win Chance", digits=(1, 4), readonly=True,
        help="The chance to win given by the last evaluation.")
    evaluated_at = fields.DateTime("Evaluated at", readonly=True)
    evaluations = fields.One2Many(
        'crm.scorecard.evaluation', 'opportunity', "Evaluations",
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'evaluate': {
                    'invisible': ~Eval('state').in_(OPEN_STATES),
                    'icon': 'tryton-launch',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_scorecard(cls):
        pool = Pool()
        Configuration = pool.get('crm.configuration')
        scorecard = Configuration(1).default_scorecard
        return scorecard.id if scorecard else None

    @classmethod
    def copy(cls, opportunities, default=None):
        default = default.copy() if default is not None else {}
        # The copy is a new sale to evaluate.
        for name in [
                'score', 'previous_score', 'win_chance', 'evaluated_at',
                'evaluations']:
            default.setdefault(name)
        return super().copy(opportunities, default=default)

    @classmethod
    @ModelView.button
    def evaluate(cls, opportunities):
        "Open a new evaluation with a line per criterion of the scorecard"
        pool = Pool()
        Evaluation = pool.get('crm.scorecard.evaluation')
        Action = pool.get('ir.action')
        ModelData = pool.get('ir.model.data')
        evaluations = Evaluation.create_for(opportunities)
        action = Action(Action.get_action_id(ModelData.get_id(
                    'crm_plus', 'act_scorecard_evaluation_new'))
            ).get_action_value()
        ids = [e.id for e in evaluations]
        action['res_id'] = ids
        action['pyson_domain'] = PYSONEncoder().encode([('id', 'in', ids)])
        return action
