"""LearnWorlds connection form."""

from airflow_provider_lms.form_fields import COMMON_FIELDS, PORT_PLACEHOLDER, number_field

#: The connection form: Airflow's ``ui-field-behaviour`` and ``conn-fields`` (identity: the descriptor).
FORM = {
    "ui-field-behaviour": {
        "hidden-fields": ["schema"],
        "relabeling": {
            "port": "Port (optional)",
            "host": "School URL or API URL",
            "login": "Client ID",
            "password": "Client secret",
        },
        "placeholders": {
            "port": PORT_PLACEHOLDER,
            "host": "https://acme.learnworlds.com (or https://acme.learnworlds.com/admin/api, or just acme)",
            "login": "Client ID from Settings > Developers > API",
            "password": "Client secret",
        },
    },
    "conn-fields": {
        **COMMON_FIELDS,
        "rate_limit_requests": number_field(
            "Rate limit: requests",
            "Requests allowed per window (default 30). With N tasks of this school running in "
            "parallel, give each 30 / N.",
        ),
        "rate_limit_seconds": number_field(
            "Rate limit: window (s)", "Length of the rolling rate-limit window in seconds (default 10)."
        ),
    },
}
