"""What verifying a document's signatures would cost, decided before any digest.

Counting is cheap and comes first: signatures, references per signature and in
the document, transforms per reference. Then the octets the references would
have canonicalized and digested are estimated: the document's size for
``URI=""`` and ``#xpointer(/)``, the serialized element for an ID, the supplied
data for an external URI, once per canonicalization or base64 transform. A
reference that will not be digested (no readable DigestMethod, an ID that does
not resolve to exactly one element, external data not supplied) costs nothing.
Referenced elements are measured deepest first and only until the budget is
spent, so deciding costs a small part of the work it refuses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lxml import etree

from vnsign.errors import HostileInputError
from vnsign.formats.xml.algorithms import C14nMethod, DigestMethod, TransformMethod
from vnsign.formats.xml.ids import IdIndex
from vnsign.formats.xml.limits import DigestBudget, VerifyLimits
from vnsign.formats.xml.namespaces import DS

__all__ = ["check_workload"]

_REFERENCE = f"{{{DS}}}SignedInfo/{{{DS}}}Reference"
_TRANSFORM = f"{{{DS}}}Transforms/{{{DS}}}Transform"
_DIGEST_METHOD = f"{{{DS}}}DigestMethod"
_DIGEST_VALUE = f"{{{DS}}}DigestValue"
_REFUSED = "refused as built to exhaust the verifier"


def check_workload(
    tree: etree._ElementTree,
    signatures: Sequence[etree._Element],
    ids: IdIndex,
    *,
    limits: VerifyLimits,
    budget: DigestBudget,
    external: Mapping[str, bytes] | None = None,
    document_size: int | None = None,
) -> None:
    """Raise :class:`~vnsign.errors.HostileInputError` when verifying
    ``signatures`` would go beyond ``limits`` or ``budget``.

    ``document_size`` is the size of the document's bytes, when known (otherwise
    the tree is serialized once, and only if a reference names the whole document).
    """
    if len(signatures) > limits.max_signatures:
        raise HostileInputError(
            f"the document has {len(signatures)} signatures, more than the limit of "
            f"{limits.max_signatures}; {_REFUSED}"
        )
    references: list[etree._Element] = []
    for signature in signatures:
        found = list(signature.iterfind(_REFERENCE))
        if len(found) > limits.max_references:
            raise HostileInputError(
                f"a signature has {len(found)} references, more than the limit of "
                f"{limits.max_references}; {_REFUSED}"
            )
        references.extend(found)
        if len(references) > limits.max_document_references:
            raise HostileInputError(
                f"the document's signatures have more than {limits.max_document_references} "
                f"references together; {_REFUSED}"
            )
    transforms: list[list[str]] = []
    for reference in references:
        uris = [t.get("Algorithm") or "" for t in reference.iterfind(_TRANSFORM)]
        if len(uris) > limits.max_transforms:
            raise HostileInputError(
                f"a reference has {len(uris)} transforms, more than the limit of "
                f"{limits.max_transforms}; {_REFUSED}"
            )
        transforms.append(uris)
    _check_octets(tree, ids, references, transforms, budget, external, document_size)


def _check_octets(
    tree: etree._ElementTree,
    ids: IdIndex,
    references: Sequence[etree._Element],
    transforms: Sequence[Sequence[str]],
    budget: DigestBudget,
    external: Mapping[str, bytes] | None,
    document_size: int | None,
) -> None:
    """Refuse when the references would have more octets digested than ``budget``
    allows, measuring as few elements as it takes to decide."""
    fixed = 0  # the whole document and external data: sizes known without measuring
    weights: dict[etree._Element, int] = {}  # referenced element -> passes over it
    document: int | None = document_size
    for reference, uris in zip(references, transforms, strict=True):
        if not _digested(reference):
            continue
        # every canonicalization or base64 transform reprocesses the data
        passes = max(
            1,
            sum(1 for u in uris if C14nMethod.parse(u) is not None or u == TransformMethod.BASE64),
        )
        uri = reference.get("URI")
        if uri is None:
            continue
        if uri in ("", "#xpointer(/)"):
            if document is None:
                document = len(etree.tostring(tree))
            fixed += document * passes
        elif not uri.startswith("#"):
            data = (external or {}).get(uri)
            fixed += len(data) * passes if data is not None else 0
        else:
            target = _target(uri[1:], ids)
            if target is not None:
                weights[target] = weights.get(target, 0) + passes
        budget.check(fixed)
    if weights:
        _check_elements(weights, fixed, budget)


def _target(fragment: str, ids: IdIndex) -> etree._Element | None:
    if fragment.startswith("xpointer(id(") and fragment.endswith("))"):
        fragment = fragment[len("xpointer(id(") : -2].strip("'\"")
    found = ids.lookup(fragment)
    return found[0] if len(found) == 1 else None  # unresolvable: nothing is digested


def _check_elements(weights: dict[etree._Element, int], fixed: int, budget: DigestBudget) -> None:
    """Measure referenced elements deepest first. An element is at least as large
    as any referenced element inside it, so each measurement raises the lower
    bound of the referenced elements around it: references to elements nested in
    each other are refused after measuring the innermost, not all of them."""
    around: dict[etree._Element, list[etree._Element]] = {}
    depth: dict[etree._Element, int] = {}
    for element in weights:
        ancestors = list(element.iterancestors())
        depth[element] = len(ancestors)
        around[element] = [a for a in ancestors if a in weights]  # nearest first
    lower = dict.fromkeys(weights, 0)
    total = fixed
    for element in sorted(weights, key=depth.__getitem__, reverse=True):
        size = len(etree.tostring(element, with_tail=False))
        total += weights[element] * (size - lower[element])
        lower[element] = size
        for ancestor in around[element]:
            if lower[ancestor] >= size:
                break  # the ones further out were raised at least as far already
            total += weights[ancestor] * (size - lower[ancestor])
            lower[ancestor] = size
        budget.check(total)


def _digested(reference: etree._Element) -> bool:
    method = reference.find(_DIGEST_METHOD)
    return (
        method is not None
        and reference.find(_DIGEST_VALUE) is not None
        and DigestMethod.parse(method.get("Algorithm", "")) is not None
    )
