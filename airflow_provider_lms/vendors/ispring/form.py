"""iSpring Learn connection form."""

from airflow_provider_lms.form_fields import COMMON_FIELDS, PORT_PLACEHOLDER

#: The connection form: Airflow's ``ui-field-behaviour`` and ``conn-fields`` (identity: the descriptor).
FORM = {
    "ui-field-behaviour": {
        "hidden-fields": ["schema"],
        "relabeling": {
            "port": "Port (optional)",
            "host": "API host",
            "login": "Client ID",
            "password": "Client secret",
        },
        "placeholders": {
            "port": PORT_PLACEHOLDER,
            "host": "api-learn.ispring.com (older accounts: api-learn.ispringlearn.com, "
            "EU: api-learn.ispringlearn.eu)",
            "login": "Client ID from Settings > API",
            "password": "Client secret",
        },
    },
    "conn-fields": dict(COMMON_FIELDS),
}
