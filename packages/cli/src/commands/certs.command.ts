/** `nanite certs init|issue`: a CA and the certificates of secure mode (docs/security.md). */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NaniteError } from '@nanite/core';
import { Option, type Command } from 'commander';
import { examples, guarded, type RegisterCommand } from '../command-context';
import { EXIT, type ExitCode } from '../exit-codes';
import type { CliIo } from '../io';
import { positiveInt } from '../options';
import { createCa, issueCertificate } from '../certs/pki';

/** Creates `ca.crt` and `ca.key` in `dir` (refuses to overwrite an existing CA). */
export function runCertsInit(o: { dir: string; name: string; days: number }, io: CliIo): Promise<ExitCode> {
  return guarded(io, async () => {
    const crt = join(o.dir, 'ca.crt');
    if (existsSync(crt)) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `${crt} exists: a CA is already there` });
    mkdirSync(o.dir, { recursive: true });
    const ca = await createCa(o.name, o.days);
    writeFileSync(crt, ca.cert);
    writeFileSync(join(o.dir, 'ca.key'), ca.key, { mode: 0o600 });
    io.stdout.write(`CA "${o.name}" written to ${crt} (key: ${join(o.dir, 'ca.key')}, keep it offline)\n`);
    return EXIT.OK;
  });
}

/** Creates `<name>.crt` and `<name>.key` in `dir`, signed by the CA there. */
export function runCertsIssue(o: { dir: string; name: string; role: 'agent' | 'mapper'; days: number }, io: CliIo): Promise<ExitCode> {
  return guarded(io, async () => {
    if (!/^[A-Za-z0-9._-]+$/.test(o.name)) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `"${o.name}" is not a valid identity (letters, digits, . _ -)` });
    let ca: { cert: string; key: string };
    try {
      ca = { cert: readFileSync(join(o.dir, 'ca.crt'), 'utf8'), key: readFileSync(join(o.dir, 'ca.key'), 'utf8') };
    } catch {
      throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `No CA in ${o.dir}: run "nanite certs init --dir ${o.dir}" first` });
    }
    const pair = await issueCertificate(ca, o.name, o.role, o.days);
    writeFileSync(join(o.dir, `${o.name}.crt`), pair.cert);
    writeFileSync(join(o.dir, `${o.name}.key`), pair.key, { mode: 0o600 });
    io.stdout.write(`${o.role} certificate for "${o.name}" written to ${join(o.dir, `${o.name}.crt`)} and ${join(o.dir, `${o.name}.key`)}\n`);
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
    .addHelpText('after', examples(['nanite certs init --dir pki']))
    .action(async (f: { dir: string; name: string; days: number }) => {
      ctx.setExit(await runCertsInit(f, ctx.io));
    });
  certs
    .command('issue <name>')
    .description('create <name>.crt and <name>.key signed by the CA in --dir')
    .requiredOption('--dir <dir>', 'directory of the CA and certificates')
    .addOption(new Option('--role <role>', 'agent or mapper (recorded as the OU)').choices(['agent', 'mapper']).default('agent'))
    .option('--days <n>', 'validity in days', positiveInt, 365)
    .addHelpText('after', examples(['nanite certs issue fred --dir pki', 'nanite certs issue web --dir pki --role mapper']))
    .action(async (name: string, f: { dir: string; role: 'agent' | 'mapper'; days: number }) => {
      ctx.setExit(await runCertsIssue({ ...f, name }, ctx.io));
    });
};
