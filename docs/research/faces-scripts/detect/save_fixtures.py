import sys, json, numpy as np
sys.path.insert(0,'/tmp/research/scripts')
from blazeface_ref import *
img=Image.open(f'{R}/dl/rustface-0.1.7/test.png').convert('RGB'); W,H=img.size
its={k:make_interp(k) for k in MODELS}; ref=make_interp('dense',ref=True)
best=None
for y in range(0,H-384+1,192):
    for x in range(0,W-384+1,192):
        d=detect_roi(its['dense'],img,(x,y,384,384),0.5)[0]
        if best is None or len(d)>best[0]: best=(len(d),x,y)
n,x0,y0=best; print('fixture tile',x0,y0,384,'faces',n)
img.crop((x0,y0,x0+384,y0+384)).save(f'{R}/ref/bf_tile_{x0}_{y0}_384.png')
meta={}
for name,roi in (('tile',(x0,y0,384,384)),('whole',(0,0,W,H))):
    x,off=letterbox(img,roi); np.save(f'{R}/ref/bf_{name}_input.npy',x)
    outs={}
    for k,it in list(its.items())+[('dense_refkernels',ref)]:
        reg,sc=run(it,x); outs[k]=(reg,sc)
        np.save(f'{R}/ref/bf_{name}_{k}_regressors.npy',reg); np.save(f'{R}/ref/bf_{name}_{k}_scores.npy',sc)
    d=lambda a,b:float(np.abs(a-b).max())
    meta[name]=dict(roi=roi,letterbox_offset=off,
      xnnpack_vs_ref_kernels_dense=dict(reg=d(outs['dense'][0],outs['dense_refkernels'][0]),score_logit=d(outs['dense'][1],outs['dense_refkernels'][1])),
      dense_vs_sparse=dict(reg=d(outs['dense'][0],outs['sparse'][0]),score_logit=d(outs['dense'][1],outs['sparse'][1])),
      reg_absmax=float(np.abs(outs['dense'][0]).max()), logit_range=[float(outs['dense'][1].min()),float(outs['dense'][1].max())],
      detections_dense_thr0_5=weighted_nms(decode(*outs['dense'],0.5)))
    print(name, {k:v for k,v in meta[name].items() if k!='detections_dense_thr0_5'}, 'n det',len(meta[name]['detections_dense_thr0_5']))
json.dump(meta,open(f'{R}/ref/bf_fixtures_meta.json','w'),indent=1)
