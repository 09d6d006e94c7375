// Slots chained by key: the chain a key names, in order (newest first), through links and unlinks
// at the head, the middle and the end, and what link/unlink say about the key's first and last slot.
import { KeyedChains, CHAIN_END } from "../../assembly/storage/keyed_chains";

const kept: KeyedChains[] = [];

function chain(c: KeyedChains, key: u64): string {
  let s = "";
  for (let i = c.first(key); i != CHAIN_END; i = c.next(i)) s += (s.length > 0 ? "," : "") + i.toString();
  return s;
}

describe("keyed chains", () => {
  it("links newest first and tells when a key gets its first slot", () => {
    const c = new KeyedChains(8, 1, 2);
    kept.push(c);
    expect<bool>(c.link(3, 80)).toBe(true);
    expect<bool>(c.link(5, 80)).toBe(false);
    expect<bool>(c.link(1, 80)).toBe(false);
    expect<bool>(c.link(2, 443)).toBe(true);
    expect<string>(chain(c, 80)).toBe("1,5,3");
    expect<string>(chain(c, 443)).toBe("2");
    expect<string>(chain(c, 22)).toBe("");
  });

  it("unlinks from the middle, the head and the end, and tells when the key's last slot goes", () => {
    const c = new KeyedChains(8, 3, 4);
    kept.push(c);
    c.link(3, 80);
    c.link(5, 80);
    c.link(1, 80);
    expect<bool>(c.unlink(5, 80)).toBe(false);
    expect<string>(chain(c, 80)).toBe("1,3");
    expect<bool>(c.unlink(1, 80)).toBe(false);
    expect<string>(chain(c, 80)).toBe("3");
    expect<bool>(c.unlink(3, 80)).toBe(true);
    expect<string>(chain(c, 80)).toBe("");
    // The slots can be used again, under another key.
    expect<bool>(c.link(3, 8080)).toBe(true);
    expect<bool>(c.link(1, 8080)).toBe(false);
    expect<bool>(c.unlink(3, 8080)).toBe(false);
    expect<string>(chain(c, 8080)).toBe("1");
  });
});
