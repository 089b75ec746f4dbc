"""The vendors: one folder each, found by looking, never listed.

Each subpackage ``airflow_provider_lms/vendors/<name>/`` says who it is once, in its
``__init__.py``::

    VENDOR = Vendor.of(__name__, "Acme LMS", hook="AcmeHook", twin="AcmeTwin", port_offset=5)

(the folder name is the connection type unless ``conn_type`` says otherwise; the connection form
is ``FORM`` in the folder's ``form.py``).

The provider info (connection forms, hook modules), the sandbox (twins and their ports), the
README endpoint table and the compose connections are all derived from these descriptors, so
adding a vendor edits no shared file. Reading a descriptor imports only the vendor's package and
its form (plain data): never its hook, twin or their dependencies.
"""

from __future__ import annotations

import pkgutil
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from typing import Any


@dataclass(frozen=True)
class Vendor:
    """One vendor's identity, said once.

    :param name: the folder name (``vendors/<name>/``), also the sandbox's name for its twin.
    :param conn_type: the Airflow connection type.
    :param hook_name: the name the Airflow UI shows for the connection type.
    :param hook_class: dotted path of the hook class.
    :param twin_class: dotted path of the sandbox twin class.
    :param form: the connection form (``ui-field-behaviour`` and ``conn-fields``).
    :param port_offset: the twin's port in ``python -m airflow_provider_lms.sandbox --port BASE``
        is ``BASE + port_offset``; unique across vendors.
    """

    name: str
    conn_type: str
    hook_name: str
    hook_class: str
    twin_class: str
    form: dict[str, Any] = field(default_factory=dict)
    port_offset: int = 0

    @classmethod
    def of(
        cls,
        package: str,
        hook_name: str,
        *,
        hook: str,
        twin: str,
        port_offset: int,
        conn_type: str | None = None,
    ) -> Vendor:
        """The descriptor of the vendor folder ``package`` (its ``__name__``), by the layout's
        conventions: ``hook.py`` holds ``hook``, ``twin.py`` holds ``twin``, ``form.py`` holds ``FORM``."""
        name = package.rpartition(".")[2]
        return cls(
            name=name,
            conn_type=conn_type or name,
            hook_name=hook_name,
            hook_class=f"{package}.hook.{hook}",
            twin_class=f"{package}.twin.{twin}",
            form=import_module(f"{package}.form").FORM,
            port_offset=port_offset,
        )

    @property
    def default_conn_id(self) -> str:
        return f"{self.conn_type}_default"

    @property
    def hook_module(self) -> str:
        return self.hook_class.rpartition(".")[0]

    def connection_type(self) -> dict[str, Any]:
        """This vendor's entry in the provider info's ``connection-types``."""
        return {
            "connection-type": self.conn_type,
            "hook-class-name": self.hook_class,
            "hook-name": self.hook_name,
            **{k: self.form[k] for k in ("ui-field-behaviour", "conn-fields") if k in self.form},
        }

    def load_hook(self) -> type:
        module, _, name = self.hook_class.rpartition(".")
        return getattr(import_module(module), name)

    def load_twin(self) -> type:
        module, _, name = self.twin_class.rpartition(".")
        return getattr(import_module(module), name)


@cache
def vendors() -> tuple[Vendor, ...]:
    """Every vendor folder's descriptor, in port order (the order the sandbox and docs list them)."""
    found: list[Vendor] = []
    for module in pkgutil.iter_modules(__path__):
        if not module.ispkg:
            continue
        descriptor = getattr(import_module(f"{__name__}.{module.name}"), "VENDOR", None)
        if not isinstance(descriptor, Vendor):
            raise TypeError(f"vendors/{module.name}/__init__.py defines no VENDOR = Vendor(...)")
        if descriptor.name != module.name:
            raise ValueError(
                f"vendors/{module.name}: VENDOR.name is {descriptor.name!r}, not the folder name"
            )
        found.append(descriptor)
    found.sort(key=lambda v: v.port_offset)
    for attribute in ("conn_type", "port_offset"):
        values = [getattr(v, attribute) for v in found]
        clashing = sorted({str(x) for x in values if values.count(x) > 1})
        if clashing:
            raise ValueError(f"two vendors share the {attribute} {', '.join(clashing)}")
    return tuple(found)


def vendor(name: str) -> Vendor:
    """The descriptor of the vendor folder ``name`` (KeyError naming the known ones otherwise)."""
    for descriptor in vendors():
        if descriptor.name == name:
            return descriptor
    raise KeyError(f"no vendor {name!r}; known: {', '.join(v.name for v in vendors())}")


def vendor_of_conn_type(conn_type: str) -> Vendor | None:
    return next((v for v in vendors() if v.conn_type == conn_type), None)


__all__ = ["Vendor", "vendor", "vendor_of_conn_type", "vendors"]
