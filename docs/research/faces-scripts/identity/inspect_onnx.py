import onnx, sys, collections
from onnx import numpy_helper
for p in sys.argv[1:]:
    m = onnx.load(p)
    g = m.graph
    print("==", p)
    print("ir", m.ir_version, "opset", [(o.domain, o.version) for o in m.opset_import], "producer", m.producer_name, m.producer_version)
    inits = {i.name for i in g.initializer}
    for i in g.input:
        if i.name in inits: continue
        print("input", i.name, i.type.tensor_type.elem_type, [d.dim_value or d.dim_param for d in i.type.tensor_type.shape.dim])
    for o in g.output:
        print("output", o.name, o.type.tensor_type.elem_type, [d.dim_value or d.dim_param for d in o.type.tensor_type.shape.dim])
    c = collections.Counter(n.op_type for n in g.node)
    print("ops", dict(c))
    dt = collections.Counter(onnx.TensorProto.DataType.Name(i.data_type) for i in g.initializer)
    print("initializer dtypes", dict(dt), "n", len(g.initializer))
    print("first nodes:")
    for n in g.node[:12]:
        print("  ", n.op_type, list(n.input), "->", list(n.output), [(a.name, onnx.helper.get_attribute_value(a)) for a in n.attribute if a.name!='value'])
    print("last nodes:")
    for n in g.node[-8:]:
        print("  ", n.op_type, list(n.input), "->", list(n.output))
