"""NexPort Campus: a query-string token, errors inside 200 bodies, POST searches.

This folder is the whole vendor: ``hook.py`` (auth and engine options), ``catalog.py`` (the
endpoints), ``form.py`` (the connection form), ``twin.py`` / ``twin_data.py`` (the sandbox twin).
"""

from airflow_provider_lms.vendors import Vendor
from airflow_provider_lms.vendors.nexport.form import FORM

VENDOR = Vendor(
    name="nexport",
    conn_type="nexport",
    hook_name="NexPort Campus",
    hook_class="airflow_provider_lms.vendors.nexport.hook.NexPortHook",
    twin_class="airflow_provider_lms.vendors.nexport.twin.NexPortTwin",
    form=FORM,
    port_offset=2,
)
