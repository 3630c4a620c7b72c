"""The blendshapes fixture (crates/hma-faces/tests/fixtures/bs_*): the 146
landmarks MediaPipe's face_blendshapes.tflite reads, taken from the
committed Face Landmarker reference (lm_landmarks.npy: LiteRT's 478
landmarks on lm_input.png, crop pixels; the crop is upright, so crop pixels
are the picture's up to a shift and a scale, which the model removes), and
what LiteRT gives for them.
Usage: python3 blendshapes_fixture.py FACE_BLENDSHAPES.tflite FIXTURES_DIR
Needs: pip install ai-edge-litert numpy
"""
import sys
import numpy as np
from ai_edge_litert.interpreter import Interpreter

SUBSET = [0, 1, 4, 5, 6, 7, 8, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63, 65, 66, 67, 70, 78, 80,
          81, 82, 84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133, 136, 144, 145, 146, 148, 149, 150, 152, 153,
          154, 155, 157, 158, 159, 160, 161, 162, 163, 168, 172, 173, 176, 178, 181, 185, 191, 195, 197, 234, 246, 249,
          251, 263, 267, 269, 270, 276, 282, 283, 284, 285, 288, 291, 293, 295, 296, 297, 300, 308, 310, 311, 312, 314,
          317, 318, 321, 323, 324, 332, 334, 336, 338, 356, 361, 362, 365, 373, 374, 375, 377, 378, 379, 380, 381, 382,
          384, 385, 386, 387, 388, 389, 390, 397, 398, 400, 402, 405, 409, 415, 454, 466, 468, 469, 470, 471, 472, 473,
          474, 475, 476, 477]
model, fixtures = sys.argv[1], sys.argv[2]
marks = np.load(f"{fixtures}/lm_landmarks.npy").reshape(478, 3)
x = marks[SUBSET, :2].astype(np.float32)[None]
it = Interpreter(model)
it.allocate_tensors()
it.set_tensor(it.get_input_details()[0]["index"], x)
it.invoke()
out = it.get_tensor(it.get_output_details()[0]["index"]).astype(np.float32)
np.save(f"{fixtures}/bs_input.npy", x)
np.save(f"{fixtures}/bs_output.npy", out)
print("eyeBlinkLeft", out[9], "eyeBlinkRight", out[10], "shape", out.shape)
