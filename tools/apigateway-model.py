#!/usr/bin/env python3
"""
Vendors the part of botocore's API Gateway (REST APIs, 2015-07-09, rest-json) model that Lambent
implements, and generates the operations' HTTP bindings and input shapes from it.

  python3 tools/apigateway-model.py --refresh   # re-read botocore's model (needs botocore)
  python3 tools/apigateway-model.py             # regenerate shapes.generated.ts from the vendored subset

The vendored file (src/services/apigateway/model/apigateway-2015-07-09.json) is botocore's data
(Apache-2.0, https://github.com/boto/botocore), trimmed to the operations listed here and stripped
of documentation; the build reads only the generated TypeScript.
"""
import gzip, json, os, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSION = '2015-07-09'
OPS = [
    'CreateRestApi', 'GetRestApi', 'GetRestApis', 'UpdateRestApi', 'DeleteRestApi',
    'GetResources', 'GetResource', 'CreateResource', 'DeleteResource',
    'PutMethod', 'GetMethod', 'DeleteMethod',
    'PutIntegration', 'GetIntegration', 'DeleteIntegration',
    'PutMethodResponse', 'GetMethodResponse', 'DeleteMethodResponse',
    'PutIntegrationResponse', 'GetIntegrationResponse', 'DeleteIntegrationResponse',
    'CreateDeployment', 'GetDeployment', 'GetDeployments', 'DeleteDeployment',
    'CreateStage', 'GetStage', 'GetStages', 'UpdateStage', 'DeleteStage',
    'CreateAuthorizer', 'GetAuthorizer', 'GetAuthorizers', 'DeleteAuthorizer',
]
VENDORED = os.path.join(ROOT, 'src', 'services', 'apigateway', 'model', f'apigateway-{VERSION}.json')


def strip(obj):
    if isinstance(obj, dict):
        return {k: strip(v) for k, v in obj.items() if k not in ('documentation', 'documentationUrl', 'examples')}
    if isinstance(obj, list):
        return [strip(v) for v in obj]
    return obj


def refresh():
    import botocore
    base = os.path.join(os.path.dirname(botocore.__file__), 'data', 'apigateway', VERSION)
    path = os.path.join(base, 'service-2.json')
    model = json.load(open(path)) if os.path.exists(path) else json.load(gzip.open(path + '.gz'))
    keep = {name: model['operations'][name] for name in OPS}
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
        '_source': f'botocore {botocore.__version__} data/apigateway/{VERSION}/service-2.json (Apache-2.0), trimmed',
        'metadata': model['metadata'],
        'operations': strip(keep),
        'shapes': strip(dict(sorted(shapes.items()))),
    }
    os.makedirs(os.path.dirname(VENDORED), exist_ok=True)
    with open(VENDORED, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')


def ts_shape(model, name):
    s = model['shapes'][name]
    t = s['type']
    parts = []
    if t == 'string':
        parts.append("type: 'string'")
        if 'enum' in s:
            parts.append('enum: ' + json.dumps(s['enum']))
    elif t in ('integer', 'long'):
        parts.append("type: 'integer'")
    elif t in ('double', 'float'):
        parts.append("type: 'double'")
    elif t == 'boolean':
        parts.append("type: 'boolean'")
    elif t == 'timestamp':
        parts.append("type: 'timestamp'")
    elif t == 'blob':
        parts.append("type: 'blob'")
    elif t == 'list':
        parts.append("type: 'list'")
        parts.append('member: ' + ts_shape(model, s['member']['shape']))
    elif t == 'map':
        parts.append("type: 'map'")
        parts.append('key: ' + ts_shape(model, s['key']['shape']))
        parts.append('value: ' + ts_shape(model, s['value']['shape']))
    elif t == 'structure':
        return ts_structure(model, name)
    else:
        raise SystemExit(f'unsupported shape type {t} ({name})')
    if 'min' in s and t not in ('timestamp',):
        parts.append(f"min: {s['min']}")
    if 'max' in s:
        parts.append(f"max: {s['max']}")
    if 'pattern' in s:
        parts.append('pattern: ' + json.dumps(s['pattern']))
    return '{ ' + ', '.join(parts) + ' }'


def ts_structure(model, name):
    s = model['shapes'][name]
    required = set(s.get('required', []))
    members = []
    for mname, m in s.get('members', {}).items():
        inner = ts_shape(model, m['shape'])[:-2]
        if mname in required:
            inner += ', required: true'
        if 'location' in m:
            inner += f", location: '{m['location']}'"
        if 'locationName' in m:
            inner += ', locationName: ' + json.dumps(m['locationName'])
        members.append(f'{mname}: {inner} }}')
    return "{ type: 'structure', members: { " + ', '.join(members) + ' } }'


def generate():
    model = json.load(open(VENDORED))
    lines = [
        '// Generated by tools/apigateway-model.py from the vendored botocore model',
        f'// (src/services/apigateway/model/apigateway-{VERSION}.json, Apache-2.0). Do not edit by hand.',
        "import type { StructureShape } from '../../shared/shapes.js';",
        '',
        '/** Each operation\'s HTTP binding (method, URI template, success status) and input shape. */',
        'export const OPERATIONS = {',
    ]
    for op in OPS:
        o = model['operations'][op]
        http = o['http']
        inp = ts_structure(model, o['input']['shape']) if 'input' in o else "{ type: 'structure', members: {} }"
        lines.append(
            f"  {op}: {{ http: {{ method: '{http['method']}', path: {json.dumps(http['requestUri'])}, "
            f"status: {http.get('responseCode', 200)} }}, input: {inp} as StructureShape }},"
        )
    lines.append('} as const;')
    lines.append('')
    lines.append('export type OperationName = keyof typeof OPERATIONS;')
    lines.append('')
    with open(os.path.join(ROOT, 'src', 'services', 'apigateway', 'shapes.generated.ts'), 'w') as f:
        f.write('\n'.join(lines))


if __name__ == '__main__':
    if '--refresh' in sys.argv:
        refresh()
    generate()
