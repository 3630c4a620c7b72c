import onnx, sys, numpy as np
from onnx import numpy_helper
m = onnx.load(sys.argv[1]); g = m.graph
inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
consumed = {x for n in g.node for x in n.input}
produced = {x for n in g.node for x in n.output}
for i in g.input:
    if i.name not in inits:
        print("graph input", i.name, "consumed?", i.name in consumed, "produced?", i.name in produced)
for n in g.node:
    if n.op_type in ("Sub","Mul","Conv","DequantizeLinear") and (n.op_type in("Sub","Mul") or "conv_1_" in n.name+str(n.input)):
        print(n.op_type, n.name, list(n.input), list(n.output), [(a.name, onnx.helper.get_attribute_value(a)) for a in n.attribute])
        for x in n.input:
            if x in inits: print("   ", x, inits[x].dtype, inits[x].shape, inits[x].ravel()[:8])
for n in g.node:
    if n.op_type=="Constant": print("Constant", numpy_helper.to_array(n.attribute[0].t))
    if n.op_type=="Dropout": print("Dropout attrs", [(a.name, onnx.helper.get_attribute_value(a)) for a in n.attribute], list(n.input))
    if n.op_type=="BatchNormalization" and n.output[0]=="fc1": print("fc1 BN attrs",[(a.name, onnx.helper.get_attribute_value(a)) for a in n.attribute])
# quant params summary
for k,v in inits.items():
    if k.endswith("_zero_point"):
        print("zp", k, v.dtype, v.shape, "allzero", bool((v==0).all())); break
sc=[k for k in inits if k.endswith("_scales")]
print("n scales", len(sc), "example", sc[0], inits[sc[0]].shape, inits[sc[0]].dtype)
q=[k for k in inits if k.endswith("_quantized")]
print("example q", q[0], inits[q[0]].shape, inits[q[0]].dtype)
sh=[k for k in inits if k.endswith("_shape")]
print("example shape", sh[0], inits[sh[0]])
