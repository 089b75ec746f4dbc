"""iSpring Learn connection form."""

from airflow_provider_lms.forms import COMMON_FIELDS

CONNECTION_TYPE = {
    "connection-type": "ispring",
    "hook-class-name": "airflow_provider_lms.hooks.ispring.IspringHook",
    "hook-name": "iSpring Learn",
    "ui-field-behaviour": {
        "hidden-fields": ["schema", "port"],
        "relabeling": {
            "host": "API host",
            "login": "Client ID",
            "password": "Client secret",
        },
        "placeholders": {
            "host": "api-learn.ispring.com (older accounts: api-learn.ispringlearn.com, "
            "EU: api-learn.ispringlearn.eu)",
            "login": "Client ID from Settings > API",
            "password": "Client secret",
        },
    },
    "conn-fields": dict(COMMON_FIELDS),
}
