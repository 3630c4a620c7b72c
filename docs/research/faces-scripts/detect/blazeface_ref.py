# Reference BlazeFace full-range pipeline (MediaPipe semantics) on ai-edge-litert.
import json, sys, numpy as np
from PIL import Image
from ai_edge_litert.interpreter import Interpreter, OpResolverType
R='/tmp/research'
MODELS={'dense':f'{R}/dl/npm_fd/package/face_detection_full_range.tflite',
        'sparse':f'{R}/dl/mpwheel/mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite'}
S=192
def anchors_full_range():
    # SsdAnchorsCalculator: num_layers 1, stride 4, 1 anchor/cell (aspect 1.0, interpolated 0), fixed size -> w=h=1
    fm=S//4; ys,xs=np.meshgrid(np.arange(fm),np.arange(fm),indexing='ij')
    return np.stack([(xs.ravel()+0.5)/fm,(ys.ravel()+0.5)/fm],1).astype(np.float32)  # (2304,2) x,y; row-major y then x
ANCH=anchors_full_range()
def make_interp(kind, ref=False):
    it=Interpreter(MODELS[kind], experimental_op_resolver_type=OpResolverType.BUILTIN_REF if ref else OpResolverType.AUTO)
    it.allocate_tensors(); return it
def run(it,x):
    it.set_tensor(it.get_input_details()[0]['index'],x); it.invoke()
    o={d['name']:it.get_tensor(d['index']) for d in it.get_output_details()}
    reg=[v for v in o.values() if v.shape[-1]==16][0]; sc=[v for v in o.values() if v.shape[-1]==1][0]
    return reg.copy(), sc.copy()
def letterbox(img, roi):
    """MediaPipe ImageToTensor(keep_aspect_ratio, BORDER_ZERO, range [-1,1]) for an axis-aligned ROI
    (x0,y0,w,h) in pixels: ROI padded to square around its centre; bilinear sampling w/o antialias
    (cv2.warpPerspective INTER_LINEAR semantics: dst pixel i samples src at x0 + i*scale), outside -> 0 -> -1."""
    x0,y0,w,h=roi; side=max(w,h); cx,cy=x0+w/2,y0+h/2; sx0,sy0=cx-side/2,cy-side/2; sc=side/S
    a=np.asarray(img,dtype=np.float32); H,W=a.shape[:2]
    xs=sx0+np.arange(S)*sc; ys=sy0+np.arange(S)*sc
    def idx(c,n):
        f=np.floor(c).astype(int); t=c-f; return f,t
    fx,tx=idx(xs,W); fy,ty=idx(ys,H)
    def g(yy,xx):
        v=np.zeros((S,S,3),np.float32); m=(yy[:,None]>=0)&(yy[:,None]<H)&(xx[None,:]>=0)&(xx[None,:]<W)
        yc=np.clip(yy,0,H-1); xc=np.clip(xx,0,W-1); v=a[yc][:,xc]; v[~m]=0; return v
    out=(g(fy,fx)*(1-ty)[:,None,None]*(1-tx)[None,:,None]+g(fy,fx+1)*(1-ty)[:,None,None]*tx[None,:,None]
        +g(fy+1,fx)*ty[:,None,None]*(1-tx)[None,:,None]+g(fy+1,fx+1)*ty[:,None,None]*tx[None,:,None])
    return (out/127.5-1.0)[None].astype(np.float32), (sx0,sy0,side)
def decode(reg,sc,thr):
    reg=reg[0]; s=1/(1+np.exp(-np.clip(sc[0,:,0],-100,100)))
    keep=np.where(s>=thr)[0]; dets=[]
    for i in keep:
        r=reg[i]/S; ax,ay=ANCH[i]
        cx,cy,w,h=r[0]+ax,r[1]+ay,r[2],r[3]
        kp=[(float(r[4+2*k]+ax),float(r[5+2*k]+ay)) for k in range(6)]
        dets.append(dict(score=float(s[i]),xmin=float(cx-w/2),ymin=float(cy-h/2),xmax=float(cx+w/2),ymax=float(cy+h/2),kp=kp,anchor=int(i)))
    return dets
def iou(a,b):
    ix=max(0,min(a['xmax'],b['xmax'])-max(a['xmin'],b['xmin'])); iy=max(0,min(a['ymax'],b['ymax'])-max(a['ymin'],b['ymin']))
    inter=ix*iy; u=(a['xmax']-a['xmin'])*(a['ymax']-a['ymin'])+(b['xmax']-b['xmin'])*(b['ymax']-b['ymin'])-inter
    return inter/u if u>0 else 0.0
def weighted_nms(dets,thr=0.3):
    rem=sorted(dets,key=lambda d:-d['score']); out=[]
    while rem:
        top=rem[0]; cand=[d for d in rem if iou(d,top)>thr]; rem=[d for d in rem if iou(d,top)<=thr]
        ts=sum(d['score'] for d in cand); w=dict(top)
        for k in ('xmin','ymin','xmax','ymax'): w[k]=sum(d[k]*d['score'] for d in cand)/ts
        w['kp']=[(sum(d['kp'][j][0]*d['score'] for d in cand)/ts,sum(d['kp'][j][1]*d['score'] for d in cand)/ts) for j in range(6)]
        w['merged']=len(cand); out.append(w)
    return out
def project(d,off):
    sx0,sy0,side=off; f=lambda x,y:(sx0+x*side,sy0+y*side)
    e=dict(score=d['score'],merged=d.get('merged',1))
    e['xmin'],e['ymin']=f(d['xmin'],d['ymin']); e['xmax'],e['ymax']=f(d['xmax'],d['ymax'])
    e['kp']=[f(*p) for p in d['kp']]; return e
def detect_roi(it,img,roi,thr):
    x,off=letterbox(img,roi); reg,sc=run(it,x)
    return [project(d,off) for d in weighted_nms(decode(reg,sc,thr))], x, reg, sc
