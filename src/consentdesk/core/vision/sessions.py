"""One way to open an onnxruntime session for the check's models (faces, text detection, recognition).

Why one place: the settings measured to matter are the same for every model (bench/face_frame.py and
bench/real_photos.py, one 12 MP photo on one thread):
- the CPU memory arena stays on, so a run reuses the buffers of the last one: RapidOCR turns it off, and
  its text detector then spent ~0.23 s CPU per photo instead of ~0.17 s (fresh pages zeroed on each run);
- idle threads sleep instead of spinning: this machine's cores are shared by two import workers (and
  everything else), where spinning cost CPU the other worker needed and slowed the run down;
- the graph is optimised fully and runs on the CPU only (no model is ever fetched or compiled elsewhere).
"""

from __future__ import annotations

import os
from pathlib import Path


def open_session(model: bytes | str | Path, threads: int | None = None):
    """An onnxruntime InferenceSession on `model` (a file or its bytes), with `threads` intra-op threads
    (None: every core)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.inter_op_num_threads = 1
    options.enable_cpu_mem_arena = True
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # CenterFace's unused BatchNorm counters are reported at load
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
