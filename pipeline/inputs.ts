import { execa } from 'execa';
import { parseCommit, parseVersion, uidOf, type Version } from '../discovery/version.js';
import { InputError } from './errors.js';

export interface Inputs {
  version: Version;
  commit: string;
  uid: string;
}

/** Validates version and commit at the edge; a short commit is resolved with git when a repository is given. */
export async function resolveInputs(options: { version: string; commit: string; repo?: string }): Promise<Inputs> {
  const version = parseVersion(options.version);
  const commit = options.repo ? await resolveCommit(options.repo, options.commit) : parseCommit(options.commit);
  return { version, commit, uid: uidOf(version, commit) };
}

async function resolveCommit(repo: string, commit: string): Promise<string> {
  if (!/^[0-9a-fA-F]{4,40}$/.test(commit)) parseCommit(commit);
  const result = await execa('git', ['-C', repo, 'rev-parse', '--verify', '--quiet', `${commit}^{commit}`], { reject: false });
  if (result.exitCode !== 0) {
    throw new InputError(`commit "${commit}" is not a commit in ${repo}`, 'give the full 40-character hash, or a prefix git can resolve');
  }
  return parseCommit(result.stdout.trim());
}
