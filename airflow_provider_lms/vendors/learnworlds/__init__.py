"""LearnWorlds API v2: OAuth2 client credentials, ``meta.totalPages`` paging, 30 requests / 10 s.

This folder is the whole vendor: ``hook.py`` (auth and engine options), ``catalog.py`` (the
endpoints), ``form.py`` (the connection form), ``twin.py`` / ``twin_data.py`` (the sandbox twin).
"""

from airflow_provider_lms.vendors import Vendor
from airflow_provider_lms.vendors.learnworlds.form import FORM

VENDOR = Vendor(
    name="learnworlds",
    conn_type="learnworlds",
    hook_name="LearnWorlds",
    hook_class="airflow_provider_lms.vendors.learnworlds.hook.LearnWorldsHook",
    twin_class="airflow_provider_lms.vendors.learnworlds.twin.LearnWorldsTwin",
    form=FORM,
    port_offset=4,
)
