"""LearnUpon: HTTP Basic, ``/api/v1``, has-next-header paging. (The folder is the vendor: docs/architecture.md.)"""

from airflow_provider_lms.vendors import Vendor

VENDOR = Vendor.of(__name__, "LearnUpon", hook="LearnUponHook", twin="LearnUponTwin", port_offset=0)
