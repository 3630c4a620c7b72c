"""(a) group-photo negatives, (b) numpy block-dequant -> fp32 ONNX equivalence, (c) intermediates for Rust port."""
import glob, itertools, json, os
import numpy as np, cv2, onnx, onnxruntime as ort
from onnx import numpy_helper, helper
import sface_ref as R

OUT = R.OUT
det = cv2.FaceDetectorYN.create(R.YUNET, "", (320, 320), 0.6, 0.3, 5000)

# ---------- (a) groups
groups = {}
for path in sorted(glob.glob(R.PEOPLE + "/_groups/*.jpg")):
    img = cv2.imread(path)
    faces = R.detect(det, img)
    embs = []
    for f in faces:
        if f[2] < 40:  # tiny faces
            continue
        al = cv2.warpAffine(img, R.umeyama(f[4:14].reshape(5, 2)), (112, 112), flags=cv2.INTER_LINEAR)
        embs.append(R.embed_ort(al)[0])
    groups[os.path.basename(path)] = embs
    print(os.path.basename(path), "faces>=40px:", len(embs), "all:", len(faces))
within = [R.cos(a, b) for e in groups.values() for a, b in itertools.combinations(e, 2)]
cross_groups = []
names = list(groups)
for i, j in itertools.combinations(range(len(names)), 2):
    for a in groups[names[i]]:
        for b in groups[names[j]]:
            cross_groups.append((R.cos(a, b), names[i], names[j]))
cross_groups.sort(reverse=True)
labelled = np.load(OUT + "/sface_embeddings_rgb.npy")
lab_vs_group = [R.cos(a, b) for a in labelled for e in groups.values() for b in e]
summ = lambda v: dict(n=len(v), min=round(min(v), 4), mean=round(float(np.mean(v)), 4), max=round(max(v), 4),
                      n_ge_0_363=int(sum(x >= 0.363 for x in v)))
res = dict(within_photo_diff=summ(within), labelled_vs_group=summ(lab_vs_group),
           cross_group_top10=[(round(c, 4), a, b) for c, a, b in cross_groups[:10]])
print(json.dumps(res, indent=1))

# derived obama crops / duplicates
ob = R.embed_ort(cv2.warpAffine(*(lambda im: (im, R.umeyama(max(R.detect(det, im), key=lambda r: r[2]*r[3])[4:14].reshape(5, 2))))(cv2.imread(R.PEOPLE + "/obama/fr_obama.jpg")), (112, 112)))[0]
for p in sorted(glob.glob(R.PEOPLE + "/_derived/*")):
    im = cv2.imread(p)
    fs = R.detect(det, im)
    if len(fs) == 0:
        print("derived", os.path.basename(p), "no face"); continue
    f = max(fs, key=lambda r: r[2] * r[3])
    e = R.embed_ort(cv2.warpAffine(im, R.umeyama(f[4:14].reshape(5, 2)), (112, 112)))[0]
    print("derived", os.path.basename(p), "cos vs fr_obama", round(R.cos(ob, e), 4))

# ---------- (b) dequantise in numpy, write fp32 graph, compare
m = onnx.load(R.SFACE)
g = m.graph
inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
newinit = {}
for n in g.node:
    if n.op_type == "DequantizeLinear":
        q, s, z = (inits[x] for x in n.input)
        a = {x.name: helper.get_attribute_value(x) for x in n.attribute}
        ax, bs = a["axis"], a["block_size"]
        rep = np.repeat(s, bs, axis=ax).take(range(q.shape[ax]), axis=ax)
        zr = np.repeat(z, bs, axis=ax).take(range(q.shape[ax]), axis=ax)
        newinit[n.output[0]] = ((q.astype(np.float32) - zr.astype(np.float32)) * rep).astype(np.float32)
nodes = [n for n in g.node if n.op_type != "DequantizeLinear"]
keep_init = [i for i in g.initializer if not any(i.name.startswith(k.replace("_dequantized", "")) and i.name.endswith(("_quantized", "_scales", "_zero_point")) for k in newinit)]
g2 = helper.make_graph(nodes, "sface_fp32_dequant", list(g.input), list(g.output),
                       keep_init + [numpy_helper.from_array(v, k) for k, v in newinit.items()])
m2 = helper.make_model(g2, opset_imports=[helper.make_opsetid("", 21)]); m2.ir_version = 10
onnx.save(m2, "/tmp/research/dl2/sface_2021dec_dequant_fp32.onnx")
s2 = ort.InferenceSession("/tmp/research/dl2/sface_2021dec_dequant_fp32.onnx", R.so, providers=["CPUExecutionProvider"])
blob = np.load(OUT + "/obama_sface_input_nchw_rgb_f32.npy")
ref = np.load(OUT + "/obama_sface_output_fc1_f32.npy")
out2 = s2.run(["fc1"], {"data": blob})[0]
print("numpy-dequant fp32 graph vs int8bq graph: max abs", float(np.abs(out2 - ref).max()), "ref max abs", float(np.abs(ref).max()))
print("fp32-dequant file bytes", os.path.getsize("/tmp/research/dl2/sface_2021dec_dequant_fp32.onnx"))

# ---------- (c) intermediates
names = ["_mulscalar0", "conv_1_relu", "conv_7_relu", "conv_14_relu", "bn1", "pre_fc1", "fc1"]
m3 = onnx.load(R.SFACE)
for nm in names[:-1]:
    m3.graph.output.append(helper.make_tensor_value_info(nm, onnx.TensorProto.FLOAT, None))
s3 = ort.InferenceSession(m3.SerializeToString(), R.so, providers=["CPUExecutionProvider"])
outs = s3.run(names, {"data": blob})
for nm, v in zip(names, outs):
    print("intermediate", nm, v.shape, float(v.mean()), float(np.abs(v).max()))
    if nm in ("conv_1_relu", "bn1", "pre_fc1"):
        np.save(f"{OUT}/obama_sface_intermediate_{nm}.npy", v.astype(np.float32))
json.dump(res, open(OUT + "/sface_group_results.json", "w"), indent=1)
