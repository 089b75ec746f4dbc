"""Check, before any request, that the destination's filesystem is installed.

Without it, ObjectStoragePath fails only at the first write, with three chained exceptions
(``AttributeError ... _fs_cached``, ``ModuleNotFoundError``, ``ImportError``). One sentence naming the
package to install is what a DAG author needs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from airflow_provider_lms.exceptions import LmsConfigError

#: What to install for a scheme: the provider's own extra where there is one.
INSTALL_HINTS = {
    "s3": "pip install 'airflow-provider-lms[s3]' (Airflow's Amazon provider with s3fs)",
    "s3a": "pip install 'airflow-provider-lms[s3]' (Airflow's Amazon provider with s3fs)",
    "gs": "pip install 'apache-airflow-providers-google' gcsfs",
    "gcs": "pip install 'apache-airflow-providers-google' gcsfs",
    "abfs": "pip install 'apache-airflow-providers-microsoft-azure' adlfs",
    "az": "pip install 'apache-airflow-providers-microsoft-azure' adlfs",
}


def require_filesystem(uri: str) -> None:
    """Raise :class:`LmsConfigError` when nothing serves ``uri``'s scheme (neither an Airflow provider
    nor an installed fsspec implementation)."""
    text = str(uri).strip()
    scheme = urlsplit(text).scheme.lower() if "://" in text else "file"
    if scheme in ("", "file", "local"):
        return
    from airflow.sdk.io import has_fs

    if has_fs(scheme):
        return
    import fsspec

    try:
        fsspec.get_filesystem_class(scheme)
    except (ImportError, ValueError) as exc:
        hint = INSTALL_HINTS.get(scheme, f"install the Airflow provider or fsspec package for {scheme}://")
        raise LmsConfigError(
            f"destination {text!r}: the {scheme}:// filesystem is not installed on this worker: {hint} ({exc})"
        ) from None
