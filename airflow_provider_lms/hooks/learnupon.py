"""The public import path of the LearnUponHook: the vendor itself lives in ``vendors/learnupon/``."""

from airflow_provider_lms.vendors.learnupon.catalog import LEARNUPON_CATALOG
from airflow_provider_lms.vendors.learnupon.hook import LearnUponHook

__all__ = ["LearnUponHook", "LEARNUPON_CATALOG"]
