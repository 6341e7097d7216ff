"""References for the shape ops: cat, stack, pad, roll, gather, index_select, embedding,
one_hot and interpolate (f32). Images are NHWC as in fovea; interpolate runs on NCHW in
PyTorch and is permuted back."""
import torch
import torch.nn.functional as F

from common import Cases, nchw, nhwc


def interpolate_nhwc(x, **kwargs):
    return nhwc(F.interpolate(nchw(x), **kwargs))


def build():
    c = Cases(seed=0)

    # DenseNet's channel concat of NHWC maps, and a concat along the batch.
    c.record("cat_last", lambda a, b, d: torch.cat([a, b, d], dim=-1),
             a=torch.randn(2, 3, 4, 5), b=torch.randn(2, 3, 4, 2), d=torch.randn(2, 3, 4, 7))
    c.record("cat_first", lambda a, b: torch.cat([a, b], dim=0),
             a=torch.randn(2, 3, 4), b=torch.randn(5, 3, 4))
    c.record("stack", lambda a, b, d: torch.stack([a, b, d], dim=1),
             a=torch.randn(2, 3), b=torch.randn(2, 3), d=torch.randn(2, 3))

    # Swin pads windows on the right and bottom of NHWC maps; negative pads crop.
    c.record("pad_swin", lambda input: F.pad(input, (0, 0, 0, 3, 0, 2)),
             input=torch.randn(2, 5, 4, 3))
    c.record("pad_mixed", lambda input: F.pad(input, (2, -1, -1, 3), value=0.5),
             input=torch.randn(2, 4, 5))

    # Swin's cyclic shift of the windows.
    c.record("roll_swin", lambda input: torch.roll(input, shifts=(-3, -3), dims=(1, 2)),
             input=torch.randn(2, 14, 14, 8))
    c.record("roll_flat", lambda input: torch.roll(input, shifts=4), input=torch.randn(3, 5))

    x = torch.randn(4, 6, 5)
    c.record("gather_1", lambda input, index: torch.gather(input, 1, index),
             input=x, index=torch.randint(0, 6, (4, 3, 5)))
    c.record("gather_last", lambda input, index: torch.gather(input, -1, index),
             input=x, index=torch.randint(0, 5, (3, 6, 8)))

    # Swin's relative position bias: table[(2W-1)^2, heads] indexed by [W^2 * W^2].
    window = 3
    coords = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window),
                                        indexing="ij")).flatten(1)
    relative = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (window - 1)
    relative_index = (relative[:, :, 0] * (2 * window - 1) + relative[:, :, 1]).flatten()
    c.record("index_select_bias", lambda input, index: torch.index_select(input, 0, index),
             input=torch.randn((2 * window - 1) ** 2, 4), index=relative_index)
    c.record("index_select_1", lambda input, index: torch.index_select(input, 1, index),
             input=torch.randn(3, 5, 4), index=torch.tensor([4, 0, 0, 2, 4, 4], dtype=torch.int32))

    c.record("embedding", lambda weight, indices: F.embedding(indices, weight),
             weight=torch.randn(10, 6), indices=torch.randint(0, 10, (3, 4)))
    labels = torch.randint(0, 7, (2, 5))
    c.add("one_hot", indices=labels, y=F.one_hot(labels, 7))

    # ViT position-embedding resize (14 -> 24), downsampling (13 -> 7) and doubling.
    grid = torch.randn(2, 14, 14, 6)
    small = torch.randn(1, 13, 13, 5)
    for mode in ("bilinear", "bicubic"):
        for corners in (False, True):
            tag = f"{mode}_{'ac' if corners else 'hp'}"
            c.record(f"up_{tag}", lambda input: interpolate_nhwc(
                input, size=(24, 24), mode=mode, align_corners=corners), input=grid)
            c.record(f"down_{tag}", lambda input: interpolate_nhwc(
                input, size=(7, 7), mode=mode, align_corners=corners), input=small)
            c.record(f"scale2_{tag}", lambda input: interpolate_nhwc(
                input, scale_factor=2, mode=mode, align_corners=corners), input=small)
        # A factor that is not size_out / size_in exactly: 13 * 1.7 = 22.1 -> 22.
        c.record(f"scale17_{mode}", lambda input: interpolate_nhwc(
            input, scale_factor=1.7, mode=mode, align_corners=False), input=small)
    c.record("up_nearest", lambda input: interpolate_nhwc(input, size=(24, 24), mode="nearest"),
             input=grid)
    c.record("down_nearest", lambda input: interpolate_nhwc(input, size=(7, 7), mode="nearest"),
             input=small)
    c.record("scale2_nearest", lambda input: interpolate_nhwc(
        input, scale_factor=2, mode="nearest"), input=small)
    c.record("scale17_nearest", lambda input: interpolate_nhwc(
        input, scale_factor=1.7, mode="nearest"), input=small)
    c.record("rect_bicubic", lambda input: interpolate_nhwc(
        input, size=(9, 20), mode="bicubic", align_corners=False), input=torch.randn(2, 5, 7, 3))
    return c.tensors
