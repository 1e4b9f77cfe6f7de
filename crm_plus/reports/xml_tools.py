# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What the XML exports share: elements of one namespace, the text of
values as the schemas type them, and the check against a schema"""
import datetime

from lxml import etree

_schemas = {}


def schema(path):
    "The XML Schema of the file path, parsed once per process"
    if path not in _schemas:
        _schemas[path] = etree.XMLSchema(etree.parse(path))
    return _schemas[path]


def text(value):
    "The text of value as the schemas' types write it"
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        # The probability: no binary noise in a decimal of the schema.
        return format(round(value, 6), 'f').rstrip('0').rstrip('.') or '0'
    return str(value)


def root(namespace, name, company_name, now=None):
    "The root element name of an export of the company, dated now"
    element = etree.Element(
        '{%s}%s' % (namespace, name), nsmap={None: namespace})
    element.set('company', company_name)
    element.set('created', (now or datetime.datetime.now(
                datetime.timezone.utc)).replace(microsecond=0).isoformat())
    return element


def element(namespace, parent, name, value=None):
    "A child name of parent in namespace, with the text of value if any"
    child = etree.SubElement(parent, '{%s}%s' % (namespace, name))
    if value is not None:
        child.text = text(value)
    return child


def optional(namespace, parent, name, value):
    "A child for value, none when there is no value"
    if value is not None and value != '':
        return element(namespace, parent, name, value)


def validation_errors(schema_path, content):
    """The errors of the document of bytes content against the schema of
    schema_path, as lines of text; none when the document is valid"""
    validator = schema(schema_path)
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
