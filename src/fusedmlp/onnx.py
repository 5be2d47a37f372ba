"""ONNX export through skl2onnx: importing this module registers fusedmlp's estimators.

After ``import fusedmlp.onnx``, skl2onnx's own ``to_onnx`` and ``convert_sklearn`` convert
``MLPClassifier``, ``MLPRegressor`` and ``Perceptron``, alone or inside a ``Pipeline`` or
``ColumnTransformer``; :func:`to_onnx` is the one-call shortcut.  The graphs are plain ONNX
(``MatMul``, ``Add``, the activation operators, ``Softmax``, ``ArgMax``, ``Gather``; leaky
ReLU as ``Where``, which onnxruntime runs in double precision too), so onnxruntime runs them
anywhere.

What converts:

- every hidden activation, one for all hidden layers or one per layer (``leaky_relu`` with
  its ``negative_slope``); a model trained with dropout (inference has none);
- ``MLPClassifier``: binary, multiclass and multilabel, with skl2onnx's classifier outputs
  (``label`` and ``probabilities``; its ``zipmap`` option as for scikit-learn's MLP, and
  ``output_class_labels``; ZipMap takes float only, so a double graph's probabilities reach
  it as float, where skl2onnx's own MLP converter builds an invalid graph).  Integer,
  boolean and (integral) float labels become int64 labels, others strings;
- ``MLPRegressor``: one or several outputs, every loss (Poisson's exponential output too);
  the output is ``(n_samples, n_outputs)``, ``(n_samples, 1)`` for one output as skl2onnx
  writes its regressors;
- ``Perceptron``: ``label`` and the decision scores (``[-s, s]`` for two classes, as
  skl2onnx's linear classifiers);
- ``FloatTensorType`` and ``DoubleTensorType`` inputs: the graph computes in the input's
  precision, whatever dtype the model was trained in.

ONNX inputs are dense tensors: a model trained on sparse input converts, and takes the dense
rows at inference.  Needs the ``onnx`` extra: ``pip install "fusedmlp[onnx]"``.
"""

import numpy as np

try:
    import skl2onnx
    from skl2onnx import update_registered_converter
    from skl2onnx.common._apply_operation import apply_cast, apply_reshape
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )
    from skl2onnx.proto import onnx_proto
except ImportError as exc:  # pragma: no cover - exercised in an environment without the extra
    raise ImportError(
        'fusedmlp.onnx needs skl2onnx (and onnxruntime to run the models): pip install "fusedmlp[onnx]"'
    ) from exc

from ._classifier import MLPClassifier
from ._perceptron import Perceptron
from ._regressor import MLPRegressor

__all__ = ["to_onnx"]

_OPERATORS = {"logistic": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "exp": "Exp", "softmax": "Softmax"}
_CLASSIFIER_OPTIONS = {"zipmap": [True, False, "columns"], "output_class_labels": [False, True], "nocl": [True, False]}


def to_onnx(model, X=None, *, name=None, target_opset=None, options=None, initial_types=None, **kwargs):
    """Convert a fitted fusedmlp estimator (or a Pipeline holding one) to an ONNX model.

    Parameters
    ----------
    model : estimator
        A fitted ``MLPClassifier``, ``MLPRegressor``, ``Perceptron``, or any scikit-learn
        composition skl2onnx converts that holds them.
    X : array-like, optional
        A few rows of input: their dtype gives the input type (float32:
        ``FloatTensorType``, float64: ``DoubleTensorType``).  Not needed with ``initial_types``.
    name : str, optional
        The graph's name.
    target_opset : int, optional
        The ONNX opset (skl2onnx's default when omitted).
    options : dict, optional
        Converter options, as skl2onnx takes them, e.g. ``{"zipmap": False}``.
    initial_types : list, optional
        skl2onnx's input declaration, e.g. ``[("X", FloatTensorType([None, 4]))]``.
    **kwargs
        Passed on to ``skl2onnx.to_onnx``.

    Returns
    -------
    onnx.ModelProto
        The model; ``onnxruntime.InferenceSession(model.SerializeToString())`` runs it.
    """
    if X is not None and not hasattr(X, "columns") and not hasattr(X, "tocsr"):
        X = np.asarray(X)
    elif hasattr(X, "tocsr"):
        X = X[:1].toarray()  # ONNX inputs are dense
    return skl2onnx.to_onnx(
        model, X, name=name, target_opset=target_opset, options=options, initial_types=initial_types, **kwargs
    )


# --- shapes ----------------------------------------------------------------------------------


def _input_tensor_type(operator):
    kind = type(operator.inputs[0].type)
    if kind not in (FloatTensorType, DoubleTensorType):
        raise TypeError(
            f"fusedmlp's ONNX converters take FloatTensorType or DoubleTensorType input, got {kind.__name__}: "
            "cast the input to float32 or float64 first."
        )
    return kind


def _label_kind(model):
    """``'multilabel'``, ``'int'`` or ``'str'``: how the model's labels are written in ONNX."""
    binarizer = getattr(model, "_label_binarizer", None)
    if binarizer is not None and binarizer.y_type_.startswith("multilabel"):
        return "multilabel"
    # float labels are integral: scikit-learn's target checks refuse others
    return "int" if np.asarray(model.classes_).dtype.kind in "iubf" else "str"


def _classifier_shapes(operator):
    kind = _input_tensor_type(operator)
    n = operator.inputs[0].get_first_dimension()
    model = operator.raw_operator
    n_classes = len(model.classes_)
    label = _label_kind(model)
    if label == "multilabel":
        operator.outputs[0].set_type(Int64TensorType([n, n_classes]))
    elif label == "int":
        operator.outputs[0].set_type(Int64TensorType([n]))
    else:
        operator.outputs[0].set_type(StringTensorType([n]))
    operator.outputs[1].set_type((FloatTensorType if _zipmap(operator.scope_inst, model) else kind)([n, n_classes]))


def _zipmap(scope, model):
    """Whether the probabilities go on to skl2onnx's ZipMap, which takes float only: then a
    double graph hands them over as float (skl2onnx's own MLP converter builds an invalid
    graph there)."""
    return scope.get_options(model, dict(zipmap=True))["zipmap"] is True  # not False, not "columns"


def _regressor_shapes(operator):
    kind = _input_tensor_type(operator)
    operator.outputs[0].set_type(kind([operator.inputs[0].get_first_dimension(), operator.raw_operator.n_outputs_]))


# --- graph pieces ------------------------------------------------------------------------------


def _dtypes(operator):
    """(ONNX element type, NumPy dtype) the graph computes in: the input's precision."""
    if type(operator.inputs[0].type) is DoubleTensorType:
        return onnx_proto.TensorProto.DOUBLE, np.float64
    return onnx_proto.TensorProto.FLOAT, np.float32


def _constant(scope, container, name, array, proto_type):
    array = np.asarray(array)
    key = scope.get_unique_variable_name(name)
    container.add_initializer(key, proto_type, list(array.shape), array.ravel().tolist())
    return key


def _node(scope, container, op, inputs, name, **attrs):
    out = scope.get_unique_variable_name(name)
    container.add_node(op, inputs, out, name=scope.get_unique_operator_name(op), **attrs)
    return out


def _dense(scope, container, x, W, b, proto, dtype):
    """``x @ W + b``, the constants in the graph's precision."""
    z = _node(scope, container, "MatMul", [x, _constant(scope, container, "coef", W.astype(dtype), proto)], "z")
    return _node(scope, container, "Add", [z, _constant(scope, container, "intercept", b.astype(dtype), proto)], "z")


def _activate(scope, container, z, activation, slope, proto, dtype):
    if activation == "identity":
        return z
    if activation == "leaky_relu":
        # z > 0 ? z : slope * z, as the kernels (onnxruntime has no double LeakyRelu)
        zero = _constant(scope, container, "zero", np.array(0.0, dtype), proto)
        scaled = _node(
            scope, container, "Mul", [z, _constant(scope, container, "slope", np.array(slope, dtype), proto)], "a"
        )
        return _node(scope, container, "Where", [_node(scope, container, "Greater", [z, zero], "on"), z, scaled], "a")
    if activation == "softmax":
        return _node(scope, container, "Softmax", [z], "a", axis=1)
    return _node(scope, container, _OPERATORS[activation], [z], "a")


def _network(scope, operator, container):
    """The network's output for the operator's input, in the input's precision."""
    model = operator.raw_operator
    proto, dtype = _dtypes(operator)
    x = scope.get_unique_variable_name("x")
    apply_cast(scope, operator.inputs[0].full_name, x, container, to=proto)
    coefs, intercepts = model.coefs_, model.intercepts_
    activations = model._hidden_activations(len(coefs) - 1) + [model.out_activation_]
    for W, b, activation in zip(coefs, intercepts, activations):
        z = _dense(scope, container, x, W, b, proto, dtype)
        x = _activate(scope, container, z, activation, model.negative_slope, proto, dtype)
    return x, proto


def _labels(scope, container, model, index, out):
    """``classes_[index]`` into ``out``: int64 or string labels."""
    classes = np.asarray(model.classes_)
    if _label_kind(model) == "int":
        table = _constant(scope, container, "classes", classes.astype(np.int64), onnx_proto.TensorProto.INT64)
    else:
        table = scope.get_unique_variable_name("classes")
        strings = [str(c).encode("utf-8") for c in classes]
        container.add_initializer(table, onnx_proto.TensorProto.STRING, [len(strings)], strings)
    container.add_node("Gather", [table, index], out, axis=0, name=scope.get_unique_operator_name("Gather"))


def _flat_index(scope, container, mask):
    """A boolean ``(n, 1)`` mask as an int64 ``(n,)`` class index."""
    index = scope.get_unique_variable_name("index")
    apply_cast(scope, mask, index, container, to=onnx_proto.TensorProto.INT64)
    flat = scope.get_unique_variable_name("index")
    apply_reshape(scope, index, flat, container, desired_shape=(-1,))
    return flat


def _two_columns(scope, container, negative, positive, out):
    container.add_node("Concat", [negative, positive], out, axis=1, name=scope.get_unique_operator_name("Concat"))


def _probabilities(scope, operator, container, values):
    """``values`` into the operator's second output, cast to float for ZipMap."""
    out = operator.outputs[1].full_name
    if _zipmap(scope, operator.raw_operator) and _dtypes(operator)[1] is np.float64:
        apply_cast(scope, values, out, container, to=onnx_proto.TensorProto.FLOAT)
    else:
        container.add_node("Identity", [values], out, name=scope.get_unique_operator_name("Identity"))


# --- converters ------------------------------------------------------------------------------


def _convert_classifier(scope, operator, container):
    model = operator.raw_operator
    p, proto = _network(scope, operator, container)
    label_out = operator.outputs[0].full_name
    dtype = _dtypes(operator)[1]
    kind = _label_kind(model)
    if kind == "multilabel" or model.n_outputs_ == 1:
        half = _constant(scope, container, "half", np.array(0.5, dtype), proto)
    if kind == "multilabel":  # LabelBinarizer.inverse_transform: p > 0.5
        _probabilities(scope, operator, container, p)
        fires = _node(scope, container, "Greater", [p, half], "fires")
        apply_cast(scope, fires, label_out, container, to=onnx_proto.TensorProto.INT64)
        return
    if model.n_outputs_ == 1:  # binary: the positive class's probability p; label p > 0.5
        one = _constant(scope, container, "one", np.array(1.0, dtype), proto)
        both = scope.get_unique_variable_name("probabilities")
        _two_columns(scope, container, _node(scope, container, "Sub", [one, p], "q"), p, both)
        _probabilities(scope, operator, container, both)
        index = _flat_index(scope, container, _node(scope, container, "Greater", [p, half], "fires"))
    else:
        _probabilities(scope, operator, container, p)
        index = _node(scope, container, "ArgMax", [p], "index", axis=1, keepdims=0)
    _labels(scope, container, model, index, label_out)


def _convert_regressor(scope, operator, container):
    y, _ = _network(scope, operator, container)
    container.add_node("Identity", [y], operator.outputs[0].full_name, name=scope.get_unique_operator_name("Identity"))


def _convert_perceptron(scope, operator, container):
    model = operator.raw_operator
    proto, dtype = _dtypes(operator)
    x = scope.get_unique_variable_name("x")
    apply_cast(scope, operator.inputs[0].full_name, x, container, to=proto)
    s = _dense(scope, container, x, np.asarray(model.coef_).T, np.asarray(model.intercept_), proto, dtype)
    if len(model.classes_) == 2:  # one unit: label where it fires, scores [-s, s]
        both = scope.get_unique_variable_name("scores")
        _two_columns(scope, container, _node(scope, container, "Neg", [s], "minus"), s, both)
        _probabilities(scope, operator, container, both)
        zero = _constant(scope, container, "zero", np.array(0.0, dtype), proto)
        index = _flat_index(scope, container, _node(scope, container, "Greater", [s, zero], "fires"))
    else:
        _probabilities(scope, operator, container, s)
        index = _node(scope, container, "ArgMax", [s], "index", axis=1, keepdims=0)
    _labels(scope, container, model, index, operator.outputs[0].full_name)


def _register():
    update_registered_converter(
        MLPClassifier, "FusedmlpMLPClassifier", _classifier_shapes, _convert_classifier, options=_CLASSIFIER_OPTIONS
    )
    update_registered_converter(MLPRegressor, "FusedmlpMLPRegressor", _regressor_shapes, _convert_regressor)
    update_registered_converter(
        Perceptron, "FusedmlpPerceptron", _classifier_shapes, _convert_perceptron, options=_CLASSIFIER_OPTIONS
    )


_register()
