#!/usr/bin/env python3
"""Copies each docs/examples region (or whole file) into the C# block after its <!-- example: … --> marker in
docs/*.md, docs/nuget/README.md and README.md. Edit the example, build it, then run this; DocSnippetTests fails
when a guide and its example differ."""
import glob, os, re, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
marker = re.compile(r'^<!-- example: (docs/examples/[^#\s]+\.cs)(?:#([\w-]+))? -->$')


def region(path, name):
    lines = open(os.path.join(root, path)).read().split('\n')
    if name is None:
        return '\n'.join(lines)
    start = next(i for i, l in enumerate(lines) if l.strip() == '#region ' + name)
    body, depth = [], 0
    for l in lines[start + 1:]:
        t = l.strip()
        if t.startswith('#region'):
            depth += 1
            continue
        if t.startswith('#endregion'):
            if depth == 0:
                break
            depth -= 1
            continue
        body.append(l)
    indent = min((len(l) - len(l.lstrip()) for l in body if l.strip()), default=0)
    return ''.join((l[indent:] if len(l) >= indent else l.lstrip()) + '\n' for l in body)


changed = 0
files = glob.glob(os.path.join(root, 'docs', '*.md')) + [os.path.join(root, 'docs', 'nuget', 'README.md'), os.path.join(root, 'README.md')]
for f in files:
    lines = open(f).read().split('\n')
    out, i = [], 0
    while i < len(lines):
        out.append(lines[i])
        m = marker.match(lines[i].strip())
        if m:
            j = i + 1
            while lines[j].strip() == '':
                out.append(lines[j]); j += 1
            if not lines[j].startswith('```'):
                sys.exit(f'{f}:{j + 1}: no code block after the marker')
            out.append(lines[j])
            k = j + 1
            while not lines[k].lstrip().startswith('```'):
                k += 1
            code = region(m.group(1), m.group(2))
            out.extend(code.split('\n')[:-1] if code.endswith('\n') else code.split('\n'))
            i = k
            continue
        i += 1
    text = '\n'.join(out)
    if text != open(f).read():
        open(f, 'w').write(text)
        changed += 1
        print('updated', os.path.relpath(f, root))
print(f'{changed} file(s) updated')
