"""Issue 10, security: credentials go only to the connection's own origin, path parameters never
change which endpoint is read, and a list is never silently sent for a single-value parameter.

Each test runs real HTTP over loopback against a sandbox twin and a stub "elsewhere" server that
records what reached it (and answers 401, the answer that would trigger a token renewal).
"""

from __future__ import annotations

import json
import re

import pytest

from airflow_provider_lms.catalog import Endpoint, Param
from airflow_provider_lms.exceptions import LmsConfigError
from airflow_provider_lms.operators.extract import LmsExtractOperator
from airflow_provider_lms.page_request import PageRequest
from airflow_provider_lms.token_auth import Token, TokenAuth
from airflow_provider_lms.transport import HttpTransport
from airflow_provider_lms.vendors.absorb.hook import AbsorbHook
from airflow_provider_lms.vendors.ispring.hook import IspringHook
from airflow_provider_lms.vendors.learnupon.hook import LearnUponHook
from airflow_provider_lms.vendors.nexport.hook import NexPortHook
from tests.stubs import Reply, StubServer


def _stub_connection(monkeypatch, conn_type: str, stub: StubServer, **fields) -> str:
    """An Airflow connection (env form) of ``conn_type`` pointing at a stub server."""
    conn_id = f"{conn_type}_stub"
    conn = {"conn_type": conn_type, "host": stub.url, "login": "api-user", "password": "api-pass", **fields}
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
    return conn_id


@pytest.fixture
def elsewhere():
    """Another origin on 127.0.0.1: records every request, rejects every credential with 401."""
    with StubServer(lambda request: Reply.json({"message": "who are you?"}, 401)) as stub:
        yield stub


# ---- 1. credentials only to the connection's origin --------------------------------------------

FOREIGN_SPECS = [
    lambda other: f"{other}/x",
    lambda other: {"path": f"{other}/x"},
    lambda other: {"path": f"{other}/x", "records_path": "$[*]", "pagination": "none"},
    lambda other: {"name": "users", "path": f"{other}/users"},
    lambda other: {"name": "users", "path": "//" + other.split("://")[1] + "/users"},
    lambda other: "//" + other.split("://")[1] + "/users",
    lambda other: {"path": "@" + other.split("://")[1] + "/users"},
    lambda other: {"path": "." + other.split("://")[1] + "/users"},
    lambda other: {"path": ":1/users"},
    lambda other: {"path": "users"},
    lambda other: {"path": " /users"},
]


@pytest.mark.parametrize("spec", FOREIGN_SPECS, ids=range(len(FOREIGN_SPECS)))
def test_an_endpoint_on_another_origin_is_refused_before_any_request(twin_factory, connect, elsewhere, spec):
    twin = twin_factory("learnupon")
    hook = LearnUponHook(connect(twin))
    endpoint = spec(elsewhere.url)
    with pytest.raises(LmsConfigError, match="relative to the connection's API root"):
        hook.plan(endpoint)
    with pytest.raises(LmsConfigError):
        list(hook.iter_records(endpoint))
    assert elsewhere.requests == []
    assert twin.twin.count() == 0


def test_a_same_origin_absolute_url_is_refused_too(twin_factory, connect):
    # Documented choice: a path is always relative to the API root, even one naming our own host.
    twin = twin_factory("learnupon")
    hook = LearnUponHook(connect(twin))
    with pytest.raises(LmsConfigError, match="starting with a single '/'"):
        hook.plan({"path": f"{twin.url}/api/v1/users"})
    assert twin.twin.count() == 0


def test_absorb_sends_neither_key_nor_token_to_a_foreign_endpoint(twin_factory, connect, elsewhere, tmp_path):
    twin = twin_factory("absorb")
    hook = AbsorbHook(connect(twin), token_cache_dir="off")
    with pytest.raises(LmsConfigError):
        list(hook.iter_records({"path": f"{elsewhere.url}/users"}))
    out = tmp_path / "users.jsonl"
    operator = LmsExtractOperator(
        task_id="t",
        conn_id=connect(twin),
        endpoint={"path": f"{elsewhere.url}/users", "records_path": "$.users[*]"},
        destination=str(out),
        window_start=None,
        window_end=None,
    )
    with pytest.raises(LmsConfigError):
        operator.execute({})
    assert elsewhere.requests == []
    assert twin.twin.count() == 0  # not even /authenticate: nothing was sent anywhere
    assert not out.exists()


def test_a_401_from_another_host_never_triggers_a_renewal(twin_factory, connect, elsewhere):
    """The plan-time refusal means such a request is never made; the transport refuses it too,
    before signing, so no token is fetched or sent and no 401 can ask for a fresh one."""
    twin = twin_factory("nexport")
    hook = NexPortHook(connect(twin))
    transport = hook.transport
    with pytest.raises(LmsConfigError, match="not the connection's origin"):
        transport.send(PageRequest("GET", f"{elsewhere.url}/AdminApi/api/v1/users"))
    assert elsewhere.requests == []
    assert transport.auth.fetch_count == 0
    assert twin.twin.count() == 0
    # The honest path still works with the same transport: one token, fetched from the twin.
    list(hook.iter_records("organizations", {"page_size": 5}))
    assert transport.auth.fetch_count == 1
    assert elsewhere.requests == []


@pytest.mark.parametrize(
    "target",
    [
        lambda base, other: f"{other}/x",  # another port
        lambda base, other: base.replace("http://", "https://") + "/x",  # another scheme
        lambda base, other: base.replace("127.0.0.1", "localhost") + "/x",  # another host name
        lambda base, other: "@" + other.split("://")[1] + "/x",  # userinfo trick on a bare base
        lambda base, other: ":" + other.rsplit(":", 1)[1] + "/x",  # port trick on a bare base
    ],
    ids=["port", "scheme", "host", "userinfo", "port-suffix"],
)
def test_the_transport_refuses_credentials_for_another_origin(elsewhere, target):
    with StubServer(lambda request: Reply.json([])) as home:
        fetches = []
        auth = TokenAuth(lambda: fetches.append(1) or Token("tok-123456"))
        transport = HttpTransport(home.url, auth=auth, connection_label="lu")
        with pytest.raises(LmsConfigError, match="'lu'"):
            transport.send(PageRequest("GET", target(home.url, elsewhere.url)))
        assert home.requests == [] and elsewhere.requests == [] and fetches == []
        # Same origin, absolute or relative, is sent (the LearnWorlds token call uses the former).
        transport.send(PageRequest("GET", f"{home.url}/a"))
        transport.send(PageRequest("GET", "/b"))
        assert [r.path for r in home.requests] == ["/a", "/b"]
        assert home.requests[0].headers["authorization"] == "Bearer tok-123456"


# ---- 2. path parameters never change which endpoint is read ------------------------------------

HOSTILE_IDS = [".", "..", "%2e", "%2E%2E", "..%2f", "a/b", "a%2Fb", "a%252Fb", "a\\b", "a?b", "a#b", "", "  "]


@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_a_hostile_path_parameter_fails_before_any_request(twin_factory, connect, value):
    twin = twin_factory("learnupon")
    hook = LearnUponHook(connect(twin))
    with pytest.raises(LmsConfigError) as error:
        list(hook.iter_records("exam_results", {"exam_id": value}))
    message = str(error.value)
    if value.strip():  # empty values are "missing" (the required-parameter check names them)
        assert "exam_results" in message and "exam_id" in message and repr(value) in message
    assert twin.twin.count() == 0


def test_dot_dot_exam_id_via_the_operator_leaves_the_destination_untouched(twin_factory, connect, tmp_path):
    twin = twin_factory("learnupon")
    out = tmp_path / "exam_results.jsonl"
    out.write_bytes(b'{"previous": "run"}\n')
    operator = LmsExtractOperator(
        task_id="t",
        conn_id=connect(twin),
        endpoint="exam_results",
        parameters=[{"exam_id": 9001}, {"exam_id": ".."}],
        destination=str(out),
        window_start=None,
        window_end=None,
    )
    with pytest.raises(LmsConfigError, match="exam_id='..' is a dot segment"):
        operator.execute({})
    assert out.read_bytes() == b'{"previous": "run"}\n'
    assert twin.twin.count() == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exam_results.jsonl"]


@pytest.mark.parametrize(
    ("value", "wire"),
    [("9001", "9001"), ("a.b", "a.b"), ("...", "..."), ("a b", "a%20b"), ("%41", "%2541"), ("é", "%C3%A9")],
)
def test_ordinary_path_parameters_reach_the_server_literally(monkeypatch, value, wire):
    with StubServer(lambda request: Reply.json({"enrollments": []})) as stub:
        hook = LearnUponHook(_stub_connection(monkeypatch, "learnupon", stub))
        assert list(hook.iter_records("exam_results", {"exam_id": value})) == []
    assert len(stub.requests) == 1
    assert stub.requests[0].path == f"/api/v1/exams/{wire}/enrollments"


# ---- 10. a list for a single-value parameter -----------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "parameters"),
    [
        ("enrollments", {"course_id": [5001, 5002]}),  # query
        ("enrollments", {"course_id": (5001,)}),
        ("enrollments", {"course_id": {5001}}),
        ("enrollments", {"course_id": {"id": 5001}}),
        ("exam_results", {"exam_id": [9001, 9002]}),  # path
        ({"path": "/groups", "records_path": "$.groups[*]"}, {"group_id": [1, 2]}),  # custom
    ],
    ids=["list", "tuple", "set", "dict", "path-list", "custom-query"],
)
def test_a_collection_for_a_single_value_parameter_is_refused(twin_factory, connect, endpoint, parameters):
    twin = twin_factory("learnupon")
    hook = LearnUponHook(connect(twin))
    name = next(iter(parameters))
    with pytest.raises(LmsConfigError, match=f"{name} takes one value") as error:
        list(hook.iter_records(endpoint, parameters, None, None))
    assert "list of parameter dicts" in str(error.value)
    assert "batched_parameters" in str(error.value)
    assert twin.twin.count() == 0


def test_a_list_in_a_body_parameter_is_refused():
    endpoint = Endpoint("e", "/e", method="POST", params=(Param("org_id", location="body"),))
    with pytest.raises(LmsConfigError, match="org_id takes one value"):
        endpoint.build_request({"org_id": ["a", "b"]}, None)


def test_a_multi_value_path_parameter_is_still_refused():
    endpoint = Endpoint("e", "/e/{id}", params=(Param("id", location="path", multiple=True),))
    with pytest.raises(LmsConfigError, match="id takes one value"):
        endpoint.build_request({"id": ["a", "b"]}, None)


def test_declared_multi_value_parameters_keep_taking_lists(twin_factory, connect):
    # iSpring: PHP arrays (userIds[]=a&userIds[]=b); the twin filters by them.
    twin = twin_factory("ispring")
    hook = IspringHook(connect(twin))
    users = [u["userId"] for u in list(hook.iter_records("users"))[:2]]
    plan = hook.plan("learner_results", {"userIds": users}, None, None)
    assert plan.request.params["userIds[]"] == users
    rows = list(hook.iter_records("learner_results", {"userIds": users}, None, None))
    assert rows and {r["userId"] for r in rows} <= set(users)
    # A set is accepted and sent in a stable order.
    assert hook.plan("learner_results", {"userIds": set(users)}).request.params["userIds[]"] == sorted(users)
    with pytest.raises(LmsConfigError, match="flat list"):
        hook.plan("learner_results", {"userIds": [users]})


def test_every_catalog_marks_its_list_parameters():
    """Audit: a parameter documented as a list is declared multi-valued, and nothing else is."""
    from airflow_provider_lms.hooks import absorb, ispring, learnupon, learnworlds, nexport

    catalogs = [
        absorb.ABSORB_CATALOG,
        ispring.ISPRING_CATALOG,
        learnupon.LEARNUPON_CATALOG,
        learnworlds.LEARNWORLDS_CATALOG,
        nexport.NEXPORT_CATALOG,
    ]
    multiple = {(c.vendor, e.name, p.name) for c in catalogs for e in c for p in e.params if p.multiple}
    assert ("Absorb", "bulk_enrollments", "user_ids") in multiple
    assert ("iSpring Learn", "learner_results", "userIds") in multiple
    assert ("NexPort Campus", "search_enrollments", "org_ids") in multiple
    for catalog in catalogs:
        for endpoint in catalog:
            for param in endpoint.params:
                text = param.description.lower()
                says_list = re.search(r"\blist\b", text) and "comma" not in text
                if says_list or param.api_name and param.api_name.endswith("[]"):
                    assert param.multiple, (catalog.vendor, endpoint.name, param.name)
                if param.multiple:
                    assert param.location != "path", (catalog.vendor, endpoint.name, param.name)
    assert json.dumps(sorted(multiple))  # printable in a failure
