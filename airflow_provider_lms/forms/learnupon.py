"""LearnUpon connection form."""

from airflow_provider_lms.forms import COMMON_FIELDS

CONNECTION_TYPE = {
    "connection-type": "learnupon",
    "hook-class-name": "airflow_provider_lms.hooks.learnupon.LearnUponHook",
    "hook-name": "LearnUpon",
    "ui-field-behaviour": {
        "hidden-fields": ["schema", "port"],
        "relabeling": {
            "host": "Portal URL or subdomain",
            "login": "API username",
            "password": "API password",
        },
        "placeholders": {
            "host": "https://acme.learnupon.com (or just acme)",
            "login": "API username from Settings > Integrations > API Keys",
            "password": "API password",
        },
    },
    "conn-fields": dict(COMMON_FIELDS),
}
