/**
 * Started by test/typecheck.cjs (`npm test`): one TypeScript process for the two compilations a test run needs.
 *
 * 1. The package build, as `npm run build` (`tsc -p tsconfig.build.json`): dist/, for test/library.test.ts. Its
 *    result (exit code and tsc's messages) is written to the file named by argv[2] as soon as it is done; the test
 *    waits for that file instead of running tsc itself.
 * 2. The type check, as `npm run typecheck` (`tsc --noEmit`, incremental, with the same build info file); its
 *    messages go to stdout and its exit code is this process's.
 *
 * Both read the same files (TypeScript's lib, @types, cdktf's and the providers' declarations, constructs/), so
 * each file is read and parsed once and the second program reuses it: about 1.5 CPU-seconds less than two tsc
 * processes. The options and the files of each program are tsc's own for its tsconfig; only the parsing is shared.
 */
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const ROOT = path.join(__dirname, '..');
const resultFile = process.argv[2];

/** Parsed source files, by name and language version: both programs parse with the same settings. */
const parsed = new Map();
function shareSourceFiles(host) {
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreateNewSourceFile) => {
    const key = `${fileName}\0${typeof languageVersion === 'object' ? JSON.stringify(languageVersion) : languageVersion}`;
    if (!shouldCreateNewSourceFile && parsed.has(key)) return parsed.get(key);
    const file = getSourceFile(fileName, languageVersion, onError, shouldCreateNewSourceFile);
    if (file) {
      // The version tsc's incremental build gives a file (a hash of its text), which the type check's program needs.
      if (file.version === undefined) file.version = ts.getSourceFileVersionAsHashFromText(ts.sys, file.text);
      parsed.set(key, file);
    }
    return file;
  };
  return host;
}

const formatHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
const format = (diagnostics) => ts.formatDiagnostics(diagnostics, formatHost);

function config(file, overrides) {
  let fatal;
  const parsedConfig = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, file), overrides, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => (fatal = d),
  });
  if (!parsedConfig) return { error: format([fatal]) };
  return { parsedConfig };
}

function build() {
  const { parsedConfig, error } = config('tsconfig.build.json', {});
  if (error) return { code: 1, output: error };
  const program = ts.createProgram({
    rootNames: parsedConfig.fileNames,
    options: parsedConfig.options,
    projectReferences: parsedConfig.projectReferences,
    host: shareSourceFiles(ts.createCompilerHost(parsedConfig.options)),
    configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(parsedConfig),
  });
  const diagnostics = [...ts.getPreEmitDiagnostics(program)];
  const emitted = program.emit();
  diagnostics.push(...emitted.diagnostics);
  const errors = diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error) || emitted.emitSkipped;
  return { code: errors ? 2 : 0, output: format(ts.sortAndDeduplicateDiagnostics(diagnostics)) };
}

function typecheck() {
  const { parsedConfig, error } = config('tsconfig.json', { noEmit: true });
  if (error) return { code: 1, output: error };
  const program = ts.createIncrementalProgram({
    rootNames: parsedConfig.fileNames,
    options: parsedConfig.options,
    projectReferences: parsedConfig.projectReferences,
    host: shareSourceFiles(ts.createIncrementalCompilerHost(parsedConfig.options)),
    configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(parsedConfig),
  });
  const diagnostics = [
    ...program.getConfigFileParsingDiagnostics(),
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSyntacticDiagnostics(),
  ];
  if (diagnostics.length === 0) diagnostics.push(...program.getSemanticDiagnostics());
  // Writes the build info, as tsc --noEmit does with incremental on.
  diagnostics.push(...program.emit().diagnostics);
  const errors = diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error);
  return { code: errors ? 2 : 0, output: format(diagnostics) };
}

function writeResult(result) {
  fs.writeFileSync(`${resultFile}.tmp`, JSON.stringify(result));
  fs.renameSync(`${resultFile}.tmp`, resultFile);
}

let built;
try {
  built = build();
} catch (e) {
  built = { code: 1, output: `the build crashed: ${e.stack}` };
}
writeResult(built);
const checked = typecheck();
process.stdout.write(checked.output);
process.exitCode = checked.code;
