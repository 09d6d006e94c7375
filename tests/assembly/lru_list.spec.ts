import { LruList, LRU_NONE } from "../../assembly/storage/lru_list";

let state: u32 = 0x2545f491;
function below(n: i32): i32 {
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return <i32>(state % <u32>n);
}

/** The list front to back, through next(). */
function walk(l: LruList): i32[] {
  const out: i32[] = [];
  for (let i = l.front(), n = 0; i != LRU_NONE && n <= l.capacity; i = l.next(i), n++) out.push(i);
  return out;
}

/** The list back to front, through prev(). */
function walkBack(l: LruList): i32[] {
  const out: i32[] = [];
  for (let i = l.back(), n = 0; i != LRU_NONE && n <= l.capacity; i = l.prev(i), n++) out.unshift(i);
  return out;
}

describe("lru list", () => {
  it("keeps most recently pushed or moved first, least recent at the back", () => {
    const l = new LruList(5);
    expect<i32>(l.front()).toBe(LRU_NONE);
    expect<i32>(l.back()).toBe(LRU_NONE);
    l.pushFront(1);
    l.pushFront(3);
    l.pushFront(0);
    expect<i32[]>(walk(l)).toStrictEqual([0, 3, 1]);
    expect<i32>(l.back()).toBe(1);
    expect<bool>(l.moveToFront(1)).toBe(true);
    expect<i32[]>(walk(l)).toStrictEqual([1, 0, 3]);
    expect<i32>(l.back()).toBe(3);
    expect<bool>(l.remove(0)).toBe(true);
    expect<i32[]>(walk(l)).toStrictEqual([1, 3]);
    expect<i32[]>(walkBack(l)).toStrictEqual([1, 3]);
    expect<i32>(l.length).toBe(2);
    expect<bool>(l.isMember(0)).toBe(false);
    expect<bool>(l.isMember(3)).toBe(true);
  });

  it("refuses double pushes, absent members and bad slots without changing anything", () => {
    const l = new LruList(3);
    expect<bool>(l.pushFront(2)).toBe(true);
    expect<bool>(l.pushFront(2)).toBe(false);
    expect<bool>(l.pushFront(3)).toBe(false);
    expect<bool>(l.pushFront(-1)).toBe(false);
    expect<bool>(l.moveToFront(0)).toBe(false);
    expect<bool>(l.remove(1)).toBe(false);
    expect<bool>(l.remove(99)).toBe(false);
    expect<bool>(l.isMember(-5)).toBe(false);
    expect<i32>(l.next(7)).toBe(LRU_NONE);
    expect<i32>(l.length).toBe(1);
    expect<bool>(l.remove(2)).toBe(true);
    expect<i32>(l.front()).toBe(LRU_NONE);
    expect<i32>(l.back()).toBe(LRU_NONE);
    expect<i32>(l.length).toBe(0);
  });

  it("agrees with an array model under random operations", () => {
    const cap = 16;
    const l = new LruList(cap);
    const model: i32[] = []; // front first
    let mismatches = 0;
    for (let step = 0; step < 20_000; step++) {
      const slot = below(cap + 1); // cap itself is out of range
      const at = model.indexOf(slot);
      const op = below(4);
      if (op == 0) {
        const ok = l.pushFront(slot);
        if (ok != (at < 0 && slot < cap)) mismatches++;
        if (ok) model.unshift(slot);
      } else if (op == 1) {
        const ok = l.moveToFront(slot);
        if (ok != (at >= 0)) mismatches++;
        if (ok) { model.splice(at, 1); model.unshift(slot); }
      } else if (op == 2) {
        const ok = l.remove(slot);
        if (ok != (at >= 0)) mismatches++;
        if (ok) model.splice(at, 1);
      } else {
        // Evict like a cache does: remove the back.
        const b = l.back();
        if (b != (model.length > 0 ? model[model.length - 1] : LRU_NONE)) mismatches++;
        if (b != LRU_NONE) { l.remove(b); model.pop(); }
      }
      const f = walk(l);
      const r = walkBack(l);
      if (f.length != model.length || r.length != model.length || l.length != model.length) mismatches++;
      else for (let k = 0; k < f.length; k++) if (f[k] != model[k] || r[k] != model[k]) mismatches++;
      for (let s = 0; s < cap; s++) if (l.isMember(s) != model.includes(s)) mismatches++;
      if (mismatches > 0) break;
    }
    expect<i32>(mismatches).toBe(0);
  });
});
