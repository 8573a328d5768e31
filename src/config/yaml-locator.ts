// Maps a path in the parsed config (["pipelines", "test", "needs", 0]) back to where it
// was written, so every problem can point at a line and column. Follows aliases and
// `<<` merge keys, since the data zod checked went through both.

import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from "yaml";

export type ConfigPath = readonly (string | number)[];

export interface Position {
  line: number;
  column: number;
}

export interface Locator {
  /** Where the value at `path` starts; for an empty value, its key. */
  value(path: ConfigPath): Position;
  /** Where the key of the last segment of `path` is written. */
  key(path: ConfigPath): Position;
  /** Where the key or list item `name` sits inside the mapping, list or scalar at `path`. */
  member(path: ConfigPath, name: string): Position;
  /** The YAML node for `path`, aliases resolved; undefined if it is not written. */
  node(path: ConfigPath): Node | undefined;
  /** Position of a source offset, clamped into the text. */
  offset(offset: number): Position;
}

const FILE_START: Position = { line: 1, column: 1 };
// Deep enough for any sane config; stops alias chains from looping.
const MAX_ALIAS_DEPTH = 32;

export function createLocator(doc: Document, lineCounter: LineCounter, text: string): Locator {
  function offset(at: number): Position {
    const clamped = Math.max(0, Math.min(at, text.length - 1));
    const pos = lineCounter.linePos(clamped);
    return { line: Math.max(1, pos.line), column: Math.max(1, pos.col) };
  }

  function at(node: Node | null | undefined): Position | null {
    const start = node?.range?.[0];
    return start === undefined ? null : offset(start);
  }

  function deref(node: unknown): unknown {
    let current = node;
    for (let depth = 0; isAlias(current) && depth < MAX_ALIAS_DEPTH; depth += 1) {
      current = current.resolve(doc);
    }
    return current;
  }

  function keyText(pair: Pair): string | null {
    if (!isScalar(pair.key)) return null;
    const value = pair.key.value;
    return typeof value === "symbol" ? "<<" : String(value);
  }

  // Own keys win over merged ones, as in YAML's merge semantics.
  function findPair(mapNode: unknown, name: string, depth = 0): Pair | undefined {
    const map = deref(mapNode);
    if (!isMap(map) || depth > MAX_ALIAS_DEPTH) return undefined;
    const own = map.items.find((pair) => keyText(pair) === name);
    if (own !== undefined) return own;
    for (const pair of map.items) {
      if (keyText(pair) !== "<<") continue;
      const source = deref(pair.value);
      const sources = isSeq(source) ? source.items : [source];
      for (const candidate of sources) {
        const found = findPair(candidate, name, depth + 1);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  }

  /** Each step's key node (for mapping steps) and raw value node, as far as the path resolves. */
  function walk(path: ConfigPath): { keys: (Node | undefined)[]; values: (Node | undefined)[]; complete: boolean } {
    const keys: (Node | undefined)[] = [];
    const values: (Node | undefined)[] = [];
    let current: unknown = doc.contents;
    for (const segment of path) {
      const container = deref(current);
      let key: Node | undefined;
      let next: unknown;
      if (isMap(container)) {
        const pair = findPair(container, String(segment));
        if (pair === undefined) return { keys, values, complete: false };
        key = pair.key as Node;
        next = pair.value;
      } else if (isSeq(container) && typeof segment === "number") {
        next = container.items[segment];
        if (next === undefined) return { keys, values, complete: false };
      } else if (isScalar(container) && segment === 0) {
        // A single string where a list is allowed (`branches: main`) is item 0.
        next = container;
      } else {
        return { keys, values, complete: false };
      }
      keys.push(key);
      values.push(next as Node | undefined);
      current = next;
    }
    return { keys, values, complete: true };
  }

  function isEmptyScalar(node: unknown): boolean {
    return isScalar(node) && node.value === null && (node.source === "" || node.source === undefined);
  }

  // Falls back to the nearest written ancestor so a problem never lacks a position.
  function nearest(keys: (Node | undefined)[], values: (Node | undefined)[]): Position {
    for (let i = values.length - 1; i >= 0; i -= 1) {
      const value = values[i];
      const pos = (isEmptyScalar(value) ? null : at(value)) ?? at(keys[i]);
      if (pos !== null) return pos;
    }
    return at(doc.contents) ?? FILE_START;
  }

  function value(path: ConfigPath): Position {
    const { keys, values } = walk(path);
    return nearest(keys, values);
  }

  function key(path: ConfigPath): Position {
    const { keys, values, complete } = walk(path);
    if (complete) {
      const own = at(keys[keys.length - 1]);
      if (own !== null) return own;
    }
    return nearest(keys, values);
  }

  function member(path: ConfigPath, name: string): Position {
    const container = deref(node(path));
    if (isMap(container)) {
      const pair = findPair(container, name);
      const pos = at(pair?.key as Node | undefined);
      if (pos !== null) return pos;
    } else if (isSeq(container)) {
      const item = container.items.find((entry) => {
        const resolved = deref(entry);
        return isScalar(resolved) && String(resolved.value) === name;
      });
      const pos = at(item as Node | undefined);
      if (pos !== null) return pos;
    }
    return value(path);
  }

  function node(path: ConfigPath): Node | undefined {
    const { values, complete } = walk(path);
    if (!complete) return undefined;
    if (path.length === 0) return (deref(doc.contents) as Node | null) ?? undefined;
    return deref(values[values.length - 1]) as Node | undefined;
  }

  return { value, key, member, node, offset };
}
