"""NexPort Campus connection form."""

from airflow_provider_lms.form_fields import COMMON_FIELDS, PORT_PLACEHOLDER

#: The connection form: Airflow's ``ui-field-behaviour`` and ``conn-fields`` (identity: the descriptor).
FORM = {
    "ui-field-behaviour": {
        "hidden-fields": ["schema"],
        "relabeling": {
            "port": "Port (optional)",
            "host": "Campus URL",
            "login": "Admin API username",
            "password": "Admin API password",
        },
        "placeholders": {
            "port": PORT_PLACEHOLDER,
            "host": "https://www.nexportcampus.com",
            "login": "username of an admin user allowed to call the API",
            "password": "that user's password",
        },
    },
    "conn-fields": dict(COMMON_FIELDS),
}
