"""iSpring Learn REST v3: client-credentials tokens, token paging, JSON or XML.

This folder is the whole vendor: ``hook.py`` (auth and engine options), ``catalog.py`` (the
endpoints), ``form.py`` (the connection form), ``twin.py`` / ``twin_data.py`` (the sandbox twin).
"""

from airflow_provider_lms.vendors import Vendor
from airflow_provider_lms.vendors.ispring.form import FORM

VENDOR = Vendor(
    name="ispring",
    conn_type="ispring",
    hook_name="iSpring Learn",
    hook_class="airflow_provider_lms.vendors.ispring.hook.IspringHook",
    twin_class="airflow_provider_lms.vendors.ispring.twin.IspringTwin",
    form=FORM,
    port_offset=3,
)
