"""Absorb ``/authenticate`` tokens: one per user, four hours, shared between a worker's processes.

The rule that breaks naive clients: a new ``/authenticate`` invalidates the user's previous token.
So the token lives in a shared store (:mod:`~airflow_provider_lms.vendors.absorb.token_cache` for
one host, :mod:`~airflow_provider_lms.vendors.absorb.shared_token` across hosts), and the generic
:class:`~airflow_provider_lms.token_auth.TokenAuth` never authenticates while a usable token is in
it; on a 401 it first looks whether another process already renewed it, and only when the store
still holds the rejected token does it authenticate, under the store's lock, so one process renews
for all. After that it retries *later* (after the transport's backoff): another client holding the
same user gets time to pick up the new token instead of racing to replace it.
"""

from __future__ import annotations

from airflow_provider_lms.token_auth import Renewal, TokenPlacement, TokenReply, TokenRequest, TokenSpec

TOKEN_LIFETIME = 4 * 3600.0  # Absorb: "valid for four hours after generation"
REFRESH_MARGIN = 300.0  # renew five minutes early so no page straddles the expiry
API_VERSION = "2"

#: Headers every Absorb v2 call carries, ``/authenticate`` included.
API_HEADERS = {"x-api-key": "{private_key}", "x-api-version": API_VERSION}

ABSORB_TOKEN = TokenSpec(
    vendor="Absorb",
    request=TokenRequest(
        "/authenticate",
        {"username": "{login}", "password": "{password}", "privateKey": "{private_key}"},
        headers=API_HEADERS,
    ),
    # The reply is the token itself, a bare JSON string, with no lifetime: the documented 4 hours.
    reply=TokenReply(
        token_path=None,
        expires_path=None,
        lifetime=TOKEN_LIFETIME,
        missing_hint="is the host the Integration API gateway (e.g. https://rest.myabsorb.com)?",
    ),
    placement=TokenPlacement(headers={**API_HEADERS, "Authorization": "Bearer {token}"}),
    renewal=Renewal(
        later=True,
        reason="Absorb rejected the API token (it expired, or another client authenticated as the same "
        "user: Absorb keeps one token per user); authenticated again",
    ),
    credentials={
        "login": "admin username (login)",
        "password": "admin password",
        "private_key": "API private key (extra private_key)",
    },
    header_values=("private_key",),  # it travels in the x-api-key header
    secret_values=("password", "private_key"),
    hint="check the admin username (login) and password, and the API private key (extra private_key)",
    refresh_margin=REFRESH_MARGIN,
)
