#!/usr/bin/env python3
"""Checks that engine/without_cuda.cpp stands in for the whole CUDA half: every symbol that
plain C++ in libfovea takes from the CUDA folders (engine/cuda, engine/ops/cuda,
kernels/cuda) is defined by the stub object too, so a -DFOVEA_CUDA=OFF build links.

It runs in the CUDA build, on that build's object files, which saves building everything
a second time without CUDA: the plain C++ objects are the same in both builds.

The test executables count as plain C++ too (tests/cuda/*.cpp compile without CUDA in
a CPU-only build and call fovea::cuda:: functions such as upload_async).

Usage: check_without_cuda.py SOURCE_DIR BUILD_DIR STUB_OBJECT
  SOURCE_DIR   the repository (objects of deleted sources are ignored)
  BUILD_DIR    the CUDA build
  STUB_OBJECT  engine/without_cuda.cpp compiled on its own
"""
import pathlib
import subprocess
import sys

CUDA_FOLDERS = ("engine/cuda/", "engine/ops/cuda/", "kernels/cuda/")


def symbols(path, defined):
    flag = "--defined-only" if defined else "--undefined-only"
    out = subprocess.run(["nm", "-P", flag, str(path)], capture_output=True, text=True,
                         check=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and (not defined or parts[1] in "TtWwVvDdBbRr"):
            names.add(parts[0])
    return names


def demangle(names):
    out = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True)
    return out.stdout.splitlines()


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    source_dir, build_dir, stub = (pathlib.Path(arg) for arg in sys.argv[1:])
    cuda_defined, plain_needs = set(), set()
    # (object folder, the source folder its objects' paths are relative to)
    folders = [(build_dir / "CMakeFiles" / "fovea.dir", source_dir)]
    folders += [(d, source_dir / "tests") for d in sorted((build_dir / "tests" / "CMakeFiles").glob(
        "fovea_*_tests.dir"))]
    for object_dir, sources in folders:
        for obj in sorted(object_dir.rglob("*.o")):
            source = sources / obj.relative_to(object_dir).as_posix()[: -len(".o")]
            if not source.exists():
                continue  # left over from a source that was moved or deleted
            rel = source.relative_to(source_dir).as_posix()
            if rel.startswith(CUDA_FOLDERS):
                cuda_defined |= symbols(obj, defined=True)
            elif not rel.startswith("engine/without_cuda"):
                plain_needs |= symbols(obj, defined=False)
    if not cuda_defined:
        print(f"check_without_cuda: no CUDA objects under {build_dir}; is this a CUDA build?")
        return 2
    needed = plain_needs & cuda_defined
    missing = sorted(needed - symbols(stub, defined=True))
    for name in demangle(missing):
        print(f"engine/without_cuda.cpp: no stand-in for {name}")
    if missing:
        print(f"check_without_cuda: {len(missing)} of {len(needed)} symbols missing; "
              "a -DFOVEA_CUDA=OFF build would not link")
        return 1
    print(f"check_without_cuda: all {len(needed)} symbols plain C++ takes from the CUDA "
          "half have a stand-in")
    return 0


if __name__ == "__main__":
    sys.exit(main())
