"""Apache Airflow provider for extracting learning data from LMS vendor APIs."""

__version__ = "0.1.0"
