"""NexPort Campus connection form."""

from airflow_provider_lms.forms import COMMON_FIELDS, PORT_PLACEHOLDER

CONNECTION_TYPE = {
    "connection-type": "nexport",
    "hook-class-name": "airflow_provider_lms.hooks.nexport.NexPortHook",
    "hook-name": "NexPort Campus",
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
