"""The public import path of the LearnWorldsHook: the vendor itself lives in ``vendors/learnworlds/``."""

from airflow_provider_lms.vendors.learnworlds.catalog import LEARNWORLDS_CATALOG
from airflow_provider_lms.vendors.learnworlds.hook import LearnWorldsHook

__all__ = ["LearnWorldsHook", "LEARNWORLDS_CATALOG"]
