"""LearnUpon: HTTP Basic, ``/api/v1``, has-next-header paging.

This folder is the whole vendor: ``hook.py`` (auth and engine options), ``catalog.py`` (the
endpoints), ``form.py`` (the connection form), ``twin.py`` / ``twin_data.py`` (the sandbox twin).
"""

from airflow_provider_lms.vendors import Vendor
from airflow_provider_lms.vendors.learnupon.form import FORM

VENDOR = Vendor(
    name="learnupon",
    conn_type="learnupon",
    hook_name="LearnUpon",
    hook_class="airflow_provider_lms.vendors.learnupon.hook.LearnUponHook",
    twin_class="airflow_provider_lms.vendors.learnupon.twin.LearnUponTwin",
    form=FORM,
    port_offset=0,
)
