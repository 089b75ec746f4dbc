"""The public import path of the NexPortHook: the vendor itself lives in ``vendors/nexport/``."""

from airflow_provider_lms.vendors.nexport.catalog import NEXPORT_CATALOG
from airflow_provider_lms.vendors.nexport.hook import NexPortHook

__all__ = ["NexPortHook", "NEXPORT_CATALOG"]
