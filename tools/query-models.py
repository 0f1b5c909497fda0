#!/usr/bin/env python3
"""
Vendors the parts of botocore's IAM and STS models that Lambent implements, and generates the
TypeScript input shapes from them.

  python3 tools/query-models.py --refresh   # re-read botocore's models (needs botocore installed)
  python3 tools/query-models.py             # regenerate shapes.generated.ts from the vendored subsets

The vendored files (src/services/{iam,sts}/model/*.json) are botocore's data (Apache-2.0,
https://github.com/boto/botocore), trimmed to the operations listed here and stripped of
documentation; the build reads only the generated TypeScript.
"""
import gzip, json, os, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVICES = {
    'iam': ('2010-05-08', [
        'CreateUser', 'GetUser', 'ListUsers', 'DeleteUser',
        'CreateAccessKey', 'ListAccessKeys', 'UpdateAccessKey', 'DeleteAccessKey',
        'CreateRole', 'GetRole', 'ListRoles', 'UpdateAssumeRolePolicy', 'DeleteRole',
        'PutRolePolicy', 'GetRolePolicy', 'ListRolePolicies', 'DeleteRolePolicy',
        'PutUserPolicy', 'GetUserPolicy', 'ListUserPolicies', 'DeleteUserPolicy',
        'CreatePolicy', 'GetPolicy', 'ListPolicies', 'CreatePolicyVersion', 'GetPolicyVersion',
        'ListPolicyVersions', 'DeletePolicyVersion', 'SetDefaultPolicyVersion', 'DeletePolicy',
        'AttachRolePolicy', 'DetachRolePolicy', 'AttachUserPolicy', 'DetachUserPolicy',
        'ListAttachedRolePolicies', 'ListAttachedUserPolicies', 'ListEntitiesForPolicy',
        'GetAccountAuthorizationDetails',
        'PutUserPermissionsBoundary', 'DeleteUserPermissionsBoundary',
        'PutRolePermissionsBoundary', 'DeleteRolePermissionsBoundary',
    ]),
    'sts': ('2011-06-15', ['GetCallerIdentity', 'AssumeRole', 'GetSessionToken']),
}


def vendored_path(svc, version):
    return os.path.join(ROOT, 'src', 'services', svc, 'model', f'{svc}-{version}.json')


def strip(obj):
    if isinstance(obj, dict):
        return {k: strip(v) for k, v in obj.items() if k not in ('documentation', 'documentationUrl', 'examples')}
    if isinstance(obj, list):
        return [strip(v) for v in obj]
    return obj


def refresh(svc, version, ops):
    import botocore
    src = os.path.join(os.path.dirname(botocore.__file__), 'data', svc, version, 'service-2.json.gz')
    model = json.load(gzip.open(src))
    keep_ops = {name: model['operations'][name] for name in ops}
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

    for op in keep_ops.values():
        for key in ('input', 'output'):
            if key in op:
                visit(op[key]['shape'])
        for err in op.get('errors', []):
            visit(err['shape'])
    out = {
        '_source': f'botocore {botocore.__version__} data/{svc}/{version}/service-2.json (Apache-2.0), trimmed',
        'metadata': model['metadata'],
        'operations': strip(keep_ops),
        'shapes': strip(dict(sorted(shapes.items()))),
    }
    os.makedirs(os.path.dirname(vendored_path(svc, version)), exist_ok=True)
    with open(vendored_path(svc, version), 'w') as f:
        json.dump(out, f, indent=1, sort_keys=False)
        f.write('\n')


def ts_shape(model, name, depth=0):
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
        parts.append('member: ' + ts_shape(model, s['member']['shape'], depth + 1))
    elif t == 'structure':
        return ts_structure(model, name, depth)
    else:
        raise SystemExit(f'unsupported shape type {t} ({name})')
    if 'min' in s and t != 'timestamp':
        parts.append(f"min: {s['min']}")
    if 'max' in s:
        parts.append(f"max: {s['max']}")
    if 'pattern' in s:
        parts.append('pattern: ' + json.dumps(s['pattern']))
    return '{ ' + ', '.join(parts) + ' }'


def ts_structure(model, name, depth=0):
    s = model['shapes'][name]
    required = set(s.get('required', []))
    members = []
    for mname, m in s.get('members', {}).items():
        inner = ts_shape(model, m['shape'], depth + 1)
        if mname in required:
            inner = inner[:-2] + ', required: true }'
        members.append(f'{mname}: {inner}')
    return "{ type: 'structure', members: { " + ', '.join(members) + ' } }'


def generate(svc, version, ops):
    model = json.load(open(vendored_path(svc, version)))
    lines = [
        '// Generated by tools/query-models.py from the vendored botocore model',
        f'// (src/services/{svc}/model/{svc}-{version}.json, Apache-2.0). Do not edit by hand.',
        "import type { StructureShape } from '../../shared/shapes.js';",
        '',
        '/** Each operation\'s input shape, and whether the model gives it an output (a `<Op>Result`). */',
        'export const OPERATIONS: Readonly<Record<string, { input: StructureShape; hasOutput: boolean }>> = {',
    ]
    for op in ops:
        o = model['operations'][op]
        inp = ts_structure(model, o['input']['shape']) if 'input' in o else "{ type: 'structure', members: {} }"
        lines.append(f'  {op}: {{ input: {inp}, hasOutput: {"true" if "output" in o else "false"} }},')
    lines.append('};')
    lines.append('')
    errors = {}
    for name, s in model['shapes'].items():
        if s.get('exception'):
            e = s.get('error', {})
            errors[e.get('code', name)] = e.get('httpStatusCode', 400)
    lines.append('/** Error codes of the model and their HTTP statuses. */')
    lines.append('export const ERROR_STATUS: Readonly<Record<string, number>> = ' + json.dumps(dict(sorted(errors.items()))) + ';')
    lines.append('')
    with open(os.path.join(ROOT, 'src', 'services', svc, 'shapes.generated.ts'), 'w') as f:
        f.write('\n'.join(lines))


if __name__ == '__main__':
    for svc, (version, ops) in SERVICES.items():
        if '--refresh' in sys.argv:
            refresh(svc, version, ops)
        generate(svc, version, ops)
