# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Opportunities as an XML document of the schema opportunity.xsd, checked
against that schema before it is handed out"""
import datetime
import os

from lxml import etree

NAMESPACE = 'urn:crm-plus:opportunities:1'
SCHEMA_PATH = os.path.join(os.path.dirname(__file__), 'opportunity.xsd')

_schema = None


def schema():
    "The XML Schema of the export, parsed once per process"
    global _schema
    if _schema is None:
        _schema = etree.XMLSchema(etree.parse(SCHEMA_PATH))
    return _schema


def _element(parent, name, value=None):
    element = etree.SubElement(parent, '{%s}%s' % (NAMESPACE, name))
    if value is not None:
        element.text = _text(value)
    return element


def _optional(parent, name, value):
    "An element for value, none when there is no value"
    if value is not None and value != '':
        return _element(parent, name, value)


def _text(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        # The probability: no binary noise in a decimal of the schema.
        return format(round(value, 6), 'f').rstrip('0').rstrip('.') or '0'
    return str(value)


def build(opportunities, company_name, now=None):
    """The document of the opportunities, sale.opportunity records read in
    the language of the export"""
    root = etree.Element(
        '{%s}opportunities' % NAMESPACE, nsmap={None: NAMESPACE})
    root.set('company', company_name)
    root.set('created', (now or datetime.datetime.now(
                datetime.timezone.utc)).replace(microsecond=0).isoformat())
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
    validator = schema()
    # Parsed again from its bytes: what is checked is what is handed out,
    # and the errors tell its lines.
    if validator.validate(etree.fromstring(content)):
        return []
    return ['%s:%s: %s' % (e.line, e.column, e.message)
        for e in validator.error_log]


def serialize(document):
    "The bytes of document, encoded in UTF-8 with its declaration"
    return etree.tostring(
        document, xml_declaration=True, encoding='UTF-8', pretty_print=True)
