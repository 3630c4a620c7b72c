import onnx, sys
m = onnx.load(sys.argv[1]); g = m.graph
used = {x for n in g.node for x in n.input}
inits = {i.name for i in g.initializer}
keep = [i for i in g.input if i.name in used or i.name in inits and False or (i.name in used)]
drop = [i.name for i in g.input if i.name not in used]
# also drop initializer-backed inputs (ORT warning) -> keep only true data inputs
keep = [i for i in g.input if i.name in used and i.name not in inits]
del g.input[:]; g.input.extend(keep)
onnx.checker.check_model(m)
onnx.save(m, sys.argv[2]); print("dropped", len(drop), "kept inputs", [i.name for i in keep])
