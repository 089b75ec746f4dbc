"""XML response bodies -> the same dicts and lists a JSON body would give, parsed defensively.

Some vendors answer XML (one does unless asked for JSON). XML from a server is untrusted
input: a DTD can declare entities that expand a few hundred bytes into gigabytes ("billion laughs")
or pull local files and URLs into the document (external entities). Parsing goes through defusedxml
with every DTD refused, so such a body fails at once with :class:`LmsResponseError` instead of
expanding or fetching anything. Nesting depth is bounded too, so a deep document cannot exhaust
the stack.

XML carries no types and no arrays, so a vendor describes its vocabulary once
(:class:`XmlVocabulary`): which elements wrap lists, which leaf elements are numbers or booleans.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from airflow_provider_lms.exceptions import LmsResponseError

#: Deeper documents are refused; real API responses nest a handful of levels.
MAX_DEPTH = 64

XML_CONTENT_TYPES = ("application/xml", "text/xml", "+xml")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class XmlVocabulary:
    """What a vendor's XML means where JSON would say it with syntax.

    :param list_tags: elements whose children are list items whatever their tag
        (``<results><result/>...</results>`` -> ``{"results": [...]}``), even with one or no child.
    :param root_item_tags: item tags that make the root element itself a list (bare-array responses:
        ``<response><userPointsInfo/>...</response>`` -> ``[...]``).
    :param number_tags: leaf elements holding numbers (``"10"`` -> ``10``, ``"9.5"`` -> ``9.5``).
    :param bool_tags: leaf elements holding booleans (``true``/``false``/``1``/``0``).

    A value that does not parse as its declared type stays text: one tag name may mean a number
    in one resource and a word in another (``status``).
    """

    list_tags: frozenset[str] = frozenset()
    root_item_tags: frozenset[str] = frozenset()
    number_tags: frozenset[str] = frozenset()
    bool_tags: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        *,
        list_tags: Iterable[str] = (),
        root_item_tags: Iterable[str] = (),
        number_tags: Iterable[str] = (),
        bool_tags: Iterable[str] = (),
    ) -> XmlVocabulary:
        return cls(
            frozenset(list_tags), frozenset(root_item_tags), frozenset(number_tags), frozenset(bool_tags)
        )


def looks_like_xml(content_type: str | None, body: bytes) -> bool:
    """True for an XML Content-Type, or an untyped body that starts with ``<``."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind:
        return any(kind.endswith(t) for t in XML_CONTENT_TYPES)
    return body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def parse_xml(body: bytes | str, vocabulary: XmlVocabulary = XmlVocabulary()) -> Any:
    """Parse an untrusted XML body into dicts, lists and scalars (see the module docstring).

    The root element stands for the whole body (as ``<response>`` does), so its children become the
    top-level keys. Raises :class:`LmsResponseError` for a DTD, an entity, malformed or too deep XML.
    """
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise LmsResponseError(
            f"refused an XML response that declares a DTD or entities ({type(exc).__name__}): this is "
            "how XML bombs and external-entity attacks work, and API responses never need it"
        ) from None
    except ParseError as exc:
        raise LmsResponseError(f"the XML response is malformed: {exc}") from None
    converter = _Converter(vocabulary)
    children = list(root)
    if not children and not (root.text or "").strip():
        return []  # an empty collection: a page always has its wrapper elements
    if children and all(child.tag in vocabulary.root_item_tags for child in children):
        return [converter.value(child, 1) for child in children]
    return converter.value(root, 0)


class _Converter:
    def __init__(self, vocabulary: XmlVocabulary) -> None:
        self.vocabulary = vocabulary

    def value(self, element: Element, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise LmsResponseError(f"the XML response nests deeper than {MAX_DEPTH} levels; refused")
        children = list(element)
        if element.tag in self.vocabulary.list_tags:
            return [self.value(child, depth + 1) for child in children]
        if not children:
            return self.leaf(element)
        result: dict[str, Any] = {f"@{k}": v for k, v in element.attrib.items()}
        for child in children:
            converted = self.value(child, depth + 1)
            if child.tag not in result:
                result[child.tag] = converted
            elif isinstance(result[child.tag], _Repeated):
                result[child.tag].append(converted)
            else:  # a repeated tag outside a declared list: keep every value, in order
                result[child.tag] = _Repeated([result[child.tag], converted])
        return {k: list(v) if isinstance(v, _Repeated) else v for k, v in result.items()}

    def leaf(self, element: Element) -> Any:
        text = element.text
        if text is None:
            return None
        if element.tag in self.vocabulary.number_tags:
            return _number(text)
        if element.tag in self.vocabulary.bool_tags:
            return _boolean(text)
        return text


class _Repeated(list):
    """Marks a list built from repeated sibling tags (never confused with a leaf that is a list)."""


def _number(text: str) -> Any:
    stripped = text.strip()
    if not _NUMBER.match(stripped):
        return text
    return float(stripped) if any(c in stripped for c in ".eE") else int(stripped)


def _boolean(text: str) -> Any:
    lowered = text.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    return text
