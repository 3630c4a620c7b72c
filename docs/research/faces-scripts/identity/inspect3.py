import onnx, sys, numpy as np
from onnx import numpy_helper
m = onnx.load(sys.argv[1]); g = m.graph
inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
for n in g.node:
    a = {x.name: onnx.helper.get_attribute_value(x) for x in n.attribute}
    if n.op_type == "Conv":
        w = n.input[1].replace("_reshaped","")
        print(n.name, inits[w+"_shape"].tolist(), "s", a["strides"], "p", a["pads"], "g", a["group"], "bias", len(n.input)>2)
    if n.op_type == "DequantizeLinear":
        print("  DQ", n.input[0], inits[n.input[0]].shape, "scales", inits[n.input[1]].shape, "block", a.get("block_size"), "axis", a.get("axis"))
    if n.op_type in ("BatchNormalization",):
        print("  BN", n.name, a.get("epsilon"))
    if n.op_type=="PRelu":
        print("  PRelu slope", inits[n.input[1]].shape)
