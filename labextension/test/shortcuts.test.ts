import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { CommandIDs } from '../src/commands';

// build-test/test/ → labextension/
const root = join(__dirname, '..', '..');
const read = (path: string): string => readFileSync(path, 'utf8');

interface IShortcut {
  command: string;
  keys: string[];
  selector: string;
}

const schema = JSON.parse(read(join(root, 'schema', 'plugin.json'))) as {
  'jupyter.lab.shortcuts': IShortcut[];
  'jupyter.lab.menus': { main: Array<{ items: Array<{ command?: string }> }> };
};
const shortcuts = schema['jupyter.lab.shortcuts'];
const indexSource = read(join(root, 'src', 'index.ts'));
const registered = new Set(
  [...indexSource.matchAll(/addCommand\(\s*CommandIDs\.(\w+)/g)].map(
    m => (CommandIDs as Record<string, string>)[m[1]]
  )
);

/** JupyterLab's own settings schemas (the lab this package is built against). */
function labSchemasDir(): string {
  const venv = join(root, '..', '.venv', 'share', 'jupyter', 'lab', 'schemas');
  if (existsSync(venv)) {
    return venv;
  }
  const prefix = execFileSync('python3', ['-c', 'import sys; print(sys.prefix)']).toString();
  return join(prefix.trim(), 'share', 'jupyter', 'lab', 'schemas');
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? jsonFiles(path) : path.endsWith('.json') ? [path] : [];
  });
}

/** "Accel Alt K" and "Alt Accel K" are one binding. */
const normal = (keys: string[]): string => keys.map(k => k.split(' ').sort().join(' ')).join(', ');

describe('keyboard shortcuts (schema/plugin.json)', () => {
  it('bind unlock, lock and new note', () => {
    const bound = new Set(shortcuts.map(s => s.command));
    for (const id of [CommandIDs.unlock, CommandIDs.lock, CommandIDs.newNote]) {
      assert.ok(bound.has(id), id);
    }
  });

  it('point to commands the plugin registers', () => {
    assert.ok(registered.size >= 8, 'index.ts registers its commands through CommandIDs');
    for (const shortcut of shortcuts) {
      assert.ok(registered.has(shortcut.command), shortcut.command);
      assert.ok(shortcut.keys.length > 0 && shortcut.selector, shortcut.command);
    }
  });

  it('are shown in the KAP menu (their commands are menu items)', () => {
    const inMenu = new Set(schema['jupyter.lab.menus'].main[0].items.map(item => item.command));
    for (const shortcut of shortcuts) {
      assert.ok(inMenu.has(shortcut.command), shortcut.command);
    }
  });

  it("do not clash with each other or with JupyterLab's default shortcuts", () => {
    const ours = shortcuts.map(s => normal(s.keys));
    assert.equal(new Set(ours).size, ours.length);
    const files = jsonFiles(labSchemasDir());
    assert.ok(files.length > 20, 'found the JupyterLab schemas');
    const taken = new Map<string, string>();
    for (const file of files) {
      const other = JSON.parse(read(file)) as { 'jupyter.lab.shortcuts'?: IShortcut[] };
      for (const s of other['jupyter.lab.shortcuts'] ?? []) {
        taken.set(normal(s.keys), s.command);
      }
    }
    assert.ok(taken.has(normal(['Accel Shift C'])), 'the command palette binding is seen');
    for (const keys of ours) {
      assert.equal(taken.get(keys), undefined, keys);
    }
  });
});
