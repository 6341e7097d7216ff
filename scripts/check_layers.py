#!/usr/bin/env python3
"""Fails on an include that points upward through fovea's layers, or on backend code
outside the seam (see docs/architecture.md and ../shared/DESIGN.md, "Layers of the code").

Rules:
  1. A file in layer L includes project headers only from L or the layers below it
     (kernels < engine < layers < models < data < train < export < tools).
  2. kernels/ is a leaf: it includes nothing from engine/ or above.
  3. Plain C++ outside the CUDA folders includes no CUDA header: not <cuda*.h>, <cublas*>,
     <cudnn.h>, <nvtx3/...>, nor anything in kernels/cuda/ or engine/cuda/. The CUDA
     folders are kernels/cuda, engine/cuda and engine/ops/cuda, plus tests/cuda and
     bench/cuda. An engine/ops/cuda/<family>.h that plain C++ includes (the CUDA half's
     declarations) is plain C++ itself and obeys the same rule.
  4. FOVEA_HAS_CUDA appears in no source file: a CPU-only build links
     engine/without_cuda.cpp instead of the CUDA halves.

Usage: scripts/check_layers.py [root]   (exit status 1 and one line per fault)
       scripts/check_layers.py --self-test (plants one fault of each kind in a scratch tree
                                           and fails unless every one is reported)
"""
import pathlib
import re
import sys

LAYERS = ["kernels", "engine", "layers", "models", "data", "train", "export", "tools"]
RANK = {name: i for i, name in enumerate(LAYERS)}
CUDA_FOLDERS = ("kernels/cuda/", "engine/cuda/", "engine/ops/cuda/", "tests/cuda/", "bench/cuda/")
SOURCE_SUFFIXES = {".h", ".cpp", ".cu", ".cuh"}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
CUDA_SYSTEM_HEADER = re.compile(r"^(cuda[\w]*\.h|cub/|thrust/|cublas|cudnn|nvtx3/|nccl\.h|curand)")



def layer_of(rel):
    top = rel.split("/", 1)[0]
    return top if top in RANK else None


def sources(root):
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.suffix in SOURCE_SUFFIXES and not rel.startswith(("build", ".")):
            yield rel, path.suffix, path.read_text(errors="replace")


def includes(text):
    for number, line in enumerate(text.splitlines(), 1):
        match = INCLUDE.match(line)
        if match:
            yield number, match.group(1) == '"', match.group(2)


def faults(root):
    files = list(sources(root))
    # The engine/ops/cuda headers that plain C++ includes: the seam's declarations.
    seam_headers = {target for rel, _, text in files if not rel.startswith(CUDA_FOLDERS)
                    for _, quoted, target in includes(text)
                    if quoted and target.startswith("engine/ops/cuda/")}
    for rel, suffix, text in files:
        if "FOVEA_HAS_CUDA" in text:
            yield f"{rel}: mentions FOVEA_HAS_CUDA; put the CUDA half behind the seam instead"
        layer = layer_of(rel)
        in_cuda_folder = rel.startswith(CUDA_FOLDERS) and rel not in seam_headers
        for number, quoted, target in includes(text):
            where = f"{rel}:{number}"
            if not in_cuda_folder:
                if (quoted and target.startswith(("kernels/cuda/", "engine/cuda/"))) or (
                        not quoted and CUDA_SYSTEM_HEADER.match(target)):
                    yield f"{where}: plain C++ includes the CUDA header {target}"
            if not quoted or layer is None:
                continue
            target_layer = layer_of(target)
            if target_layer is None:
                continue
            if RANK[target_layer] > RANK[layer]:
                yield f"{where}: {layer}/ includes {target}, which is in the higher layer {target_layer}/"


def self_test():
    import tempfile
    planted = {
        "kernels/leaf.h": '#include "engine/tensor.h"\n',                 # rule 2
        "layers/up.h": '#include "models/resnet.h"\n',                      # rule 1
        "engine/ops/plain.cpp": "#include <cuda_runtime.h>\n",               # rule 3
        "train/backend.cpp": "#ifdef FOVEA_HAS_CUDA\n#endif\n",           # rule 4
        "engine/ops/seam.cpp": '#include "engine/ops/cuda/seam.h"\n',
        "engine/ops/cuda/seam.h": '#include "kernels/cuda/seam.h"\n',       # rule 3, seam header
        "engine/ops/cuda/half.cpp": '#include "kernels/cuda/seam.h"\n',     # allowed
    }
    with tempfile.TemporaryDirectory() as scratch:
        root = pathlib.Path(scratch)
        for rel, text in planted.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        found = list(faults(root))
    expected = ["kernels/leaf.h:1", "layers/up.h:1", "engine/ops/plain.cpp:1",
                "train/backend.cpp: mentions", "engine/ops/cuda/seam.h:1"]
    missing = [e for e in expected if not any(f.startswith(e) for f in found)]
    extra = [f for f in found if not any(f.startswith(e) for e in expected)]
    for line in missing:
        print(f"self-test: the planted fault {line} was not reported")
    for line in extra:
        print(f"self-test: reported a fault that was not planted: {line}")
    print("check_layers self-test:", "FAILED" if missing or extra else "every planted fault found")
    return 1 if missing or extra else 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent.parent)
    found = list(faults(root.resolve()))
    for fault in found:
        print(fault)
    if found:
        print(f"check_layers: {len(found)} fault(s); see docs/architecture.md for the layers")
        return 1
    print("check_layers: every include points down the layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
