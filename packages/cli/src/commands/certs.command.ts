/** `nanite certs init|issue`: a CA and the certificates of secure mode (docs/security.md). */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NaniteError } from '@nanite/core';
import { Option, type Command } from 'commander';
import { examples, guarded, type RegisterCommand } from '../command-context';
import { EXIT, type ExitCode } from '../exit-codes';
import type { CliIo } from '../io';
import { positiveInt } from '../options';
import { createCa, issueCertificate, type PemPair } from '../certs/pki';

/** The CA's own files in `--dir`: no certificate may be issued under this name (case-insensitive file systems too). */
const CA_NAME = 'ca';

/**
 * Refuses (`NANITE_ERR_INVALID_ARGUMENT`, exit 2) when one of `files` exists: replacing a key or a
 * certificate silently breaks whatever used it. `--force` skips this check.
 */
function refuseOverwrite(files: readonly string[], consequence: string): void {
  const existing = files.filter((f) => existsSync(f));
  if (existing.length === 0) return;
  throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `${existing.join(' and ')} ${existing.length === 1 ? 'exists' : 'exist'}: ${consequence}. Pass --force to overwrite` });
}

/** Writes a certificate and its key (0600); without `force`, a file that appeared since the check is not overwritten either. */
function writePair(crt: string, key: string, pair: PemPair, force: boolean): void {
  const flag = force ? 'w' : 'wx';
  writeFileSync(key, pair.key, { mode: 0o600, flag });
  chmodSync(key, 0o600); // an overwritten key would keep its old mode
  writeFileSync(crt, pair.cert, { flag });
}

/** Creates `ca.crt` and `ca.key` in `dir` (refuses to overwrite an existing CA unless `force`). */
export function runCertsInit(o: { dir: string; name: string; days: number; force?: boolean | undefined }, io: CliIo): Promise<ExitCode> {
  return guarded(io, async () => {
    const crt = join(o.dir, `${CA_NAME}.crt`);
    const key = join(o.dir, `${CA_NAME}.key`);
    if (!o.force) refuseOverwrite([crt, key], 'a CA is already there, and a new one would invalidate every certificate it signed');
    mkdirSync(o.dir, { recursive: true });
    const ca = await createCa(o.name, o.days);
    writePair(crt, key, ca, o.force ?? false);
    io.stdout.write(`CA "${o.name}" written to ${crt} (key: ${key}, keep it offline)\n`);
    return EXIT.OK;
  });
}

/** Creates `<name>.crt` and `<name>.key` in `dir`, signed by the CA there (refuses to overwrite them unless `force`; the name `ca` is reserved). */
export function runCertsIssue(o: { dir: string; name: string; role: 'agent' | 'mapper'; days: number; force?: boolean | undefined }, io: CliIo): Promise<ExitCode> {
  return guarded(io, async () => {
    if (!/^[A-Za-z0-9._-]+$/.test(o.name)) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `"${o.name}" is not a valid identity (letters, digits, . _ -)` });
    if (o.name.toLowerCase() === CA_NAME) {
      throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `"${o.name}" is reserved: ${CA_NAME}.crt and ${CA_NAME}.key are the CA's own files. Pick another name` });
    }
    const crt = join(o.dir, `${o.name}.crt`);
    const key = join(o.dir, `${o.name}.key`);
    let ca: PemPair;
    try {
      ca = { cert: readFileSync(join(o.dir, `${CA_NAME}.crt`), 'utf8'), key: readFileSync(join(o.dir, `${CA_NAME}.key`), 'utf8') };
    } catch {
      throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `No CA in ${o.dir}: run "nanite certs init --dir ${o.dir}" first` });
    }
    if (!o.force) refuseOverwrite([crt, key], `a certificate for "${o.name}" is already there, and whatever uses it would stop working`);
    const pair = await issueCertificate(ca, o.name, o.role, o.days);
    writePair(crt, key, pair, o.force ?? false);
    io.stdout.write(`${o.role} certificate for "${o.name}" written to ${crt} and ${key}\n`);
    return EXIT.OK;
  });
}

/** Registers `nanite certs`. */
export const registerCerts: RegisterCommand = (program: Command, ctx) => {
  const certs = program.command('certs').description('make a CA and the certificates of secure mode');
  certs
    .command('init')
    .description('create a certificate authority (ca.crt, ca.key) in --dir')
    .requiredOption('--dir <dir>', 'directory of the CA and certificates')
    .option('--name <name>', 'CA name', 'Nanite CA')
    .option('--days <n>', 'validity in days', positiveInt, 3650)
    .option('--force', 'replace an existing ca.crt / ca.key (every certificate the old CA signed stops being trusted)')
    .addHelpText('after', examples(['nanite certs init --dir pki']))
    .action(async (f: { dir: string; name: string; days: number; force?: boolean }) => {
      ctx.setExit(await runCertsInit(f, ctx.io));
    });
  certs
    .command('issue <name>')
    .description('create <name>.crt and <name>.key signed by the CA in --dir')
    .requiredOption('--dir <dir>', 'directory of the CA and certificates')
    .addOption(new Option('--role <role>', 'agent or mapper (recorded as the OU)').choices(['agent', 'mapper']).default('agent'))
    .option('--days <n>', 'validity in days', positiveInt, 365)
    .option('--force', 'replace an existing <name>.crt / <name>.key')
    .addHelpText('after', examples(['nanite certs issue fred --dir pki', 'nanite certs issue web --dir pki --role mapper', 'nanite certs issue fred --dir pki --force   # renew: replaces fred.crt and fred.key']) + '\nThe name "ca" is reserved (ca.crt and ca.key are the CA\'s own files).\n')
    .action(async (name: string, f: { dir: string; role: 'agent' | 'mapper'; days: number; force?: boolean }) => {
      ctx.setExit(await runCertsIssue({ ...f, name }, ctx.io));
    });
};
