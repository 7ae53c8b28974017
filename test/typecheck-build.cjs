/**
 * Started by test/typecheck.cjs (`npm test`): one TypeScript process for the two compilations a test run needs,
 * each run as `tsc --build` runs it, so that what has not changed since the last run is not compiled again.
 *
 * 1. The package build, as `npm run build` (tsconfig.build.json, through test/tsconfig.library.json, which adds
 *    build info under .cache/): dist/, for test/library.test.ts. Its result (exit code and tsc's messages) is
 *    written to the file named by argv[2] as soon as it is done; the test waits for that file instead of running tsc
 *    itself. `tsc --build` trusts the build info of a project without `composite` even when an output is gone, so
 *    the build info is dropped first when any output file the build makes is missing (after `rm -rf dist`).
 * 2. The type check, as `npm run typecheck` (`tsc --noEmit`, incremental, with the same build info file); its
 *    messages go to stdout and its exit code is this process's.
 *
 * When they do compile, both read the same files (TypeScript's lib, @types, cdktf's and the providers'
 * declarations, constructs/), so each file is parsed once and the second program reuses it. The options and the
 * files of each program are tsc's own for its tsconfig; only the parsing is shared.
 */
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const ROOT = path.join(__dirname, '..');
const LIBRARY = path.join(__dirname, 'tsconfig.library.json');
const TYPECHECK = path.join(ROOT, 'tsconfig.json');
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
      // The version tsc's incremental build gives a file (a hash of its text), which an incremental program needs.
      if (file.version === undefined) file.version = ts.getSourceFileVersionAsHashFromText(ts.sys, file.text);
      parsed.set(key, file);
    }
    return file;
  };
  return host;
}

const formatHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };

/** The build info of `configFile`, removed when any output its files compile to is missing. */
function dropBuildInfoWithoutOutputs(configFile) {
  const config = ts.getParsedCommandLineOfConfigFile(configFile, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  const buildInfo = config && ts.getTsBuildInfoEmitOutputFilePath(config.options);
  if (!buildInfo || !fs.existsSync(buildInfo)) return;
  const outputs = config.fileNames.flatMap((file) => ts.getOutputFileNames(config, file, !ts.sys.useCaseSensitiveFileNames));
  if (outputs.some((file) => !fs.existsSync(file))) fs.rmSync(buildInfo);
}

/** Builds `configFile` as `tsc --build` would; returns its exit code and tsc's messages. */
function build(configFile) {
  const diagnostics = [];
  const host = ts.createSolutionBuilderHost(
    ts.sys,
    (rootNames, options, compilerHost, ...rest) => ts.createEmitAndSemanticDiagnosticsBuilderProgram(rootNames, options, compilerHost && shareSourceFiles(compilerHost), ...rest),
    (d) => diagnostics.push(d),
    () => {},
  );
  const status = ts.createSolutionBuilder(host, [configFile], {}).build();
  return { code: status === ts.ExitStatus.Success ? 0 : 2, output: ts.formatDiagnostics(diagnostics, formatHost) };
}

function writeResult(result) {
  fs.writeFileSync(`${resultFile}.tmp`, JSON.stringify(result));
  fs.renameSync(`${resultFile}.tmp`, resultFile);
}

let built;
try {
  dropBuildInfoWithoutOutputs(LIBRARY);
  built = build(LIBRARY);
} catch (e) {
  built = { code: 1, output: `the build crashed: ${e.stack}` };
}
writeResult(built);
const checked = build(TYPECHECK);
process.stdout.write(checked.output);
process.exitCode = checked.code;
