"""iSpring Learn: client-credentials tokens that live 30 minutes, token pagination, JSON on request
(XML otherwise, parsed defensively), PHP-style array parameters (``userIds[]=a&userIds[]=b``).

Reference: ``POST /api/v3/token`` and the read endpoints of the iSpring Learn REST API v3.
"""

from __future__ import annotations

from airflow_provider_lms.auth import Auth
from airflow_provider_lms.hooks.base import LmsHook, normalize_url
from airflow_provider_lms.pagination import Paginator
from airflow_provider_lms.token_auth import TokenReply, TokenRequest, TokenSpec
from airflow_provider_lms.vendors.ispring import VENDOR
from airflow_provider_lms.vendors.ispring.catalog import (
    ISPRING_CATALOG,
    PAGE_SIZE_MAX,
    IspringTokenPaginator,
)
from airflow_provider_lms.xml_records import XmlVocabulary

TOKEN_PATH = "/api/v3/token"
TOKEN_LIFETIME = 1800.0  # seconds, when a token response omits expires_in

#: Client-credentials tokens; they cannot be refreshed, so a new one is fetched near expiry or on 401.
ISPRING_TOKEN = TokenSpec(
    vendor="iSpring Learn",
    request=TokenRequest(
        TOKEN_PATH,
        {"client_id": "{login}", "client_secret": "{password}", "grant_type": "client_credentials"},
        form=True,
    ),
    reply=TokenReply(lifetime=TOKEN_LIFETIME, missing_hint="is the host the iSpring Learn API host?"),
    credentials={"login": "client ID (login)", "password": "client secret (password)"},
    refused_statuses=(400, 401),  # unknown client id or secret
    hint="check its client ID (login) and client secret (password), Settings > API",
)


#: What iSpring's XML means, from the element names of its OpenAPI schemas.
ISPRING_XML = XmlVocabulary.of(
    list_tags=(
        "results",
        "userProfiles",
        "departments",
        "groups",
        "enrollments",
        "contentItems",
        "modules",
        "assignments",
        "courseFields",
        "userRoles",
        "manageableDepartmentIds",
        "parentCourseIds",
        "attachments",
        "statuses",
    ),
    root_item_tags=("userPointsInfo", "learningTracksCourse", "attempt", "status", "id"),
    number_tags=(
        "timeSpent",
        "duration",
        "progress",
        "awardedScore",
        "passingScore",
        "viewsCount",
        "points",
        "status",
        "enrollmentTypeGroup",
        "attemptScore",
        "questionNumber",
        "questionScore",
        "answerScore",
        "fileSize",
    ),
    bool_tags=(
        "isOverdue",
        "isSmart",
        "shouldLockAfterDueDate",
        "isAttemptPassed",
        "isAnswerCorrect",
    ),
)


class IspringHook(LmsHook):
    """iSpring Learn REST API hook.

    Connection: host = the API host (``api-learn.ispring.com`` for new accounts,
    ``api-learn.ispringlearn.com`` for existing ones, ``api-learn.ispringlearn.eu`` in the EU; a full
    URL also works); login = client ID; password = client secret (iSpring Learn: Settings > API).

    Tokens last 30 minutes and cannot be refreshed: the hook fetches a new one shortly before
    expiry and whenever the API answers 401, so extracts of any length run through.

    :param conn_id: the Airflow connection id (type ``ispring``).
    """

    vendor = VENDOR  # conn_type, hook_name and default_conn_name come from the descriptor
    catalog = ISPRING_CATALOG
    max_page_size = PAGE_SIZE_MAX
    test_endpoint = "departments"
    # Without it the API answers XML; with it, JSON (XML is still understood: xml_vocabulary).
    default_headers = {"Accept": "application/json"}
    xml_vocabulary = ISPRING_XML

    def base_url(self) -> str:
        return normalize_url(self.connection.host, port=self.connection.port)

    def create_auth(self) -> Auth:
        conn = self.connection
        return ISPRING_TOKEN.for_hook(self, {"login": conn.login, "password": conn.password})

    def default_paginator(self) -> Paginator:
        return IspringTokenPaginator()
