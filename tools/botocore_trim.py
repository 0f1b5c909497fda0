"""Trims a botocore service model to the operations a Lambent service implements, with every
shape they reach (input, output, errors) and without documentation, and writes it where the
service vendors it (Apache-2.0, source noted in `_source`). Shared by the model tools."""
import gzip, json, os


def strip(obj):
    if isinstance(obj, dict):
        return {k: strip(v) for k, v in obj.items() if k not in ('documentation', 'documentationUrl', 'examples')}
    if isinstance(obj, list):
        return [strip(v) for v in obj]
    return obj


def vendor(svc, version, ops, vendored):
    import botocore
    path = os.path.join(os.path.dirname(botocore.__file__), 'data', svc, version, 'service-2.json')
    model = json.load(open(path)) if os.path.exists(path) else json.load(gzip.open(path + '.gz'))
    keep = {name: model['operations'][name] for name in ops}
    shapes = {}

    def visit(name):
        if name in shapes:
            return
        shape = model['shapes'][name]
        shapes[name] = shape
        for m in shape.get('members', {}).values():
            visit(m['shape'])
        for key in ('member', 'key', 'value'):
            if key in shape:
                visit(shape[key]['shape'])

    for op in keep.values():
        for key in ('input', 'output'):
            if key in op:
                visit(op[key]['shape'])
        for err in op.get('errors', []):
            visit(err['shape'])
    out = {
        '_source': f'botocore {botocore.__version__} data/{svc}/{version}/service-2.json (Apache-2.0), trimmed',
        'metadata': model['metadata'],
        'operations': strip(keep),
        'shapes': strip(dict(sorted(shapes.items()))),
    }
    os.makedirs(os.path.dirname(vendored), exist_ok=True)
    with open(vendored, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')
