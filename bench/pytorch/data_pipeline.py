#!/usr/bin/env python3
"""The data benchmark's pipeline in torchvision, single-threaded, on the same JPEG files.

Per image: PIL open + decode + convert("RGB"), RandomResizedCrop(224) (bilinear,
antialiased, as torchvision does on PIL images), RandomHorizontalFlip, ToTensor,
Normalize(ImageNet mean/std). It prints images/s on one core for the whole pipeline and
for the decode alone, as `key=value` lines for bench/data_vs_torchvision.sh.

Usage: data_pipeline.py JPEG_FOLDER [--seconds 10]
"""
import argparse
import os
import pathlib
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision import transforms  # noqa: E402


def timed_rate(files, work, seconds):
    """Images/s of work(path) over the files, repeated until `seconds` have passed."""
    for path in files[:20]:  # warm the page cache and the allocator
        work(path)
    start, count = time.process_time(), 0
    while time.process_time() - start < seconds:
        for path in files:
            work(path)
        count += len(files)
    return count / (time.process_time() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    files = sorted(str(p) for p in pathlib.Path(args.folder).rglob("*.jpg"))
    pipeline = transforms.Compose([
        transforms.RandomResizedCrop(224),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)),
    ])

    def decode(path):
        with Image.open(path) as image:
            return image.convert("RGB")

    def decode_augment(path):
        return pipeline(decode(path))

    print(f"files={len(files)}")
    print(f"torch={torch.__version__} pillow={Image.__version__}")
    print(f"torchvision_decode_img_per_s={timed_rate(files, decode, args.seconds / 2):.1f}")
    print(f"torchvision_pipeline_img_per_s={timed_rate(files, decode_augment, args.seconds):.1f}")


if __name__ == "__main__":
    main()
