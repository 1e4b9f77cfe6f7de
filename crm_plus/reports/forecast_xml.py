# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Forecasts as an XML document of the schema forecast.xsd, checked
against that schema before it is handed out"""
import os

from . import xml_tools
from .xml_tools import serialize  # noqa: F401 (the module's interface)

NAMESPACE = 'urn:crm-plus:forecasts:1'
SCHEMA_PATH = os.path.join(os.path.dirname(__file__), 'forecast.xsd')
# The figures in the order of the schema; the optional ones may be empty.
FIGURES = [
    'quota', 'pipeline', 'weighted-pipeline', 'best-case',
    'commit-submitted', 'commit-adjusted', 'won']
OPTIONAL = {'quota', 'commit-submitted', 'commit-adjusted'}


def _element(parent, name, value=None):
    return xml_tools.element(NAMESPACE, parent, name, value)


def _optional(parent, name, value):
    return xml_tools.optional(NAMESPACE, parent, name, value)


def build(forecasts, company_name, now=None):
    """The document of the forecasts, crm.forecast records read in the
    language of the export"""
    root = xml_tools.root(NAMESPACE, 'forecasts', company_name, now)
    for forecast in forecasts:
        element = _element(root, 'forecast')
        element.set('id', str(forecast.id))
        period = _element(element, 'period')
        _element(period, 'name', forecast.period.name)
        _element(period, 'type', forecast.period.type)
        _element(period, 'start-date', forecast.period.start_date)
        _element(period, 'end-date', forecast.period.end_date)
        _element(period, 'state', forecast.period.state)
        if forecast.employee:
            _element(element, 'salesperson', forecast.employee.rec_name)
        else:
            _element(element, 'team', forecast.team.rec_name)
        _element(element, 'currency', forecast.currency.code)
        # The amounts entered are stored as typed: all in the currency's
        # digits.
        for name in FIGURES:
            value = getattr(forecast, name.replace('-', '_'))
            if value is not None:
                value = forecast.currency.round(value)
            (_optional if name in OPTIONAL else _element)(
                element, name, value)
        committed = _element(element, 'committed')
        for line in forecast.lines:
            opportunity = line.opportunity
            line_element = _element(committed, 'opportunity')
            _element(line_element, 'number', opportunity.number)
            if opportunity.party:
                _element(line_element, 'party', opportunity.party.rec_name)
            _element(line_element, 'state', opportunity.state)
            _optional(line_element, 'end-date', opportunity.end_date)
            _optional(line_element, 'probability',
                opportunity.conversion_probability)
            _element(line_element, 'amount', line.amount)
    return root


def validation_errors(content):
    """The errors of the document of bytes content against the schema, as
    lines of text; none when the document is valid"""
    return xml_tools.validation_errors(SCHEMA_PATH, content)
