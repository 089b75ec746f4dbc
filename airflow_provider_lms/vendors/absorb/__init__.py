"""Absorb Integration API v2: shared ``/authenticate`` tokens, page-index paging, OData windows.

This folder is the whole vendor: ``hook.py`` (auth and engine options), ``catalog.py`` (the
endpoints), ``form.py`` (the connection form), ``twin.py`` / ``twin_data.py`` (the sandbox twin).
"""

from airflow_provider_lms.vendors import Vendor
from airflow_provider_lms.vendors.absorb.form import FORM

VENDOR = Vendor(
    name="absorb",
    conn_type="absorb",
    hook_name="Absorb",
    hook_class="airflow_provider_lms.vendors.absorb.hook.AbsorbHook",
    twin_class="airflow_provider_lms.vendors.absorb.twin.AbsorbTwin",
    form=FORM,
    port_offset=1,
)
