#!/usr/bin/env python3
"""airbench_ref.py - airbench94's recipe in PyTorch, as a reference for
mscnn's `air` recipe on the same data (a check of accuracy, not speed).

Trains the airbench94 network with its published recipe (Keller Jordan,
2024: batch 1024, Nesterov SGD 0.85 on the summed loss, label smoothing 0.2,
a triangular schedule 0.2 -> 1 -> 0 with its peak at 20 % of the steps, BN
biases at 64x the learning rate, lookahead every 5 steps, 2-pixel reflect
translation, alternating flips, the whitening bias trained for 3 epochs)
on CIFAR-10 in its binary format, then prints the test accuracy with
test-time augmentation levels 0, 1 and 2. Written from the recipe's
description for this project; CPU, float32.

    python3 bench/airbench_ref.py --data_dir ../shared/data/cifar-10-batches-bin \\
        --train_n 40500 --epochs 10 --threads 2
"""
import argparse
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_batches(paths):
    recs = [np.fromfile(p, dtype=np.uint8).reshape(-1, 3073) for p in paths]
    r = np.concatenate(recs)
    return r[:, 1:].reshape(-1, 3, 32, 32), r[:, 0].astype(np.int64)


def balanced_subset(x, y, n):
    """The first n / 10 images of each class, in file order."""
    per = n // 10
    idx = np.concatenate([np.flatnonzero(y == c)[:per] for c in range(10)])
    idx.sort()
    return x[idx], y[idx]


class BatchNorm(nn.BatchNorm2d):
    """Scale frozen at 1, trained bias; airbench's 'momentum 0.6'."""

    def __init__(self, c):
        super().__init__(c, eps=1e-12, momentum=0.4)
        self.weight.requires_grad = False


class Conv(nn.Conv2d):
    """3x3 'same' conv without bias, starting as a partial identity."""

    def __init__(self, cin, cout):
        super().__init__(cin, cout, 3, padding=1, bias=False)
        with torch.no_grad():
            nn.init.dirac_(self.weight[:cin])


def group(cin, cout):
    return [Conv(cin, cout), nn.MaxPool2d(2), BatchNorm(cout), nn.GELU(),
            Conv(cout, cout), BatchNorm(cout), nn.GELU()]


class Mul(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.s = s

    def forward(self, x):
        return x * self.s


def make_net():
    whiten = nn.Conv2d(3, 24, 2, padding=0, bias=True)
    return nn.Sequential(whiten, nn.GELU(), *group(24, 64), *group(64, 256),
                         *group(256, 256), nn.MaxPool2d(3), nn.Flatten(),
                         nn.Linear(256, 10, bias=False), Mul(1 / 9))


def init_whitening(conv, images, eps=5e-4):
    patches = images.unfold(2, 2, 1).unfold(3, 2, 1)           # n,c,31,31,2,2
    patches = patches.permute(0, 2, 3, 1, 4, 5).reshape(-1, 12).double()
    cov = patches.T @ patches / len(patches)
    val, vec = torch.linalg.eigh(cov)
    w = (vec.T / torch.sqrt(val + eps)[:, None]).reshape(12, 3, 2, 2).float()
    with torch.no_grad():
        conv.weight[:] = torch.cat([w, -w])
        conv.bias.zero_()


def translate(x, pad):
    """Random crops of the reflect-padded batch, one shift per image."""
    n = len(x)
    xp = F.pad(x, (pad,) * 4, mode="reflect")
    dx = torch.randint(0, 2 * pad + 1, (n,))
    dy = torch.randint(0, 2 * pad + 1, (n,))
    out = torch.empty_like(x)
    for sx in range(2 * pad + 1):
        for sy in range(2 * pad + 1):
            m = (dx == sx) & (dy == sy)
            out[m] = xp[m, :, sy:sy + 32, sx:sx + 32]
    return out


def infer(net, x, level):
    def mirror(v):
        return 0.5 * net(v) + 0.5 * net(v.flip(-1))
    if level == 0:
        return net(x)
    if level == 1:
        return mirror(x)
    xp = F.pad(x, (1,) * 4, mode="reflect")
    shifted = 0.5 * mirror(xp[:, :, 0:32, 0:32]) + 0.5 * mirror(xp[:, :, 2:34, 2:34])
    return 0.5 * mirror(x) + 0.5 * shifted


def evaluate(net, x, y, level):
    net.eval()
    hits = 0
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            hits += (infer(net, x[i:i + 1000], level).argmax(1) == y[i:i + 1000]).sum().item()
    return hits / len(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data_dir", required=True)
    ap.add_argument("--train_n", type=int, default=50000)
    ap.add_argument("--epochs", type=float, default=9.9)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    d = a.data_dir
    xtr, ytr = read_batches([os.path.join(d, f"data_batch_{i}.bin") for i in range(1, 6)])
    xte, yte = read_batches([os.path.join(d, "test_batch.bin")])
    if a.train_n < len(xtr):
        xtr, ytr = balanced_subset(xtr, ytr, a.train_n)
    xtr = torch.tensor(xtr).float() / 255
    xte = torch.tensor(xte).float() / 255
    mean = xtr.mean((0, 2, 3), keepdim=True)
    std = xtr.std((0, 2, 3), keepdim=True)
    xtr, xte = (xtr - mean) / std, (xte - mean) / std
    ytr, yte = torch.tensor(ytr), torch.tensor(yte)

    bs, momentum, label_smoothing = 1024, 0.85, 0.2
    kilostep = 1024 * (1 + 1 / (1 - momentum))
    lr = 11.5 / kilostep
    wd = 0.0153 * bs / kilostep
    lr_bias = lr * 64
    net = make_net()
    init_whitening(net[0], xtr[:5000])
    net[0].weight.requires_grad = False
    norm_biases = [p for n, p in net.named_parameters() if p.requires_grad and "bias" in n
                   and not n.startswith("0.")]
    other = [p for n, p in net.named_parameters() if p.requires_grad and
             not any(p is q for q in norm_biases)]
    opt = torch.optim.SGD([dict(params=norm_biases, lr=lr_bias, weight_decay=wd / lr_bias),
                           dict(params=other, lr=lr, weight_decay=wd / lr)],
                          momentum=momentum, nesterov=True)
    steps_per_epoch = (len(xtr) + bs - 1) // bs
    total = int(np.ceil(steps_per_epoch * a.epochs))
    sched = np.interp(np.arange(1 + total), [0, int(0.2 * total), total], [0.2, 1, 0])
    base = [g["lr"] for g in opt.param_groups]
    alpha = 0.95 ** 5 * (np.arange(total + 1) / total) ** 3
    slow = {k: v.clone() for k, v in net.state_dict().items()}
    flip0 = torch.rand(len(xtr)) < 0.5
    step, t0 = 0, time.time()
    for epoch in range(int(np.ceil(a.epochs))):
        net.train()
        net[0].bias.requires_grad = epoch < 3
        flip = flip0 ^ bool(epoch % 2)
        xe = torch.where(flip[:, None, None, None], xtr.flip(-1), xtr)
        xe = translate(xe, 2)
        order = torch.randperm(len(xtr))
        for i in range(0, len(xtr), bs):
            if step >= total:
                break
            idx = order[i:i + bs]
            loss = F.cross_entropy(net(xe[idx]), ytr[idx], label_smoothing=label_smoothing,
                                   reduction="sum")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            for g, b in zip(opt.param_groups, base):
                g["lr"] = b * sched[step]
            opt.step()
            step += 1
            if step % 5 == 0:
                with torch.no_grad():
                    for k, v in net.state_dict().items():
                        if v.dtype == torch.float32:
                            slow[k].lerp_(v, 1 - alpha[step])
                            v.copy_(slow[k])
        print(f"epoch {epoch + 1}: {time.time() - t0:.0f} s, accuracy on 2000 test images "
              f"(no TTA) {evaluate(net, xte[:2000], yte[:2000], 0):.4f}", flush=True)
    with torch.no_grad():
        for k, v in net.state_dict().items():
            if v.dtype == torch.float32:
                v.copy_(slow[k])
    accs = [evaluate(net, xte, yte, lv) for lv in range(3)]
    print(f"train_n={len(xtr)} epochs={a.epochs} steps={total} seconds={time.time() - t0:.0f} "
          f"tta0={accs[0]:.4f} tta1={accs[1]:.4f} tta2={accs[2]:.4f}")


if __name__ == "__main__":
    main()
