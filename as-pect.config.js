// as-pect runs every core spec in tests/assembly. Coverage is off: its plugin is broken on
// AssemblyScript 0.28.
export default {
  entries: ["tests/assembly/**/*.spec.ts"],
  include: [],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
