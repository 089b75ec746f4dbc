"""LearnWorlds API v2: OAuth2 client credentials, ``meta.totalPages`` paging, 30 requests / 10 s. (The folder is the vendor: docs/architecture.md.)"""

from airflow_provider_lms.vendors import Vendor

VENDOR = Vendor.of(__name__, "LearnWorlds", hook="LearnWorldsHook", twin="LearnWorldsTwin", port_offset=4)
