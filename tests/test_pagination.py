"""Paginators and the page loop guard, on hand-made responses."""

from __future__ import annotations

import pytest

from airflow_provider_lms.exceptions import LmsConfigError, LmsPaginationError
from airflow_provider_lms.page_checks import PageLoopGuard
from airflow_provider_lms.page_request import PageRequest, PageResponse
from airflow_provider_lms.pagination import (
    OffsetPaginator,
    PageNumberPaginator,
    TokenPaginator,
    paginator_from_spec,
)


def _walk(paginator, responses, page_size=2):
    """Feed responses to a paginator; return the requests it produced."""
    request = paginator.start(PageRequest("GET", "/x"), page_size)
    sent = [request]
    for response in responses:
        request = paginator.advance(request, response)
        if request is None:
            break
        sent.append(request)
    return sent


def test_has_next_header_false_string_stops():
    paginator = PageNumberPaginator(has_next_header="LU-Has-Next-Page")
    sent = _walk(
        paginator,
        [
            PageResponse({"LU-Has-Next-Page": "true"}, {}, 2),
            PageResponse({"lu-has-next-page": "false"}, {}, 2),
            PageResponse({}, {}, 2),
        ],
    )
    assert [r.params["page"] for r in sent] == [1, 2]
    assert all(r.params["per_page"] == 2 for r in sent)


def test_missing_header_reads_past_a_short_page_to_an_empty_one():
    # Nothing says how many records a page holds: a short page may be a server cap, not the end.
    paginator = PageNumberPaginator(has_next_header="LU-Has-Next-Page")
    sent = _walk(
        paginator,
        [PageResponse({}, {}, 2), PageResponse({}, {}, 1), PageResponse({}, {}, 2), PageResponse({}, {}, 0)],
    )
    assert [r.params["page"] for r in sent] == [1, 2, 3, 4]


def test_a_short_page_against_the_served_page_size_is_the_last():
    paginator = PageNumberPaginator(has_next_header="H", served_page_size_header="Per-Page")
    sent = _walk(
        paginator,
        [PageResponse({"Per-Page": "2"}, {}, 2), PageResponse({"Per-Page": "2"}, {}, 1)],
        page_size=5,
    )
    assert [r.params["page"] for r in sent] == [1, 2]


def test_has_next_true_on_empty_page_is_an_error():
    paginator = PageNumberPaginator(has_next_header="H")
    with pytest.raises(LmsPaginationError, match="page=1 came back empty although the H header says 'true'"):
        _walk(paginator, [PageResponse({"H": "true"}, {}, 0)])


def test_total_pages_and_page_index_from_zero():
    paginator = PageNumberPaginator("_offset", "_limit", first_page=0, total_pages_path="meta.totalPages")
    body = {"meta": {"totalPages": 3}}
    sent = _walk(paginator, [PageResponse({}, body, 2)] * 5)
    assert [r.params["_offset"] for r in sent] == [0, 1, 2]


def test_total_items_counts_records_seen_not_requested_size():
    # The server caps pages at 2 although 5 were asked for: 5 items still need 3 pages.
    paginator = PageNumberPaginator(total_items_path="totalItems")
    sent = _walk(
        paginator,
        [PageResponse({}, {"totalItems": 5}, 2)] * 2 + [PageResponse({}, {"totalItems": 5}, 1)],
        page_size=5,
    )
    assert [r.params["page"] for r in sent] == [1, 2, 3]


def test_body_located_page_params():
    paginator = PageNumberPaginator(location="body")
    sent = _walk(paginator, [PageResponse({}, {}, 2), PageResponse({}, {}, 0)])
    assert [r.body["page"] for r in sent] == [1, 2] and sent[0].params == {}


def test_token_paginator_follows_and_rejects_repeated_token():
    paginator = TokenPaginator()
    sent = _walk(
        paginator,
        [
            PageResponse({}, {"nextPageToken": "a"}, 2),
            PageResponse({}, {"nextPageToken": "b"}, 2),
            PageResponse({}, {}, 2),
        ],
    )
    assert [r.params.get("pageToken") for r in sent] == [None, "a", "b"]
    looping = TokenPaginator()
    with pytest.raises(LmsPaginationError, match="twice"):
        _walk(looping, [PageResponse({}, {"nextPageToken": "a"}, 2)] * 3)


def test_offset_paginator_advances_by_records_received():
    paginator = OffsetPaginator(total_items_path="total")
    sent = _walk(paginator, [PageResponse({}, {"total": 5}, 2)] * 2 + [PageResponse({}, {"total": 5}, 1)])
    assert [r.params["offset"] for r in sent] == [0, 2, 4]


def test_loop_guard_detects_repeated_page():
    guard = PageLoopGuard()
    guard.check([{"id": 1}], 1)
    guard.check([{"id": 2}], 2)
    with pytest.raises(LmsPaginationError, match="page 3 repeats page 2"):
        guard.check([{"id": 2}], 3)
    with pytest.raises(LmsPaginationError, match="page 4 repeats page 1"):
        guard.check([{"id": 1}], 4)


def test_paginator_spec_validation():
    factory = paginator_from_spec({"type": "page_number", "page_param": "p", "page_size_param": "n"})
    assert isinstance(factory(), PageNumberPaginator) and factory().page_param == "p"
    with pytest.raises(LmsConfigError, match="unknown"):
        paginator_from_spec({"type": "cursor"})
    with pytest.raises(LmsConfigError, match="page_number"):
        paginator_from_spec({"type": "page_number", "bogus": 1})
