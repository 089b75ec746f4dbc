"""The public import path of the IspringHook: the vendor itself lives in ``vendors/ispring/``."""

from airflow_provider_lms.vendors.ispring.catalog import ISPRING_CATALOG
from airflow_provider_lms.vendors.ispring.hook import IspringHook

__all__ = ["IspringHook", "ISPRING_CATALOG"]
