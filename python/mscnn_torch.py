#!/usr/bin/python3
"""mscnn_torch - an mscnn model directory in PyTorch.

mscnn saves every weight of a model in <dir>/model.safetensors, and in that
file's ``__metadata__`` everything else a prediction needs (arch, class
names, input normalisation, per-category thresholds and judge calibration).
This module rebuilds the two-stage classifier of DESIGN.md section 1 in
PyTorch with the same tensor names, loads the weights and predicts as
``mscnn predict`` does: Stage 1's class p, its max softmax (msp), judge p's
score s = P(Stage 1 is right), and the final answer p if s >= tau_p, else
OTHER (index K).

It needs only torch: the safetensors file is read with json and struct
(the ``safetensors`` package is not used). PNG and JPEG input needs PIL.

Use from Python::

    import mscnn_torch
    model = mscnn_torch.load_model("multistage_cnn_model")    # eval mode
    images = mscnn_torch.read_images(["a.png", "test_batch.bin"])  # uint8
    out = model.predict(images)              # a dict of tensors, see predict()
    model.meta.class_names[out["answer"][0]] # or "OTHER" when == K

From the shell (JSON lines in ``mscnn predict --format jsonl``'s schema,
plus every class's probability under "probs", an object class -> p)::

    python3 python/mscnn_torch.py predict -m DIR [--tta N] [--threshold T] FILE...

The layers (src/engine/net.c):

* ``basic``: conv3x3 32 (pad 1) ReLU, conv3x3 32 (valid), maxpool 2, ReLU,
  conv3x3 64 (pad 1) ReLU, conv3x3 64 (valid), maxpool 2, ReLU, dense 512
  ReLU, dense K; every conv and dense layer has a bias; dropout is
  inference's identity.
* ``air``: a frozen 2x2 whitening conv 3->24 (valid, no bias) and GELU, then
  groups g1, g2, g3 of widths 64, 256, 256: conv3x3 (pad 1, no bias),
  maxpool 2, BN, GELU, conv3x3 (pad 1, no bias), BN, GELU; BN has no scale
  (only a bias), eps 1e-12; a global max pool, linear K without bias, x 1/9.
  GELU is the exact (erf) one.
* judge (one per category, tensors ``judge.<c>.*``): conv3x3 16, ReLU,
  maxpool 2, conv3x3 32, ReLU, maxpool 2, conv3x3 32, ReLU, maxpool 2 (all
  pad 1 with bias), flatten, append the side input f, dense 64 ReLU, append
  f again, dense 2. f is Stage 1's softmax sorted descending, then
  log(f + 1e-4) / 9.2103 of each (2K values). The score is
  sigmoid(z1 - z0 + a_c logit(msp) + b_c), msp clamped to [1e-9, 1 - 1e-9],
  computed in double as mscnn does.

Inputs are uint8 images (N, 3, H, W) normalised as (v / 255 - mean) / std.
Test-time augmentation of Stage 1 (``tta``; the judges always see the image
itself): 0 none; 1 the mean of the logits of the image and its mirror; 2
those at 1/4 each and, at 1/8 each, the image shifted one pixel diagonally
either way (reflected at the border) and the mirror of each. mscnn's
recipe sets tta 2 for air and 0 for basic, as ``default_tta`` does here.
"""
import argparse
import configparser
import json
import math
import os
import struct
import sys

import torch
from torch import nn
import torch.nn.functional as F

JUDGE_FEATURES = "sorted_softmax_log1e-4"
FORMAT_VERSION = 1
STAGE1_ARCHS = ("basic", "air")

# ---- safetensors without the safetensors package ---------------------------

_DTYPES = {"F32": (torch.float32, 4), "F64": (torch.float64, 8), "I64": (torch.int64, 8),
           "I32": (torch.int32, 4), "U8": (torch.uint8, 1), "F16": (torch.float16, 2),
           "BF16": (torch.bfloat16, 2)}


def read_safetensors(path):
    """(tensors, metadata) of a safetensors file: a dict name -> tensor and
    the ``__metadata__`` dict of strings (empty when absent). Raises
    ValueError naming the file when it is truncated or malformed."""
    with open(path, "rb") as fp:
        blob = fp.read()
    if len(blob) < 8:
        raise ValueError("%s: too short for a safetensors file" % path)
    (hlen,) = struct.unpack("<Q", blob[:8])
    if hlen > len(blob) - 8:
        raise ValueError("%s: header length %d runs past the end of the file" % (path, hlen))
    try:
        header = json.loads(blob[8:8 + hlen].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError("%s: the header is not JSON: %s" % (path, err)) from None
    meta = header.pop("__metadata__", {}) or {}
    data = memoryview(blob)[8 + hlen:]
    if sys.byteorder != "little":
        raise ValueError("%s: this reader needs a little-endian machine" % path)
    tensors = {}
    for name, info in header.items():
        if info.get("dtype") not in _DTYPES:
            raise ValueError("%s: tensor %s has unsupported dtype %r" % (path, name, info.get("dtype")))
        dtype, size = _DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        shape = info["shape"]
        count = math.prod(shape)
        if not 0 <= begin <= end <= len(data) or end - begin != count * size:
            raise ValueError("%s: tensor %s's data_offsets %s do not fit its shape %s or the file"
                             % (path, name, info["data_offsets"], shape))
        raw = bytearray(data[begin:end])  # a copy: the tensor owns writable memory
        t = torch.frombuffer(raw, dtype=dtype) if count else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(shape)
    return tensors, meta


# ---- what besides the weights a prediction needs ---------------------------

class Meta:
    """arch, k, class_names, mean, std (3 floats each), thresholds (k),
    calibration (k triples a, b, w; a pair a, b means w = 0), tuned_by,
    dataset."""

    def __init__(self, arch, class_names, mean, std, thresholds, calibration,
                 tuned_by="", dataset=""):
        if arch not in STAGE1_ARCHS:
            raise ValueError("unknown Stage 1 arch %r (known: %s)" % (arch, ", ".join(STAGE1_ARCHS)))
        k = len(class_names)
        if len(thresholds) != k or len(calibration) != k or len(mean) != 3 or len(std) != 3:
            raise ValueError("inconsistent metadata: %d classes, %d thresholds, %d calibrations"
                             % (k, len(thresholds), len(calibration)))
        self.arch, self.k, self.class_names = arch, k, list(class_names)
        f32 = lambda v: struct.unpack("<f", struct.pack("<f", float(v)))[0]  # mscnn's floats
        self.mean, self.std = [f32(v) for v in mean], [f32(v) for v in std]
        self.thresholds = [float(v) for v in thresholds]
        self.calibration = [tuple(float(v) for v in (list(c) + [0.0])[:3]) for c in calibration]
        self.tuned_by, self.dataset = tuned_by, dataset


def meta_from_safetensors(meta, path):
    """Meta from model.safetensors' ``__metadata__``; None when the file
    predates it (no class_names key)."""
    if "class_names" not in meta:
        return None
    if meta.get("format") != "mscnn":
        raise ValueError("%s: not an mscnn model (format %r)" % (path, meta.get("format")))
    if meta.get("format_version") != str(FORMAT_VERSION):
        raise ValueError("%s: format_version %r, this module reads %d"
                         % (path, meta.get("format_version"), FORMAT_VERSION))
    if meta.get("judge_arch") != "judge" or meta.get("judge_features") != JUDGE_FEATURES:
        raise ValueError("%s: judges %r with features %r, this module builds 'judge' with %r"
                         % (path, meta.get("judge_arch"), meta.get("judge_features"), JUDGE_FEATURES))
    try:
        m = Meta(meta["arch"], json.loads(meta["class_names"]), json.loads(meta["mean"]),
                 json.loads(meta["std"]), json.loads(meta["thresholds"]),
                 json.loads(meta["calibration"]), meta.get("tuned_by", ""), meta.get("dataset", ""))
    except (KeyError, json.JSONDecodeError, TypeError, ValueError) as err:
        raise ValueError("%s: bad __metadata__: %s" % (path, err)) from None
    if str(m.k) != meta.get("classes"):
        raise ValueError("%s: classes = %r but %d class names" % (path, meta.get("classes"), m.k))
    return m


def meta_from_ini(path):
    """Meta from model.ini (models saved before model.safetensors carried it)."""
    ini = configparser.ConfigParser(interpolation=None)
    with open(path, encoding="utf-8") as fp:
        ini.read_file(fp)
    k = ini.getint("model", "classes")
    cats = [ini["category.%d" % c] for c in range(k)]
    floats = lambda s: [float(v) for v in s.split(",")]
    return Meta(ini.get("model", "arch"), [c["name"] for c in cats],
                floats(ini.get("normalization", "mean")), floats(ini.get("normalization", "std")),
                [float(c["threshold"]) for c in cats],
                [floats(c.get("calibration", "0,0")) for c in cats],
                ini.get("model", "tuned_by", fallback=""), ini.get("model", "dataset", fallback=""))


# ---- the networks, with mscnn's tensor names --------------------------------

class BiasBatchNorm(nn.Module):
    """Inference batch norm without a scale: (x - running_mean) /
    sqrt(running_var + eps) + bias (air's BN, airbench's)."""

    def __init__(self, c, eps=1e-12):
        super().__init__()
        self.eps = eps
        self.bias = nn.Parameter(torch.zeros(c))
        self.register_buffer("running_mean", torch.zeros(c))
        self.register_buffer("running_var", torch.ones(c))

    def forward(self, x):
        return F.batch_norm(x, self.running_mean, self.running_var, None, self.bias,
                            training=False, eps=self.eps)


class Basic(nn.Module):
    """The Keras CIFAR-10 example CNN (mscnn's ``basic``)."""

    def __init__(self, k, in_c=3, h=32, w=32):
        super().__init__()
        self.conv1 = nn.Conv2d(in_c, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 32, 3)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
        self.conv4 = nn.Conv2d(64, 64, 3)
        fh, fw = ((h - 2) // 2 - 2) // 2, ((w - 2) // 2 - 2) // 2
        self.fc1 = nn.Linear(64 * fh * fw, 512)
        self.fc2 = nn.Linear(512, k)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        x = F.relu(self.conv3(x))
        x = F.relu(F.max_pool2d(self.conv4(x), 2))
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


class AirGroup(nn.Module):
    def __init__(self, cin, width):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, width, 3, padding=1, bias=False)
        self.bn1 = BiasBatchNorm(width)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = BiasBatchNorm(width)

    def forward(self, x):
        x = F.gelu(self.bn1(F.max_pool2d(self.conv1(x), 2)))
        return F.gelu(self.bn2(self.conv2(x)))


class Air(nn.Module):
    """airbench94 (mscnn's ``air``, the default Stage 1)."""

    def __init__(self, k, in_c=3, widths=(64, 256, 256)):
        super().__init__()
        self.whiten = nn.Conv2d(in_c, 24, 2, bias=False)
        self.g1 = AirGroup(24, widths[0])
        self.g2 = AirGroup(widths[0], widths[1])
        self.g3 = AirGroup(widths[1], widths[2])
        self.fc = nn.Linear(widths[2], k, bias=False)

    def forward(self, x):
        x = self.g3(self.g2(self.g1(F.gelu(self.whiten(x)))))
        x = torch.amax(x, dim=(2, 3))
        return self.fc(x) * (1.0 / 9.0)


def judge_features(probs):
    """The judges' side input from Stage 1's softmax (N, K) -> (N, 2K)."""
    f = torch.sort(probs, dim=1, descending=True).values
    return torch.cat([f, torch.log(f + 1e-4) / 9.2103], dim=1)


class Judge(nn.Module):
    """A Stage 2 judge: two logits (wrong, right) from the image and the
    side input."""

    def __init__(self, k, in_c=3, h=32, w=32):
        super().__init__()
        self.conv1 = nn.Conv2d(in_c, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.conv3 = nn.Conv2d(32, 32, 3, padding=1)
        feat = 32 * (h // 8) * (w // 8)
        self.fc1 = nn.Linear(feat + 2 * k, 64)
        self.fc2 = nn.Linear(64 + 2 * k, 2)

    def forward(self, x, side):
        for conv in (self.conv1, self.conv2, self.conv3):
            x = F.max_pool2d(F.relu(conv(x)), 2)
        x = F.relu(self.fc1(torch.cat([torch.flatten(x, 1), side], dim=1)))
        return self.fc2(torch.cat([x, side], dim=1))


def _shift(x, d):
    """The image moved by d pixels on both axes (out[y, x] = in[y + d, x + d]),
    reflected at the border (d is -1 or 1)."""
    p = F.pad(x, (1, 1, 1, 1), mode="reflect")
    h, w = x.shape[2], x.shape[3]
    return p[:, :, 1 + d:1 + d + h, 1 + d:1 + d + w]


def default_tta(arch):
    """The TTA level mscnn's recipe uses for arch: air's 2, basic's 0."""
    return 2 if arch == "air" else 0


class MSCNN(nn.Module):
    """Stage 1 (``stage1.*``) and K judges (``judge.<c>.*``). forward()
    takes normalised images and is traceable (torch.onnx.export): every
    judge scores every image and judge p's score is picked."""

    def __init__(self, meta, tta=None, in_c=3, h=32, w=32):
        super().__init__()
        self.meta = meta
        k = meta.k
        self.stage1 = Air(k, in_c) if meta.arch == "air" else Basic(k, in_c, h, w)
        self.judge = nn.ModuleList(Judge(k, in_c, h, w) for _ in range(k))
        self.tta = default_tta(meta.arch) if tta is None else tta
        self.register_buffer("mean", torch.tensor(meta.mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(meta.std).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("tau", torch.tensor(meta.thresholds, dtype=torch.float64),
                             persistent=False)
        self.register_buffer("calib", torch.tensor(meta.calibration, dtype=torch.float64),
                             persistent=False)

    def normalize(self, images):
        """uint8 (N, 3, H, W) -> float (v / 255 - mean) / std, in float32 as mscnn."""
        return (images.to(torch.float32) / 255.0 - self.mean) / self.std

    def stage1_logits(self, x):
        if self.tta <= 0:
            return self.stage1(x)
        s1, flip = self.stage1, lambda v: torch.flip(v, dims=[3])
        if self.tta == 1:
            return 0.5 * s1(x) + 0.5 * s1(flip(x))
        out = 0.25 * s1(x) + 0.25 * s1(flip(x))
        for d in (-1, 1):
            v = _shift(x, d)
            out = out + 0.125 * s1(v) + 0.125 * s1(flip(v))
        return out

    def forward(self, x):
        """x: normalised (N, 3, H, W). Returns probs (N, K) float32, stage1
        (N,) int64, msp (N,) and score (N,) float64, answer (N,) int64 (K
        for OTHER)."""
        logits = self.stage1_logits(x)
        probs = torch.softmax(logits.to(torch.float64), dim=1).to(torch.float32)
        msp, p = probs.max(dim=1)
        side = judge_features(probs)
        z = torch.stack([j(x, side) for j in self.judge], dim=1)  # (N, K, 2)
        z = z.gather(1, p.view(-1, 1, 1).expand(-1, 1, 2)).squeeze(1)
        m = msp.to(torch.float64).clamp(1e-9, 1 - 1e-9)
        ab = self.calib[p]
        top2 = probs.topk(2, dim=1).values.to(torch.float64).clamp_min(1e-30)
        margin = torch.log(top2[:, 0] / top2[:, 1])  # Stage 1's top-2 logit margin
        u = (z[:, 1].to(torch.float64) - z[:, 0].to(torch.float64)) \
            + ab[:, 0] * torch.log(m / (1 - m)) + ab[:, 1] + ab[:, 2] * margin
        score = torch.sigmoid(u)
        answer = torch.where(score >= self.tau[p], p, torch.full_like(p, self.meta.k))
        return probs, p, msp.to(torch.float64), score, answer

    @torch.no_grad()
    def predict(self, images, threshold=None, batch_size=256):
        """images: uint8 (N, 3, H, W). threshold: one tau for every class
        instead of the model's. Returns a dict of tensors: probs, stage1,
        msp, score, tau (of the Stage 1 class), answer (K = OTHER)."""
        parts = []
        for i in range(0, images.shape[0], batch_size):
            parts.append(self(self.normalize(images[i:i + batch_size])))
        probs, p, msp, score, answer = (torch.cat(t) for t in zip(*parts))
        tau = self.tau[p]
        if threshold is not None:
            tau = torch.full_like(score, float(threshold))
            answer = torch.where(score >= tau, p, torch.full_like(p, self.meta.k))
        return {"probs": probs, "stage1": p, "msp": msp, "score": score, "tau": tau,
                "answer": answer}


def load_model(directory, tta=None):
    """The model saved in directory (model.safetensors, and model.ini when
    the weights file has no metadata), in eval mode. Every tensor must match
    the architecture's names and shapes (strict)."""
    path = os.path.join(directory, "model.safetensors")
    tensors, raw = read_safetensors(path)
    meta = meta_from_safetensors(raw, path) or meta_from_ini(os.path.join(directory, "model.ini"))
    model = MSCNN(meta, tta)
    want = model.state_dict()
    missing = sorted(set(want) - set(tensors))
    extra = sorted(set(tensors) - set(want))
    if missing or extra:
        raise ValueError("%s: tensors missing %s, unexpected %s" % (path, missing[:5], extra[:5]))
    for name, t in tensors.items():
        if tuple(t.shape) != tuple(want[name].shape):
            raise ValueError("%s: tensor %s has shape %s, %s expects %s"
                             % (path, name, list(t.shape), meta.arch, list(want[name].shape)))
    model.load_state_dict(tensors, strict=True)
    return model.eval()


# ---- pictures ----------------------------------------------------------------

def read_images(paths):
    """(names, uint8 (N, 3, 32, 32)) from CIFAR-10 .bin files (one
    "FILE#i" per 3073-byte record: exactly mscnn's pixels) and 32x32
    PNG/JPEG files through PIL (alpha composited onto black, round(v *
    alpha / 255), as mscnn does; 8-bit PNGs give mscnn's pixels, while
    16-bit PNGs and JPEGs go through other decoders than mscnn's libpng and
    libjpeg conversions and may differ by a level; tests/torch_interop.sh
    checks .bin input only). mscnn resizes pictures of other sizes with its
    own area filter; that is not reproduced here, so they are refused."""
    names, planes = [], []
    for path in paths:
        if path.lower().endswith(".bin"):
            blob = open(path, "rb").read()
            if len(blob) % 3073:
                raise ValueError("%s: %d bytes is not a whole number of 3073-byte CIFAR-10 records"
                                 % (path, len(blob)))
            for i in range(len(blob) // 3073):
                rec = bytearray(blob[i * 3073 + 1:(i + 1) * 3073])
                planes.append(torch.frombuffer(rec, dtype=torch.uint8).view(3, 32, 32))
                names.append("%s#%d" % (path, i))
            continue
        try:
            from PIL import Image  # only for pictures
        except ImportError:
            raise ValueError("%s: reading PNG/JPEG needs PIL (python3-pil); CIFAR .bin "
                             "files need nothing" % path) from None
        im = Image.open(path)
        if im.size != (32, 32):
            raise ValueError("%s: %dx%d; only 32x32 pictures are read here (mscnn predict "
                             "resizes others with its own filter)" % (path, im.size[0], im.size[1]))
        rgba = torch.tensor(list(im.convert("RGBA").getdata()), dtype=torch.int32)
        rgb = (rgba[:, :3] * rgba[:, 3:] + 127) // 255  # round(v * a / 255)
        planes.append(rgb.to(torch.uint8).t().reshape(3, 32, 32))
        names.append(path)
    if not planes:
        raise ValueError("no images in %s" % (paths,))
    return names, torch.stack(planes)


# ---- command line ---------------------------------------------------------------

def _rows(model, names, out):
    classes = model.meta.class_names
    for i, name in enumerate(names):
        pr = out["probs"][i].tolist()
        top = sorted(range(len(pr)), key=lambda c: (-pr[c], c))[:3]
        a = int(out["answer"][i])
        yield {"file": name, "answer": classes[a] if a < model.meta.k else "OTHER",
               "stage1": classes[int(out["stage1"][i])], "msp": float(out["msp"][i]),
               "judge_score": float(out["score"][i]), "tau": float(out["tau"][i]),
               "top": [{"class": classes[c], "p": pr[c]} for c in top],
               "probs": {classes[c]: pr[c] for c in range(len(pr))}}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="mscnn_torch.py", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    pp = sub.add_parser("predict", help="JSON lines of answers, as mscnn predict --format jsonl")
    pp.add_argument("-m", "--model", required=True, help="the model directory")
    pp.add_argument("--tta", type=int, choices=(0, 1, 2), help="default: the arch's recipe")
    pp.add_argument("--threshold", type=float, help="one tau for every class")
    pp.add_argument("files", nargs="+", help=".bin (CIFAR-10 records) or 32x32 PNG/JPEG")
    ep = sub.add_parser("onnx", help="export the model (normalised input) with torch.onnx.export")
    ep.add_argument("-m", "--model", required=True)
    ep.add_argument("--tta", type=int, choices=(0, 1, 2))
    ep.add_argument("output", help="the .onnx file to write")
    args = ap.parse_args(argv)
    try:
        model = load_model(args.model, args.tta)
        if args.cmd == "onnx":
            export_onnx(model, args.output)
            return 0
        names, images = read_images(args.files)
    except (OSError, ValueError) as err:
        print("mscnn_torch.py: %s" % err, file=sys.stderr)
        return 1
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    out = model.predict(images, args.threshold)
    for row in _rows(model, names, out):
        print(json.dumps(row))
    return 0


def export_onnx(model, path, opset=13):
    """torch.onnx.export of forward(): input "image" (N, 3, 32, 32)
    normalised, outputs probs, stage1, msp, score, answer; N is dynamic."""
    x = torch.zeros(1, 3, 32, 32)
    names = ["probs", "stage1", "msp", "score", "answer"]
    torch.onnx.export(model, (x,), path, input_names=["image"], output_names=names,
                      dynamic_axes={n: {0: "n"} for n in ["image"] + names}, opset_version=opset)


if __name__ == "__main__":
    sys.exit(main())
