"""XML bodies -> records (airflow_provider_lms.xml_records) with iSpring's vocabulary."""

from __future__ import annotations

import gc
import time

import pytest

from airflow_provider_lms.exceptions import LmsResponseError
from airflow_provider_lms.vendors.ispring.hook import ISPRING_XML
from airflow_provider_lms.vendors.ispring.twin import HOSTILE_BODIES
from airflow_provider_lms.xml_records import MAX_DEPTH, XmlVocabulary, looks_like_xml, parse_xml

# The sample response of the iSpring reference for GET /learners/results (shortened to two results).
REFERENCE_SAMPLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<response>
<results>
<result>
<userId>114dba08-a75e-11eb-b4e5-0242ac13002a</userId>
<courseId>1852f94e-a75e-11eb-92c3-0242ac13002a</courseId>
<courseTitle>Course 1</courseTitle>
<enrollmentId>b9b41af0-f062-11eb-a99d-0242ac190033</enrollmentId>
<accessDate>2021-07-28T21:00:00+00:00</accessDate>
<timeSpent>10</timeSpent>
<completionStatus>in_progress</completionStatus>
<progress>9.09</progress>
<isOverdue>0</isOverdue>
</result>
<result>
<userId>114dba08-a75e-11eb-b4e5-0242ac13002a</userId>
<courseId>1a6bc896-aec2-11e9-8955-0a580af406a3</courseId>
<courseTitle>Course 3</courseTitle>
<enrollmentId>296bdbd8-aec2-11e9-aee5-0a580af402ea</enrollmentId>
<accessDate>2019-07-25T00:00:00+00:00</accessDate>
<completionDate>2019-07-25T09:55:37+00:00</completionDate>
<timeSpent>37</timeSpent>
<completionStatus>complete</completionStatus>
<progress>100</progress>
<isOverdue>false</isOverdue>
</result>
</results>
</response>"""


def test_reference_sample_becomes_typed_records():
    assert parse_xml(REFERENCE_SAMPLE, ISPRING_XML) == {
        "results": [
            {
                "userId": "114dba08-a75e-11eb-b4e5-0242ac13002a",
                "courseId": "1852f94e-a75e-11eb-92c3-0242ac13002a",
                "courseTitle": "Course 1",
                "enrollmentId": "b9b41af0-f062-11eb-a99d-0242ac190033",
                "accessDate": "2021-07-28T21:00:00+00:00",
                "timeSpent": 10,
                "completionStatus": "in_progress",
                "progress": 9.09,
                "isOverdue": False,
            },
            {
                "userId": "114dba08-a75e-11eb-b4e5-0242ac13002a",
                "courseId": "1a6bc896-aec2-11e9-8955-0a580af406a3",
                "courseTitle": "Course 3",
                "enrollmentId": "296bdbd8-aec2-11e9-aee5-0a580af402ea",
                "accessDate": "2019-07-25T00:00:00+00:00",
                "completionDate": "2019-07-25T09:55:37+00:00",
                "timeSpent": 37,
                "completionStatus": "complete",
                "progress": 100,
                "isOverdue": False,
            },
        ]
    }


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        # A declared list stays a list with one item, or none.
        (
            b"<response><results><result><userId>a</userId></result></results></response>",
            {"results": [{"userId": "a"}]},
        ),
        (
            b"<response><results/><nextPageToken>t</nextPageToken></response>",
            {"results": [], "nextPageToken": "t"},
        ),
        # Scalar list items (ArrayOfIds).
        (b"<r><groups><id>g1</id><id>g2</id></groups></r>", {"groups": ["g1", "g2"]}),
        # Bare-array responses: the root is the list.
        (
            b"<response><userPointsInfo><userId>u</userId><points>12</points></userPointsInfo></response>",
            [{"userId": "u", "points": 12}],
        ),
        (
            b"<statuses><status><userId>u</userId><status>complete</status></status></statuses>",
            [{"userId": "u", "status": "complete"}],
        ),
        (b"<response/>", []),
        # One name, two meanings: a number where it parses, text where it does not.
        (b"<r><u><status>3</status></u></r>", {"u": {"status": 3}}),
        (b"<r><u><status>passed</status></u></r>", {"u": {"status": "passed"}}),
        (b"<r><points>NaN</points><isSmart>maybe</isSmart></r>", {"points": "NaN", "isSmart": "maybe"}),
        (b"<r><isSmart>true</isSmart><isOverdue>1</isOverdue></r>", {"isSmart": True, "isOverdue": True}),
        # Undeclared repeated tags keep every value; attributes are kept with an @.
        (b"<r><x>1</x><x>2</x></r>", {"x": ["1", "2"]}),
        (b'<r kind="k"><x/></r>', {"@kind": "k", "x": None}),
        # Text stays text, with its own whitespace and escaping undone.
        (b"<r><courseTitle> Safety &amp; Health </courseTitle></r>", {"courseTitle": " Safety & Health "}),
    ],
)
def test_shapes(xml, expected):
    assert parse_xml(xml, ISPRING_XML) == expected


def test_without_a_vocabulary_everything_is_text():
    assert parse_xml(b"<r><progress>10</progress></r>", XmlVocabulary()) == {"progress": "10"}


@pytest.mark.parametrize("name", sorted(HOSTILE_BODIES))
def test_hostile_documents_are_refused_quickly(name):
    # CPU time of this process with the collector off: what is measured is the parser's own work
    # (~10 ms; an entity bomb would take minutes), not a full collection of the whole suite's heap
    # or another process's load, either of which once stretched it past 0.5 s in CI.
    gc.disable()
    try:
        started = time.process_time()
        with pytest.raises(LmsResponseError, match="DTD or entities|nests deeper"):
            parse_xml(HOSTILE_BODIES[name].encode(), ISPRING_XML)
        spent = time.process_time() - started
    finally:
        gc.enable()
    assert spent < 0.5


def test_any_dtd_is_refused_even_a_harmless_one():
    with pytest.raises(LmsResponseError, match="DTD"):
        parse_xml(b'<?xml version="1.0"?><!DOCTYPE r [<!ELEMENT r ANY>]><r/>')


def test_depth_limit_allows_real_documents():
    nested = b"<r>" + b"<a>" * (MAX_DEPTH - 1) + b"x" + b"</a>" * (MAX_DEPTH - 1) + b"</r>"
    assert parse_xml(nested) is not None


def test_malformed_xml_is_a_clear_error():
    with pytest.raises(LmsResponseError, match="malformed"):
        parse_xml(b"<response><results>")


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/xml; charset=utf-8", b"<r/>", True),
        ("text/xml", b"<r/>", True),
        ("application/atom+xml", b"<r/>", True),
        ("application/json", b'{"a": "<b>"}', False),
        (None, b"\xef\xbb\xbf  <?xml version='1.0'?><r/>", True),
        (None, b'{"a": 1}', False),
    ],
)
def test_looks_like_xml(content_type, body, expected):
    assert looks_like_xml(content_type, body) is expected
