"""The only imports of scikit-learn's private API, fenced off in one module.

Parameter validation, ``_fit_context`` and a few validation helpers are private in
scikit-learn; should they move, this file is the one to change.  The callback API is public
but new in scikit-learn 1.9; older versions get stand-ins.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, Options, StrOptions, validate_parameter_constraints
from sklearn.utils.multiclass import _check_partial_fit_first_call
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import _check_sample_weight, validate_data

try:  # scikit-learn >= 1.9: callbacks (progress bars, monitors) on fits
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # older: no callback API, nothing to support

    class CallbackSupportMixin:
        """Stand-in for scikit-learn < 1.9, which has no callback API."""

    def with_callbacks(method):
        return method


__all__ = [
    "CallbackSupportMixin",
    "Interval",
    "Options",
    "StrOptions",
    "_check_optimize_result",
    "_check_partial_fit_first_call",
    "_check_sample_weight",
    "_fit_context",
    "validate_data",
    "validate_parameter_constraints",
    "with_callbacks",
]
