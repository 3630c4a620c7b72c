import sys, json, math, numpy as np
sys.path.insert(0,'/tmp/research/scripts')
from blazeface_ref import *
from ai_edge_litert.interpreter import Interpreter, OpResolverType
img=Image.open(f'{R}/dl/rustface-0.1.7/test.png').convert('RGB'); W,H=img.size; A=np.asarray(img,np.float32)
dets=json.load(open(f'{R}/ref/blazeface_full_range_solvay_detections.json'))['dense_tiles288+384_thr0.5']
d=min(dets,key=lambda d:abs((d['xmin']+d['xmax'])/2-896)+abs((d['ymin']+d['ymax'])/2-281))
# FaceDetectionFrontDetectionToRoi: rotation from kp0->kp1, then scale 1.5, square_long
cx,cy=(d['xmin']+d['xmax'])/2,(d['ymin']+d['ymax'])/2; w,h=d['xmax']-d['xmin'],d['ymax']-d['ymin']
(x0,y0),(x1,y1)=d['kp'][0],d['kp'][1]
rot=0-math.atan2(-(y1-y0),x1-x0); rot=(rot+math.pi)%(2*math.pi)-math.pi
side=max(w,h)*1.5
S=192; c,s=math.cos(rot),math.sin(rot)
ii,jj=np.meshgrid(np.arange(S),np.arange(S),indexing='xy')  # ii=x (col), jj=y (row)
u=(ii/S-0.5)*side; v=(jj/S-0.5)*side
sx=cx+u*c-v*s; sy=cy+u*s+v*c
def bil(sx,sy):  # BORDER_REPLICATE
    fx=np.floor(sx).astype(int); fy=np.floor(sy).astype(int); tx=(sx-fx)[...,None]; ty=(sy-fy)[...,None]
    g=lambda y,x:A[np.clip(y,0,H-1),np.clip(x,0,W-1)]
    return g(fy,fx)*(1-tx)*(1-ty)+g(fy,fx+1)*tx*(1-ty)+g(fy+1,fx)*(1-tx)*ty+g(fy+1,fx+1)*tx*ty
x=(bil(sx,sy)/255.0)[None].astype(np.float32)
np.save(f'{R}/ref/fm_input.npy',x); Image.fromarray(np.uint8(np.clip(x[0]*255+0.5,0,255))).save(f'{R}/ref/fm_input.png')
M=f'{R}/dl/mpwheel/mediapipe/modules/face_landmark/face_landmark.tflite'
outs={}
for tag,rt in (('xnnpack',OpResolverType.AUTO),('refkernels',OpResolverType.BUILTIN_REF)):
    it=Interpreter(M,experimental_op_resolver_type=rt); it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]['index'],x); it.invoke()
    outs[tag]={o['name']:it.get_tensor(o['index']).copy() for o in it.get_output_details()}
lm=outs['xnnpack']['conv2d_21']; fl=outs['xnnpack']['conv2d_31']
np.save(f'{R}/ref/fm_landmarks_conv2d_21.npy',lm); np.save(f'{R}/ref/fm_faceflag_conv2d_31.npy',fl)
L=lm.reshape(468,3)
# project to image: normalized (x/192,y/192) in ROI -> image pixels
nx,ny=L[:,0]/S,L[:,1]/S; u=(nx-0.5)*side; v=(ny-0.5)*side
px=cx+u*c-v*s; py=cy+u*s+v*c
meta=dict(model='face_landmark.tflite (mediapipe 0.10.21 wheel)',detection=d,roi=dict(cx=cx,cy=cy,side=side,rotation_rad=rot),
  input='NHWC 1x192x192x3 RGB float32 in [0,1] (pixel/255), rotated square ROI, bilinear, border replicate',
  face_flag_logit=float(fl.ravel()[0]),face_presence=float(1/(1+np.exp(-fl.ravel()[0]))),
  landmark_tensor_range=[float(L[:,:2].min()),float(L[:,:2].max())], z_range=[float(L[:,2].min()),float(L[:,2].max())],
  xnnpack_vs_refkernels_maxabs=dict(landmarks=float(np.abs(lm-outs['refkernels']['conv2d_21']).max()),flag=float(np.abs(fl-outs['refkernels']['conv2d_31']).max())),
  landmarks_image_px_first5=[[float(a),float(b)] for a,b in zip(px[:5],py[:5])],
  key_landmarks_image_px={k:[float(px[i]),float(py[i])] for k,i in dict(nose_tip_1=1,left_eye_outer_33=33,right_eye_outer_263=263,mouth_upper_13=13,chin_152=152).items()})
json.dump(meta,open(f'{R}/ref/fm_meta.json','w'),indent=1); print(json.dumps({k:v for k,v in meta.items() if k!='detection'},indent=0))
