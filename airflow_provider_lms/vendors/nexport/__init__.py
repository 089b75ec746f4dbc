"""NexPort Campus: a query-string token, errors inside 200 bodies, POST searches. (The folder is the vendor: docs/architecture.md.)"""

from airflow_provider_lms.vendors import Vendor

VENDOR = Vendor.of(__name__, "NexPort Campus", hook="NexPortHook", twin="NexPortTwin", port_offset=2)
