# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Opportunities as an XML document of the schema opportunity.xsd, checked
against that schema before it is handed out"""
import os

from . import xml_tools
from .xml_tools import serialize  # noqa: F401 (the module's interface)

NAMESPACE = 'urn:crm-plus:opportunities:1'
SCHEMA_PATH = os.path.join(os.path.dirname(__file__), 'opportunity.xsd')


# NAMESPACE read at each call: the tests change it to produce an invalid
# document.
def _element(parent, name, value=None):
    return xml_tools.element(NAMESPACE, parent, name, value)


def _optional(parent, name, value):
    return xml_tools.optional(NAMESPACE, parent, name, value)


def build(opportunities, company_name, now=None):
    """The document of the opportunities, sale.opportunity records read in
    the language of the export"""
    root = xml_tools.root(NAMESPACE, 'opportunities', company_name, now)
    for opportunity in opportunities:
        element = _element(root, 'opportunity')
        element.set('id', str(opportunity.id))
        _element(element, 'number', opportunity.number)
        _optional(element, 'description', opportunity.description)
        if opportunity.party:
            party = _element(element, 'party')
            _element(party, 'name', opportunity.party.rec_name)
            _optional(party, 'code', opportunity.party.code)
        if opportunity.employee:
            _element(element, 'employee', opportunity.employee.rec_name)
        _element(element, 'state', opportunity.state)
        if opportunity.sales_method:
            _element(element, 'sales-method', opportunity.sales_method.name)
        if opportunity.stage:
            _element(element, 'stage', opportunity.stage.name)
        _element(element, 'start-date', opportunity.start_date)
        _optional(element, 'end-date', opportunity.end_date)
        _element(element, 'currency', opportunity.currency.code)
        _optional(element, 'amount', opportunity.amount)
        _element(element, 'probability', opportunity.conversion_probability)
        lines = _element(element, 'lines')
        for line in opportunity.lines:
            line_element = _element(lines, 'line')
            if line.product:
                product = _element(line_element, 'product')
                _optional(product, 'code', line.product.code)
                _element(product, 'name', line.product.name)
            _element(line_element, 'quantity', line.quantity)
            _element(line_element, 'unit', line.unit.symbol)
            _optional(line_element, 'unit-price', line.unit_price)
            _optional(line_element, 'amount', line.amount)
        competitors = _element(element, 'competitors')
        for competitor in opportunity.competitors:
            competitor_element = _element(competitors, 'competitor')
            if competitor.winner:
                competitor_element.set('winner', 'true')
            _element(competitor_element, 'name', competitor.competitor.name)
            _element(competitor_element, 'threat', competitor.threat)
            _optional(competitor_element, 'price', competitor.price)
        if opportunity.state == 'lost' and (
                opportunity.lost_reason_type or opportunity.lost_reason):
            lost = _element(element, 'lost-reason')
            if opportunity.lost_reason_type:
                _element(lost, 'type', opportunity.lost_reason_type.name)
            _optional(lost, 'text', opportunity.lost_reason)
    return root


def validation_errors(content):
    """The errors of the document of bytes content against the schema, as
    lines of text; none when the document is valid"""
    return xml_tools.validation_errors(SCHEMA_PATH, content)
