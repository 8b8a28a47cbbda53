/**
 * Type-checks small TypeScript snippets against the package source with the
 * compiler API, to pin what the compiler SAYS about a mistake (the message a
 * user reads), which `@ts-expect-error` cannot. Every snippet goes into one
 * program: the package source and the Node types are checked once.
 */
import { join, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '../..');
/** Where the snippets pretend to live: they import the package as `../../src/index.ts`. */
const snippetDir = join(root, 'test/helpers');

export interface Diagnostic {
  /** The whole message, every line of its chain. */
  message: string;
  /** The snippet text the diagnostic points at, e.g. `secnds`. */
  at: string;
}

/**
 * The diagnostics of each snippet. `prelude` is prepended to every snippet
 * (imports and declarations); each snippet becomes the body of an async
 * function, so it may `await`.
 */
export function typeCheck(
  prelude: string,
  snippets: Readonly<Record<string, string>>,
): Map<string, Diagnostic[]> {
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), (path) => ts.sys.readFile(path));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const sources = new Map<string, { name: string; text: string }>();
  for (const [name, body] of Object.entries(snippets)) {
    const text = `${prelude}\nexport async function snippet(): Promise<void> {\n${body}\n}\n`;
    sources.set(join(snippetDir, `snippet-${name}.ts`), { name, text });
  }
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (path) => sources.has(path) || fileExists.call(host, path);
  host.readFile = (path) => sources.get(path)?.text ?? readFile.call(host, path);
  host.getSourceFile = (path, languageVersion, onError, shouldCreate) => {
    const source = sources.get(path);
    return source === undefined
      ? getSourceFile.call(host, path, languageVersion, onError, shouldCreate)
      : ts.createSourceFile(path, source.text, languageVersion);
  };
  const program = ts.createProgram([...sources.keys()], options, host);
  const result = new Map<string, Diagnostic[]>();
  for (const [path, { name, text }] of sources) {
    const file = program.getSourceFile(path);
    if (file === undefined) throw new Error(`snippet ${name} was not compiled`);
    const found = [
      ...program.getSyntacticDiagnostics(file),
      ...program.getSemanticDiagnostics(file),
    ];
    result.set(
      name,
      found.map((d) => ({
        message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
        at: d.start === undefined ? '' : text.slice(d.start, d.start + (d.length ?? 0)),
      })),
    );
  }
  return result;
}
