/**
 * Java programs the engines run, fetched from Maven Central with the machine's Maven into a
 * cache folder: a project of one pom whose dependencies are the program and what it needs,
 * resolved with strict checksums (`mvn -C`: a jar whose SHA-1 does not match Central's is
 * refused), its jars copied into `lib/`. A folder is complete once its `READY` file is written,
 * so an interrupted download is done again, and a second start only reads the folder.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CACHE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules/.cache/c360/engines');

export interface MavenArtifact {
  groupId: string;
  artifactId: string;
  version: string;
}

export function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Whether this machine can run the Java engines: Java and Maven on the path. */
export const javaAvailable = () => hasCommand('java') && hasCommand('mvn');

function pomOf(name: string, artifacts: readonly MavenArtifact[]): string {
  const dependencies = artifacts
    .map((a) => `    <dependency><groupId>${a.groupId}</groupId><artifactId>${a.artifactId}</artifactId><version>${a.version}</version></dependency>`)
    .join('\n');
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>c360.engines</groupId><artifactId>${name}</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
${dependencies}
  </dependencies>
</project>
`;
}

/**
 * The folder holding `lib/` with the artifacts' jars and their runtime dependencies, downloaded
 * the first time. `say` reports progress in words.
 */
export function mavenLibrary(name: string, artifacts: readonly MavenArtifact[], say: (message: string) => void): string {
  const dir = path.join(CACHE, name);
  const ready = path.join(dir, 'READY');
  const pom = pomOf(name, artifacts);
  if (fs.existsSync(ready) && fs.readFileSync(path.join(dir, 'pom.xml'), 'utf8') === pom) return dir;
  if (!javaAvailable()) throw new Error(`${name} needs Java and Maven on the path (java, mvn)`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'pom.xml'), pom);
  say(`downloading ${artifacts.map((a) => `${a.artifactId} ${a.version}`).join(', ')} and their dependencies from Maven Central (once; cached in ${path.relative(process.cwd(), dir)})`);
  execFileSync('mvn', ['-q', '-B', '-C', 'dependency:copy-dependencies', '-DoutputDirectory=lib', '-DincludeScope=runtime'], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
  fs.writeFileSync(ready, new Date().toISOString());
  return dir;
}
