"""Difference analysis for signed PDFs: which changes after a signature vnsign
accepts, built from pyHanko's ``diff_analysis`` rules.

pyHanko's generic default refuses several updates that real signing tools make
without touching what was signed; this policy accepts each of them with a
precise rule and says so (:class:`Accepted`), and refuses everything else as
pyHanko does. See :class:`VnDiffPolicy` for the list.
"""

from vnsign.verify.adapters.pdf_diff._common import Accepted
from vnsign.verify.adapters.pdf_diff._policy import VN_DIFF_POLICY, VnDiffPolicy, VnDiffResult

__all__ = ["VN_DIFF_POLICY", "Accepted", "VnDiffPolicy", "VnDiffResult"]
