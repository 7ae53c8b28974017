#!/usr/bin/env python3
"""Custom resources against the real CustomResourceDefinition schemas, for `npm run verify`.

  crds.py extract ZIP PREFIX DEST FILE...
      Copies FILE (paths inside the module zip, under PREFIX) into DEST. Of a file that holds CustomResourceDefinitions
      only those documents are kept; any other file is copied whole. Standard library only.

  crds.py validate --crds DIR FILE...
      Validates every document of every FILE whose group has a CRD in DIR (any *.yaml below it) against that CRD's
      openAPIV3Schema, converted to JSON Schema the way the API server reads it: unknown fields are errors unless
      x-kubernetes-preserve-unknown-fields, x-kubernetes-int-or-string takes an integer or a string, nullable takes
      null. Prints one JSON report on stdout: findings (file, document, kind/name, JSON path, message), the documents
      validated, the ones no CRD covers (built-in kinds, for kubernetes-validate) and the ones skipped. Exits 1 when
      there is a finding. Needs PyYAML and jsonschema (the validators' virtualenv has both).
"""
import json
import os
import re
import sys
import zipfile

CRD_DOCUMENT = re.compile(r'^kind:\s*CustomResourceDefinition\s*$', re.MULTILINE)
DOCUMENT_SEPARATOR = re.compile(r'^---[ \t]*$', re.MULTILINE)
# Groups of the built-in API (core is ""): their kinds are kubernetes-validate's.
BUILT_IN_GROUPS = {'', 'apps', 'batch', 'autoscaling', 'policy'}
# Inputs to `kustomize build`, never applied to a cluster.
BUILD_ONLY_GROUPS = {'kustomize.config.k8s.io'}
# A Flux post-build substitution variable: ${NAME}, ${NAME:=default} or ${NAME:-default}. Flux replaces it before
# the object reaches the API server, so a type or pattern error on a value holding one is not a finding.
SUBSTITUTION = re.compile(r'\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-=][^}]*)?\}')
SUBSTITUTABLE = {'type', 'pattern', 'enum', 'format', 'minLength', 'maxLength', 'anyOf', 'oneOf'}
DNS_SUBDOMAIN = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')


def extract(zip_path, prefix, dest, files):
    os.makedirs(dest, exist_ok=True)
    with zipfile.ZipFile(zip_path) as archive:
        for name in files:
            text = archive.read(f'{prefix}/{name}').decode('utf-8')
            if CRD_DOCUMENT.search(text):
                documents = [d for d in DOCUMENT_SEPARATOR.split(text) if CRD_DOCUMENT.search(d)]
                text = '---\n' + '---\n'.join(d.strip('\n') + '\n' for d in documents)
            with open(os.path.join(dest, os.path.basename(name)), 'w', encoding='utf-8') as out:
                out.write(text)
            print(f'{name} -> {os.path.join(dest, os.path.basename(name))}')


def to_json_schema(schema, stats):
    """A structural OpenAPI v3 schema (as CRDs carry it) as a draft-07 JSON Schema that rejects what the API server rejects."""
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == 'properties':
            out[key] = {name: to_json_schema(sub, stats) for name, sub in value.items()}
        elif key in ('items', 'not') or (key == 'additionalProperties' and isinstance(value, dict)):
            out[key] = to_json_schema(value, stats)
        elif key in ('allOf', 'anyOf', 'oneOf'):
            out[key] = [to_json_schema(sub, stats) for sub in value]
        elif key == 'x-kubernetes-validations':
            stats['cel'] += len(value)
        elif key.startswith('x-kubernetes-') or key in ('description', 'default', 'example', 'externalDocs', 'nullable', 'title'):
            continue
        else:
            out[key] = value
    # OpenAPI 3.0 writes exclusive bounds as booleans beside minimum/maximum; JSON Schema as the bound itself.
    for bound, exclusive in (('minimum', 'exclusiveMinimum'), ('maximum', 'exclusiveMaximum')):
        if out.get(exclusive) is True and bound in out:
            out[exclusive] = out.pop(bound)
        elif isinstance(out.get(exclusive), bool):
            del out[exclusive]
    if schema.get('x-kubernetes-int-or-string'):
        out.pop('type', None)
        out.setdefault('anyOf', [{'type': 'integer'}, {'type': 'string'}])
    if schema.get('x-kubernetes-embedded-resource') and 'properties' in out:
        for name in ('apiVersion', 'kind'):
            out['properties'].setdefault(name, {'type': 'string'})
        out['properties'].setdefault('metadata', {'type': 'object'})
    # The API server drops (and, with strict field validation, refuses) fields its schema does not name.
    if 'properties' in out and 'additionalProperties' not in out and not schema.get('x-kubernetes-preserve-unknown-fields'):
        out['additionalProperties'] = False
    if schema.get('nullable'):
        if 'type' in out:
            out['type'] = [out['type'], 'null'] if isinstance(out['type'], str) else [*out['type'], 'null']
        if 'enum' in out:
            out['enum'] = [*out['enum'], None]
    return out


def crd_files(directory):
    """Every *.yaml / *.yml below `directory`, sorted, with its size and modification time."""
    files = []
    for base, _, names in os.walk(directory):
        for name in (n for n in names if n.endswith(('.yaml', '.yml'))):
            path = os.path.join(base, name)
            info = os.stat(path)
            files.append([os.path.relpath(path, directory), info.st_size, info.st_mtime_ns])
    return sorted(files)


def load_crds(directory):
    """The CRDs below `directory`, by (group, version, kind). Parsing their YAML takes about 0.35 s, so the result is
    kept in DIR/.crds.json, used while the YAML files are the same ones, with the same sizes and times."""
    files = crd_files(directory)
    cache = os.path.join(directory, '.crds.json')
    try:
        with open(cache, encoding='utf-8') as f:
            cached = json.load(f)
        if cached.get('files') == files:
            return {tuple(key): entry for key, entry in cached['crds']}, {'cel': 0}
    except (OSError, ValueError, AttributeError, TypeError):
        pass
    import yaml
    crds = {}
    for name, _, _ in files:
        with open(os.path.join(directory, name), encoding='utf-8') as f:
            for doc in yaml.load_all(f, Loader=yaml.CSafeLoader):
                if not isinstance(doc, dict) or doc.get('kind') != 'CustomResourceDefinition':
                    continue
                spec = doc['spec']
                for version in spec['versions']:
                    crds[(spec['group'], version['name'], spec['names']['kind'])] = {
                        'crd': doc['metadata']['name'],
                        'scope': spec['scope'],
                        'served': version.get('served', False),
                        'deprecated': version.get('deprecated', False),
                        'warning': version.get('deprecationWarning'),
                        'openapi': version.get('schema', {}).get('openAPIV3Schema', {}),
                    }
    # Written aside and renamed into place: several test files may validate at once.
    temporary = f'{cache}.{os.getpid()}'
    try:
        with open(temporary, 'w', encoding='utf-8') as f:
            json.dump({'files': files, 'crds': [[list(key), entry] for key, entry in crds.items()]}, f)
        os.replace(temporary, cache)
    except OSError:
        pass
    return crds, {'cel': 0}


def json_path(parts):
    out = ''
    for part in parts:
        out += f'[{part}]' if isinstance(part, int) else (f'.{part}' if out else str(part))
    return out or '(document)'


def describe_error(error):
    """(JSON path, message) for one jsonschema error, phrased as what to change."""
    path = list(error.absolute_path)
    if error.validator == 'additionalProperties':
        extra = sorted(set(error.instance) - set(error.schema.get('properties', {})))
        return [(json_path(path + [name]), 'unknown field: the CRD schema has no such field') for name in extra]
    if error.validator == 'required':
        missing = re.match(r"'([^']+)' is a required property", error.message)
        return [(json_path(path + [missing.group(1)] if missing else path), 'required field is missing')]
    if error.validator in ('anyOf', 'oneOf') and error.context:
        best = min(error.context, key=lambda e: len(list(e.absolute_path)))
        return [(json_path(path), f'{error.message} ({best.message})')]
    return [(json_path(path), error.message)]


def substituted(error):
    return error.validator in SUBSTITUTABLE and isinstance(error.instance, str) and SUBSTITUTION.search(error.instance) is not None


def validate(crd_dir, files):
    import yaml
    from jsonschema import Draft7Validator

    crds, stats = load_crds(crd_dir)
    groups = {group for group, _, _ in crds}
    report = {'crds': sorted({entry['crd'] for entry in crds.values()}), 'findings': [], 'validated': [], 'uncovered': [], 'skipped': [], 'substitutions': 0}
    validators = {}
    for file in files:
        try:
            with open(file, encoding='utf-8') as f:
                documents = list(yaml.load_all(f, Loader=yaml.CSafeLoader))
        except yaml.YAMLError as e:
            report['findings'].append({'file': file, 'document': None, 'kind': None, 'name': None, 'apiVersion': None, 'path': '(file)', 'message': f'not YAML: {e}'})
            continue
        for index, doc in enumerate(documents):
            if doc is None:
                continue
            where = {'file': file, 'document': index, 'apiVersion': None, 'kind': None, 'name': None}
            if not isinstance(doc, dict):
                report['findings'].append({**where, 'path': '(document)', 'message': 'a Kubernetes object must be a mapping'})
                continue
            api_version, kind = doc.get('apiVersion'), doc.get('kind')
            name = (doc.get('metadata') or {}).get('name') if isinstance(doc.get('metadata'), dict) else None
            where.update(apiVersion=api_version, kind=kind, name=name)
            if not isinstance(api_version, str) or not isinstance(kind, str):
                report['findings'].append({**where, 'path': '(document)', 'message': 'apiVersion and kind are required strings'})
                continue
            group, _, version = api_version.rpartition('/')
            if group in BUILD_ONLY_GROUPS:
                report['skipped'].append({**where, 'reason': f'{group} is an input to kustomize build, not a cluster object'})
                continue
            entry = crds.get((group, version, kind))
            if entry is None:
                if group in groups:
                    served = sorted(f'{v}{" (deprecated)" if e["deprecated"] else ""}' for (g, v, k), e in crds.items() if g == group and k == kind and e['served'])
                    known = sorted({k for (g, _, k) in crds if g == group})
                    message = (f'{group} serves {kind} as {", ".join(served)}, not {version}' if served
                               else f'the CRDs of {group} define no kind {kind} (they define {", ".join(known)})')
                    report['findings'].append({**where, 'path': 'apiVersion' if served else 'kind', 'message': message})
                else:
                    report['uncovered'].append(where)
                continue
            if not entry['served']:
                report['findings'].append({**where, 'path': 'apiVersion', 'message': f'{api_version} is no longer served by {entry["crd"]}'})
                continue
            if entry['deprecated']:
                report['findings'].append({**where, 'path': 'apiVersion', 'message': f'deprecated: {entry["warning"] or api_version + " is deprecated"}'})
            key = (group, version, kind)
            if key not in validators:
                validators[key] = Draft7Validator(to_json_schema(entry['openapi'], stats))
            problems = []
            for error in validators[key].iter_errors(doc):
                if substituted(error):
                    report['substitutions'] += 1
                    continue
                problems.extend(describe_error(error))
            metadata = doc.get('metadata') if isinstance(doc.get('metadata'), dict) else {}
            if not isinstance(metadata.get('name'), str) or len(metadata['name']) > 253 or not DNS_SUBDOMAIN.match(metadata['name']):
                problems.append(('metadata.name', 'required: a DNS subdomain name (lowercase letters, digits, "-" and ".", at most 253)'))
            if entry['scope'] == 'Cluster' and 'namespace' in metadata:
                problems.append(('metadata.namespace', f'{kind} is cluster-scoped: it has no namespace'))
            for path, message in sorted(set(problems)):
                report['findings'].append({**where, 'path': path, 'message': message})
            report['validated'].append(where)
    report['celRulesNotEvaluated'] = stats['cel']
    return report


def main(argv):
    if len(argv) >= 5 and argv[1] == 'extract':
        extract(argv[2], argv[3], argv[4], argv[5:])
        return 0
    if len(argv) >= 4 and argv[1] == 'validate' and argv[2] == '--crds':
        report = validate(argv[3], argv[4:])
        json.dump(report, sys.stdout, indent=1)
        sys.stdout.write('\n')
        return 1 if report['findings'] else 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
