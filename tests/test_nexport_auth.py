"""NexPort authentication: wrong password, expired tokens (answered as 200 bodies), the Test button."""

from __future__ import annotations

import pytest

from airflow_provider_lms.exceptions import LmsAuthError, LmsHttpError
from airflow_provider_lms.vendors.nexport.hook import NexPortHook, is_token_problem

AUTH = "AdminApi/Authenticate$"
DATA = "LearningApi/"


def _names(records) -> list[str]:
    return [r["name"] for r in records]


def _all_orgs(twin) -> list[str]:
    return sorted(o["name"] for o in twin.data["organizations"])


def test_wrong_password_is_one_clear_auth_error(twin_factory, connect, no_sleep):
    running = twin_factory("nexport")
    hook = NexPortHook(connect(running, password="not-the-password"), backoff_base=0.01, sleep=no_sleep)
    with pytest.raises(LmsAuthError) as caught:
        list(hook.iter_records("organizations"))
    message = str(caught.value)
    assert "Invalid username or password" in message and "Check the login and password" in message
    assert "not-the-password" not in message
    assert running.twin.count(path_pattern=AUTH) == 1  # no retry of a refusal
    assert running.twin.count(path_pattern=DATA) == 0


def test_test_button_reports_success_and_failure(twin_factory, connect):
    running = twin_factory("nexport")
    ok, message = NexPortHook(connect(running)).test_connection()
    assert ok and "read 1 record(s) from organizations" in message
    ok, message = NexPortHook(connect(running, "nexport_bad", password="wrong-secret")).test_connection()
    assert not ok and "Invalid username or password" in message and "wrong-secret" not in message


def test_expiring_tokens_are_renewed_once_each_and_the_extract_is_complete(twin_factory, connect, no_sleep):
    running = twin_factory("nexport", token_lifetime_requests=2)
    hook = NexPortHook(connect(running), backoff_base=0.01, sleep=no_sleep)
    got = list(hook.iter_records("organizations", {"page_size": 1}))  # 6 pages: 5 orgs + an empty one
    assert sorted(_names(got)) == _all_orgs(running.twin)
    # tokens serve 2 calls each; every third call is refused once, re-authenticated and retried
    assert len(running.twin.issued_tokens) == 3 == running.twin.count(path_pattern=AUTH)
    assert running.twin.count(path_pattern="GetOrganizations$") == 6 + 2
    assert hook.transport.retry_count == 0  # renewal is not a backoff retry


def test_token_expired_between_extracts_is_renewed(twin_factory, connect, no_sleep):
    running = twin_factory("nexport")
    hook = NexPortHook(connect(running), backoff_base=0.01, sleep=no_sleep)
    assert sorted(_names(hook.iter_records("organizations"))) == _all_orgs(running.twin)
    running.twin.expire_tokens()
    assert sorted(_names(hook.iter_records("organizations"))) == _all_orgs(running.twin)
    assert len(running.twin.issued_tokens) == 2


def test_a_token_refused_right_after_renewal_fails_after_one_renewal(twin_factory, connect, no_sleep):
    running = twin_factory("nexport", token_lifetime_requests=0)  # every token is already expired
    hook = NexPortHook(connect(running), backoff_base=0.01, sleep=no_sleep)
    with pytest.raises(LmsAuthError, match="rejected the credentials of connection 'nexport_test'") as caught:
        list(hook.iter_records("organizations"))
    assert running.twin.count(path_pattern=AUTH) == 2  # the first token and one renewal
    assert running.twin.count(path_pattern=DATA) == 2
    assert not any(token in str(caught.value) for token in running.twin.issued_tokens)


def test_wrong_host_is_reported_with_the_status(twin_factory, connect, no_sleep):
    running = twin_factory("nexport")
    hook = NexPortHook(connect(running, host=running.url + "/elsewhere"), backoff_base=0.01, sleep=no_sleep)
    with pytest.raises(LmsHttpError, match="Authenticate answered HTTP 404"):
        list(hook.iter_records("organizations"))


@pytest.mark.parametrize(
    ("message", "token_problem"),
    [
        ("Invalid access token", True),
        ("The access token has expired", True),
        ("Token expired", True),
        ("Invalid username or password", False),
        ("Syllabus 1 was not found", False),
    ],
)
def test_token_problems_are_told_apart_from_other_errors(message, token_problem):
    assert is_token_problem(message) is token_problem
