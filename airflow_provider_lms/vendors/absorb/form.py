"""Absorb connection form."""

from airflow_provider_lms.form_fields import COMMON_FIELDS, PORT_PLACEHOLDER, secret_field, text_field

#: Region keys offered in the form; the hook maps them to the REST gateways.
REGION_URLS = {
    "us": "US - https://rest.myabsorb.com",
    "ca": "Canada - https://rest.myabsorb.ca",
    "eu": "EU - https://rest.myabsorb.eu",
    "au": "Australia - https://rest.myabsorb.com.au",
    "us-sandbox": "US sandbox - https://rest.sandbox.myabsorb.com",
    "ca-sandbox": "Canada sandbox - https://rest.sandbox.myabsorb.ca",
    "eu-sandbox": "EU sandbox - https://rest.sandbox.myabsorb.eu",
    "au-sandbox": "Australia sandbox - https://rest.sandbox.myabsorb.com.au",
}

#: The connection form: Airflow's ``ui-field-behaviour`` and ``conn-fields`` (identity: the descriptor).
FORM = {
    "ui-field-behaviour": {
        "hidden-fields": ["schema"],
        "relabeling": {
            "port": "Port (optional)",
            "host": "REST base URL (leave empty to use Region)",
            "login": "Admin username",
            "password": "Admin password",
        },
        "placeholders": {
            "port": PORT_PLACEHOLDER,
            "host": "https://rest.myabsorb.com, or us / ca / eu / au / us-sandbox ...",
            "login": "username of an LMS admin whose role may read enrollments",
            "password": "that admin's password",
        },
    },
    "conn-fields": {
        "private_key": secret_field(
            "API private key", "The portal's Integration API private key (sent as x-api-key)."
        ),
        "region": {
            "label": "Region",
            "description": "Absorb REST gateway of your portal's region; used when Host is empty.",
            "schema": {
                "type": ["string", "null"],
                "enum": [None, *REGION_URLS],
                "values_display": {"null": "(none: use Host)", **REGION_URLS},
            },
        },
        "token_cache_dir": text_field(
            "Token cache directory",
            "Where the processes of one worker share the API token (Absorb keeps one token per user). "
            "Empty: a private directory under the system temp dir. 'off': one token per process.",
        ),
        "token_store": text_field(
            "Token store",
            "Where workers on different hosts share the token. Empty or 'file': the token cache "
            "directory (one host). 'variable': an Airflow Variable (encrypted, every worker reaches it). "
            "A URI such as s3://bucket/absorb-tokens: a shared directory (Fernet-encrypted).",
        ),
        **COMMON_FIELDS,
    },
}
