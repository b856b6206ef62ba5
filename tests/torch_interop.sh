#!/bin/sh
# python/mscnn_torch.py against mscnn: a tiny synth model of each Stage 1
# arch (basic with per-category tuned thresholds, air with its TTA 2) is
# loaded into PyTorch from its model directory, and its answers, Stage 1
# classes, probabilities and judge scores on the same images agree with
# `mscnn predict`'s within 1e-4; also with one --threshold that splits the
# images into accepted and OTHER, from model.ini when model.safetensors has
# no metadata, and the metadata agrees with model.ini. Skipped (77) without
# a python3 that imports torch (MSCNN_PYTHON names one).
. "${MSCNN_SRCDIR:-.}/tests/lib.sh"
MOD="$MSCNN_SRCDIR/python/mscnn_torch.py"
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the source tree

PY=
for p in ${MSCNN_PYTHON:-} python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import torch' 2>/dev/null; then
        PY=$p
        break
    fi
done
if [ -z "$PY" ]; then
    echo "SKIP: no python3 with torch (apt-get install python3-torch, or set MSCNN_PYTHON)"
    exit 77
fi

cat >"$T/s.ini" <<'INI'
[data]
dataset = synth
synth_train = 600
synth_test = 100
INI
sed 's/^synth_train = .*/synth_train = 256/' "$T/s.ini" >"$T/air.ini"
# mscnn on the CPU backend, the same numbers on every machine (a GPU's
# convolutions may round differently)
base="--batch -c $T/s.ini --threads 2 --seed 5 --device cpu"
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base --arch basic --epochs 2 --batch_size 32 \
    --tune_threshold accuracy --per_category --output_dir "$T/ob" --save_model "$T/basic"
expect "training basic exits 0 (got $rc): $(tail -n 2 "$T/e")" [ "$rc" -eq 0 ]
# shellcheck disable=SC2086
run_mscnn "$T/o" "$T/e" $base -c "$T/air.ini" --arch air --epochs 1 --batch_size 64 \
    --output_dir "$T/oa" --save_model "$T/air"
expect "training air exits 0 (got $rc): $(tail -n 2 "$T/e")" [ "$rc" -eq 0 ]

# 40 CIFAR-format records: smooth patterns of every kind, and noise
"$PY" - "$T/imgs.bin" <<'PY'
import math, random, sys
rnd = random.Random(11)
out = bytearray()
for i in range(40):
    out.append(i % 10)
    fx, fy, ph = rnd.uniform(0, 0.8), rnd.uniform(0, 0.8), rnd.uniform(0, 6.3)
    for c in range(3):
        for y in range(32):
            for x in range(32):
                v = 128 + 100 * math.sin(fx * x + fy * y + ph + c) if i % 4 else rnd.randrange(256)
                out.append(max(0, min(255, int(v))))
open(sys.argv[1], "wb").write(out)
PY

cat >"$T/agree.py" <<'PY'
"""agree.py C.jsonl TORCH.jsonl: the same rows, numbers within 1e-4."""
import json, sys
c = [json.loads(l) for l in open(sys.argv[1])]
t = [json.loads(l) for l in open(sys.argv[2])]
assert len(c) == len(t) == 40, (len(c), len(t))
worst = 0.0
for a, b in zip(c, t):
    assert a["file"] == b["file"], (a["file"], b["file"])
    assert a["stage1"] == b["stage1"] and a["answer"] == b["answer"], (a, b)
    assert abs(a["tau"] - b["tau"]) < 1e-8, (a["tau"], b["tau"])
    d = [abs(a["msp"] - b["msp"]), abs(a["judge_score"] - b["judge_score"])]
    d += [abs(e["p"] - b["probs"][e["class"]]) for e in a["top"]]  # mscnn's top 3
    assert abs(sum(b["probs"].values()) - 1) < 1e-5, b["probs"]
    worst = max([worst] + d)
    assert max(d) < 1e-4, (max(d), a, b)
print("max abs difference %.3g over %d images" % (worst, len(c)))
PY

for m in basic air; do
    run_mscnn "$T/$m.c.jsonl" "$T/pe" predict -m "$T/$m" --threads 2 --device cpu --format jsonl "$T/imgs.bin"
    expect "mscnn predict on $m exits 0 (got $rc): $(tail -n 1 "$T/pe")" [ "$rc" -eq 0 ]
    "$PY" "$MOD" predict -m "$T/$m" "$T/imgs.bin" >"$T/$m.t.jsonl" 2>"$T/te"
    prc=$?
    expect "mscnn_torch.py predict on $m exits 0 (got $prc): $(tail -n 2 "$T/te")" [ $prc -eq 0 ]
    expect "$m: torch agrees with mscnn predict" "$PY" "$T/agree.py" "$T/$m.c.jsonl" "$T/$m.t.jsonl"

    # a threshold between two scores at least 2e-4 apart, near the median
    tau=$("$PY" -c '
import json, sys
s = sorted(json.loads(l)["judge_score"] for l in open(sys.argv[1]))
gaps = [(abs(i - len(s) / 2), (s[i - 1] + s[i]) / 2) for i in range(1, len(s)) if s[i] - s[i - 1] > 2e-4]
print("%.6f" % min(gaps)[1] if gaps else "")' "$T/$m.c.jsonl")
    expect "$m: the judge scores differ, so one threshold can split them" [ -n "$tau" ]
    run_mscnn "$T/$m.c2.jsonl" "$T/pe" predict -m "$T/$m" --threads 2 --device cpu --format jsonl \
        --threshold "$tau" "$T/imgs.bin"
    "$PY" "$MOD" predict -m "$T/$m" --threshold "$tau" "$T/imgs.bin" >"$T/$m.t2.jsonl" 2>"$T/te"
    prc=$?
    expect "mscnn_torch.py predict --threshold exits 0 (got $prc): $(tail -n 1 "$T/te")" [ $prc -eq 0 ]
    expect "$m at tau $tau: both answers occur" sh -c \
        "grep -q '\"answer\":\"OTHER\"' '$T/$m.c2.jsonl' && grep -qv '\"answer\":\"OTHER\"' '$T/$m.c2.jsonl'"
    expect "$m at tau $tau: torch agrees" "$PY" "$T/agree.py" "$T/$m.c2.jsonl" "$T/$m.t2.jsonl"
done

# The metadata is model.ini's; without it the module reads model.ini.
cat >"$T/meta.py" <<'PY'
import json, os, shutil, struct, sys, importlib.util
spec = importlib.util.spec_from_file_location("mscnn_torch", sys.argv[1])
mt = importlib.util.module_from_spec(spec); spec.loader.exec_module(mt)
src, dst = sys.argv[2], sys.argv[3]
path = os.path.join(src, "model.safetensors")
_, raw = mt.read_safetensors(path)
a = mt.meta_from_safetensors(raw, path)
b = mt.meta_from_ini(os.path.join(src, "model.ini"))
assert a is not None, "no metadata in " + path
for key in ("arch", "k", "class_names", "mean", "std", "thresholds", "calibration", "tuned_by", "dataset"):
    assert getattr(a, key) == getattr(b, key), (key, getattr(a, key), getattr(b, key))
assert raw["judge_arch"] == "judge" and raw["format"] == "mscnn", raw
want = sys.argv[4] == "1"
assert (len(set(a.thresholds)) > 1) == want, ("per-category thresholds", a.thresholds)
# the same weights without __metadata__: model.ini is read instead
blob = open(path, "rb").read()
n = struct.unpack("<Q", blob[:8])[0]
head = json.loads(blob[8:8 + n])
del head["__metadata__"]
h = json.dumps(head).encode()
h += b" " * (-len(h) % 8)
os.makedirs(dst)
shutil.copy(os.path.join(src, "model.ini"), dst)
open(os.path.join(dst, "model.safetensors"), "wb").write(struct.pack("<Q", len(h)) + h + blob[8 + n:])
m1, m2 = mt.load_model(src), mt.load_model(dst)
_, img = mt.read_images([sys.argv[5]])
o1, o2 = m1.predict(img), m2.predict(img)
for k in o1:
    assert (o1[k] == o2[k]).all(), k
PY
expect "basic: metadata = model.ini, per-category thresholds, ini fallback" \
    "$PY" "$T/meta.py" "$MOD" "$T/basic" "$T/basic_nometa" 1 "$T/imgs.bin"
expect "air: metadata = model.ini, ini fallback" \
    "$PY" "$T/meta.py" "$MOD" "$T/air" "$T/air_nometa" 0 "$T/imgs.bin"

# a wrong architecture's weights are refused, naming the tensor
"$PY" - "$MOD" "$T/air" "$T/bad" <<'PY' >"$T/bo" 2>&1
import json, os, shutil, struct, sys, importlib.util
spec = importlib.util.spec_from_file_location("mscnn_torch", sys.argv[1])
mt = importlib.util.module_from_spec(spec); spec.loader.exec_module(mt)
src, dst = sys.argv[2], sys.argv[3]
blob = open(os.path.join(src, "model.safetensors"), "rb").read()
n = struct.unpack("<Q", blob[:8])[0]
head = json.loads(blob[8:8 + n])
meta = head["__metadata__"]
meta["arch"] = "basic"
h = json.dumps(head).encode()
h += b" " * (-len(h) % 8)
os.makedirs(dst)
open(os.path.join(dst, "model.safetensors"), "wb").write(struct.pack("<Q", len(h)) + h + blob[8 + n:])
sys.exit(mt.main(["predict", "-m", dst, sys.argv[0]]))
PY
prc=$?
expect "air weights read as basic: exit 1 naming a tensor ($(cat "$T/bo"))" \
    sh -c "[ $prc -eq 1 ] && grep -q 'stage1\\.' '$T/bo'"

done_tests
