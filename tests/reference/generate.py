#!/usr/bin/env python3
"""Writes the PyTorch reference files that fovea's parity tests read.

Every tests/reference/ref_<family>.py module has either a build() that returns a dict of
named tensors, saved as <out>/<family>.safetensors, or a build_files() that yields
(name, tensors) pairs, saved as <out>/<family>/<name>.safetensors. It runs with Debian's
python3-torch (PyTorch 1.13, CPU) and the pinned safetensors/timm that test.sh installs
into build/pydeps. Images are NHWC and conv weights [out, kh, kw, in], as in fovea.
"""
import argparse
import importlib
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True, help="folder for the .safetensors files")
    parser.add_argument("--only", nargs="*", help="families to build (default: all)")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(HERE))
    import common  # noqa: E402  (needs the path above)

    modules = sorted(HERE.glob("ref_*.py"))
    for path in modules:
        family = path.stem[len("ref_"):]
        if args.only and family not in args.only:
            continue
        start = time.time()
        module = importlib.import_module(path.stem)
        if hasattr(module, "build_files"):
            # One file per entry (models: one per architecture, so a test loads only
            # the weights it needs): <out>/<family>/<name>.safetensors.
            for name, tensors in module.build_files():
                (out / family).mkdir(exist_ok=True)
                common.save(tensors, out / family / f"{name}.safetensors")
                print(f"{family}/{name}: {len(tensors)} tensors in {time.time() - start:.1f}s")
                start = time.time()
        else:
            tensors = module.build()
            common.save(tensors, out / f"{family}.safetensors")
            print(f"{family}: {len(tensors)} tensors in {time.time() - start:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
