# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The searches crm_plus ships in the bookmarks of its lists.

The web client offers a bookmark only when it can write its domain in the
search bar: with values, not expressions. So the shipped searches keep
their domain with expressions of the user and the date (the user's
employee, the start and end of the quarter ...) and each user gets them
with the values of the moment; a search about the user's employee is left
out for a user without one."""
import datetime

from trytond.pool import Pool, PoolMeta
from trytond.pyson import PYSONDecoder
from trytond.transaction import Transaction

# The values the shipped searches may use, by the name of their Eval.
EMPLOYEE = 'employee_name'


def search_values(today, employee_name):
    "The values of the expressions of the shipped searches"
    quarter = (today.month - 1) // 3
    quarter_start = datetime.date(today.year, 3 * quarter + 1, 1)
    if quarter == 3:
        next_quarter = datetime.date(today.year + 1, 1, 1)
    else:
        next_quarter = datetime.date(today.year, 3 * quarter + 4, 1)
    month_start = today.replace(day=1)
    next_month = (month_start + datetime.timedelta(days=32)).replace(day=1)
    return {
        EMPLOYEE: employee_name,
        'today': today,
        'days_ago_30': today - datetime.timedelta(days=30),
        'month_start': month_start,
        'month_end': next_month - datetime.timedelta(days=1),
        'quarter_start': quarter_start,
        'quarter_end': next_quarter - datetime.timedelta(days=1),
        'year_start': datetime.date(today.year, 1, 1),
        'year_end': datetime.date(today.year, 12, 31),
        }


class ViewSearch(metaclass=PoolMeta):
    __name__ = 'ir.ui.view_search'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # The names of the shipped searches are shown in the user's
        # language.
        cls.name.translate = True

    @classmethod
    def _shipped_ids(cls):
        "The ids of the searches crm_plus ships"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        return {d.db_id for d in ModelData.search([
                    ('module', '=', 'crm_plus'),
                    ('model', '=', cls.__name__),
                    ])}

    @classmethod
    def get(cls):
        pool = Pool()
        Date = pool.get('ir.date')
        Employee = pool.get('company.employee')
        result = super().get()
        shipped = cls._shipped_ids()
        if not shipped:
            return result
        employee_id = Transaction().context.get('employee')
        employee_name = Employee(employee_id).rec_name if employee_id else None
        values = search_values(Date.today(), employee_name)
        decoder = PYSONDecoder(values)
        texts = {s.id: s.domain for s in cls.browse(list(shipped))}
        for model, searches in result.items():
            kept = []
            for search in searches:
                id_ = search[0]
                if id_ in texts:
                    if EMPLOYEE in texts[id_] and not employee_name:
                        continue
                    search = (id_, search[1], decoder.decode(texts[id_]),
                        *search[3:])
                kept.append(search)
            result[model] = kept
        return result
