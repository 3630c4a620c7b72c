"""Makes the Face Landmarker (v2) agreement fixture (crates/hma-faces/tests/fixtures/lm_*): 256² crop;
one face of the Solvay 1927 photo (rustface 0.1.7 test.png), cropped as
MediaPipe's face_detection_front_detection_to_roi graph does (rotation from
the eyes, side 1.5 x the box's long side, bilinear, border replicate),
quantised to 8 bits so the PNG is the exact input, then run through LiteRT
(ai-edge-litert, XNNPACK) on png/255.
Usage: python3 landmarker_fixture.py TEST_PNG FACE_LANDMARKS_DETECTOR_TFLITE OUT_DIR"""
import json, math, sys
import numpy as np
from PIL import Image
from ai_edge_litert.interpreter import Interpreter

test_png, model, out = sys.argv[1:4]
A = np.asarray(Image.open(test_png).convert('RGB'), np.float32)
H, W = A.shape[:2]
meta = json.load(open(__file__.rsplit('/', 3)[0] + '/faces-ref/fm_meta.json'))
d = meta['detection']
cx, cy = (d['xmin'] + d['xmax']) / 2, (d['ymin'] + d['ymax']) / 2
w, h = d['xmax'] - d['xmin'], d['ymax'] - d['ymin']
(x0, y0), (x1, y1) = d['kp'][0], d['kp'][1]
rot = 0 - math.atan2(-(y1 - y0), x1 - x0)
rot = (rot + math.pi) % (2 * math.pi) - math.pi
side = max(w, h) * 1.5
S = 256
c, s = math.cos(rot), math.sin(rot)
ii, jj = np.meshgrid(np.arange(S) + 0.5, np.arange(S) + 0.5, indexing='xy')
u, v = (ii / S - 0.5) * side, (jj / S - 0.5) * side
sx, sy = cx + u * c - v * s - 0.5, cy + u * s + v * c - 0.5
fx, fy = np.floor(sx).astype(int), np.floor(sy).astype(int)
tx, ty = (sx - fx)[..., None], (sy - fy)[..., None]
g = lambda y, x: A[np.clip(y, 0, H - 1), np.clip(x, 0, W - 1)]
crop = g(fy, fx) * (1 - tx) * (1 - ty) + g(fy, fx + 1) * tx * (1 - ty) + g(fy + 1, fx) * (1 - tx) * ty + g(fy + 1, fx + 1) * tx * ty
crop8 = np.uint8(np.clip(np.round(crop), 0, 255))
Image.fromarray(crop8).save(f'{out}/lm_input.png')
x = (crop8.astype(np.float32) / 255.0)[None]
it = Interpreter(model)
it.allocate_tensors()
it.set_tensor(it.get_input_details()[0]['index'], x)
it.invoke()
o = {d['name']: it.get_tensor(d['index']).copy() for d in it.get_output_details()}
np.save(f'{out}/lm_landmarks.npy', o['Identity'].reshape(1, 1434).astype('<f4'))
np.save(f'{out}/lm_presence.npy', o['Identity_1'].reshape(1, 1).astype('<f4'))
L = o['Identity'].reshape(478, 3)
print('flag logit', float(o['Identity_1'].ravel()[0]), 'x range', L[:, 0].min(), L[:, 0].max())
