"""iSpring Learn connection form."""

from airflow_provider_lms.forms import COMMON_FIELDS, PORT_PLACEHOLDER

CONNECTION_TYPE = {
    "connection-type": "ispring",
    "hook-class-name": "airflow_provider_lms.hooks.ispring.IspringHook",
    "hook-name": "iSpring Learn",
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
