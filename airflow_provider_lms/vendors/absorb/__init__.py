"""Absorb Integration API v2: shared ``/authenticate`` tokens, page-index paging, OData windows. (The folder is the vendor: docs/architecture.md.)"""

from airflow_provider_lms.vendors import Vendor

VENDOR = Vendor.of(__name__, "Absorb", hook="AbsorbHook", twin="AbsorbTwin", port_offset=1)
