"""LearnUpon connection form."""

from airflow_provider_lms.forms import COMMON_FIELDS, PORT_PLACEHOLDER

CONNECTION_TYPE = {
    "connection-type": "learnupon",
    "hook-class-name": "airflow_provider_lms.hooks.learnupon.LearnUponHook",
    "hook-name": "LearnUpon",
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
