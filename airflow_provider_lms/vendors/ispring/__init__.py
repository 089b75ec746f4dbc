"""iSpring Learn REST v3: client-credentials tokens, token paging, JSON or XML. (The folder is the vendor: docs/architecture.md.)"""

from airflow_provider_lms.vendors import Vendor

VENDOR = Vendor.of(__name__, "iSpring Learn", hook="IspringHook", twin="IspringTwin", port_offset=3)
