#!/usr/bin/python3
"""pytorch_twin.py - the mscnn networks in PyTorch, timed the way `mscnn bench`
times them, for a side-by-side speed comparison.

Trains `basic` or `air` (the same layers, shapes and parameter counts as
src/engine/net.c) on synthetic 32x32x3 input at a given batch size: forward,
softmax cross-entropy, backward and a Nesterov SGD step per iteration, after
warm-up, median of repeats; then times inference. Runs both memory layouts
(NCHW and channels_last) and reports the faster, ending with the same
machine-readable line as `mscnn bench`. With --precision bf16 it trains
under CPU autocast to bfloat16 (channels_last only, the layout oneDNN's
bf16 kernels want), as mscnn's --precision bf16 does: convolutions in
bf16, weights and loss in fp32. The last line is:

    train_img_s=... infer_img_s=... gflop_per_img=... train_gflops=...

Run it with PyTorch on OpenBLAS (bench/compare.sh sets LD_LIBRARY_PATH; see
../shared/ANCHORS.md): Debian's torch otherwise takes whatever libblas.so.3
the system has.
"""
import argparse
import statistics
import sys
import time

import torch
from torch import nn


def basic_net(k):
    """The Keras CIFAR-10 example CNN (DESIGN.md section 1)."""
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
        nn.Flatten(), nn.Linear(2304, 512), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(512, k))


class Mul(nn.Module):
    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        return x * self.scale


class GlobalMaxPool(nn.Module):
    def forward(self, x):
        return torch.amax(x, dim=(2, 3))


def air_bn(c):
    """airbench's BatchNorm: scale frozen at 1, trained bias; its
    "momentum 0.6" is PyTorch's momentum=0.4."""
    bn = nn.BatchNorm2d(c, momentum=0.4, eps=1e-12)
    bn.weight.requires_grad = False
    return bn


def air_group(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.MaxPool2d(2),
            air_bn(cout), nn.GELU(),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False), air_bn(cout), nn.GELU()]


def air_net(k):
    """airbench94: frozen 2x2 whitening conv and a GELU, three conv groups,
    global max pool, linear with 1/9 scale."""
    whiten = nn.Conv2d(3, 24, 2, padding=0, bias=False)
    whiten.weight.requires_grad = False
    return nn.Sequential(
        whiten, nn.GELU(), *air_group(24, 64), *air_group(64, 256), *air_group(256, 256),
        GlobalMaxPool(), nn.Linear(256, k, bias=False), Mul(1 / 9))


NETS = {"basic": basic_net, "air": air_net}


def forward_flops(net):
    """Multiply-adds x 2 of one image's forward pass through convs and
    linear layers (the count mscnn uses)."""
    flops = 0
    hooks = []

    def conv_hook(m, inp, out):
        nonlocal flops
        flops += 2 * out[0].numel() * m.in_channels * m.kernel_size[0] * m.kernel_size[1]

    def linear_hook(m, inp, out):
        nonlocal flops
        flops += 2 * m.in_features * m.out_features

    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
    with torch.no_grad():
        net.eval()
        net(torch.zeros(1, 3, 32, 32))
    for h in hooks:
        h.remove()
    return flops


def median_rate(fn, images, warmup, repeats):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return images / statistics.median(times)


def measure(arch, batch, layout, warmup, repeats, precision="fp32", k=10):
    torch.manual_seed(0)
    net = NETS[arch](k)
    x = torch.randn(batch, 3, 32, 32)
    y = torch.randint(0, k, (batch,))
    if layout == "channels_last":
        net = net.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.2)

    bf16 = precision == "bf16"

    def train_step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()

    def infer_step():
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            net(x)

    net.train()
    train = median_rate(train_step, batch, warmup, repeats)
    net.eval()
    infer = median_rate(infer_step, batch, warmup, repeats)
    return train, infer


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", choices=sorted(NETS), required=True)
    ap.add_argument("--batch_size", type=int, required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=0,
                    help="timed training steps (default: about 8 s worth)")
    ap.add_argument("--layout", choices=["both", "nchw", "channels_last"], default="both")
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                    help="bf16: CPU autocast to bfloat16, channels_last")
    a = ap.parse_args()
    if a.batch_size < 1 or a.threads < 1:
        sys.exit("pytorch_twin.py: --batch_size and --threads must be positive")
    torch.set_num_threads(a.threads)
    gflop = forward_flops(NETS[a.arch](10)) / 1e9
    repeats = a.repeats or max(5, min(60, int(8.0 / (3 * gflop * a.batch_size / 60.0))))
    layouts = ["nchw", "channels_last"] if a.layout == "both" else [a.layout]
    if a.precision == "bf16":
        layouts = ["channels_last"]
    best = None
    print(f"PyTorch {torch.__version__}, {a.threads} threads, {a.arch}, batch {a.batch_size}, "
          f"{a.precision}, {repeats} timed steps per measure")
    for layout in layouts:
        train, infer = measure(a.arch, a.batch_size, layout, 3, repeats, a.precision)
        print(f"  {layout:14s} train {train:8.1f} img/s   infer {infer:8.1f} img/s   "
              f"{3 * gflop * train:6.1f} GFLOP/s")
        if best is None or train > best[1]:
            best = (layout, train, infer)
    layout, train, infer = best
    print(f"faster layout: {layout}")
    print(f"train_img_s={train:.1f} infer_img_s={infer:.1f} gflop_per_img={gflop:.4f} "
          f"train_gflops={3 * gflop * train:.1f}")


if __name__ == "__main__":
    main()
