"""The public import path of the AbsorbHook: the vendor itself lives in ``vendors/absorb/``."""

from airflow_provider_lms.vendors.absorb.catalog import ABSORB_CATALOG, ATTEMPT_STATUS, ENROLLMENT_STATUS
from airflow_provider_lms.vendors.absorb.hook import AbsorbHook

__all__ = ["AbsorbHook", "ABSORB_CATALOG", "ATTEMPT_STATUS", "ENROLLMENT_STATUS"]
