"""LearnUpon connection form."""

from airflow_provider_lms.form_fields import COMMON_FIELDS, PORT_PLACEHOLDER

#: The connection form: Airflow's ``ui-field-behaviour`` and ``conn-fields`` (identity: the descriptor).
FORM = {
    "ui-field-behaviour": {
        "hidden-fields": ["schema"],
        "relabeling": {
            "port": "Port (optional)",
            "host": "Portal URL or subdomain",
            "login": "API username",
            "password": "API password",
        },
        "placeholders": {
            "port": PORT_PLACEHOLDER,
            "host": "https://acme.learnupon.com (or just acme)",
            "login": "API username from Settings > Integrations > API Keys",
            "password": "API password",
        },
    },
    "conn-fields": dict(COMMON_FIELDS),
}
