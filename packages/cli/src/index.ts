/**
 * @nanite/cli: the `nanite` command line. The commands are also callable from code (and tests)
 * with an injectable {@link CliIo}.
 */
export { main, buildProgram, COMMANDS } from './program';
export { EXIT, exitCodeFor } from './exit-codes';
export type { ExitCode } from './exit-codes';
export { processIo, isTty } from './io';
export type { CliIo, MaybeTty } from './io';
export { CONFIG_FILE, NO_URL_MESSAGE, readConfigFile, resolveUrl } from './config';
/** Core's URL redaction, re-exported for earlier importers of it from here. */
export { redactUrl } from '@nanite/core';
export type { NaniteRc, ResolvedUrl, UrlSources } from './config';
export { parsePayload } from './payload';
export type { ParsePayloadOptions } from './payload';
export { AGENT_COLUMNS, agentsJson, fanOutView, formatAge, formatAgentsTable, formatError, formatJson } from './output';
export type { FanOutError } from './output';
export { actorsFromExports, loadActors } from './load-actors';
export type { LoadedActors } from './load-actors';
export { createLogger, pickLogFormat, resolveLevel, LOG_LEVELS } from './logger';
export type { CliLoggerOptions, LogFormat } from './logger';
export { keepAlive, STOP_SIGNALS } from './signals';
export type { SignalSource, StopSignal } from './signals';
export { runAgent, INTERRUPTED_START_STOP_TIMEOUT } from './commands/agent.command';
export type { AgentCommandOptions } from './commands/agent.command';
export { runRequest } from './commands/request.command';
export type { RequestCommandOptions } from './commands/request.command';
export { runSurvey, DEFAULT_SURVEY_DEADLINE_MS } from './commands/survey.command';
export type { SurveyCommandOptions } from './commands/survey.command';
export { runPush } from './commands/push.command';
export type { PushCommandOptions } from './commands/push.command';
export { runAgents } from './commands/agents.command';
export type { AgentsCommandOptions } from './commands/agents.command';
export { runForget } from './commands/forget.command';
export type { ForgetCommandOptions } from './commands/forget.command';
export { runMapper, consoleScope } from './commands/mapper.command';
export type { ConsoleScope, MapperCommandOptions } from './commands/mapper.command';
export { runAdmin, DEFAULT_ADMIN_PORT } from './commands/admin.command';
export type { AdminCommandOptions } from './commands/admin.command';
export { runDemo, findDemo, demoCandidates, DEMO_SCRIPT } from './commands/demo.command';
export type { CommandContext, RegisterCommand } from './command-context';
export { withFailFast } from './transport-url';
export { runCertsInit, runCertsIssue } from './commands/certs.command';
export { createCa, issueCertificate } from './certs/pki';
export type { PemPair } from './certs/pki';
export { brokerPermissions, runBrokerSetup } from './commands/broker.command';
export type { BrokerSetupOptions, Rabbitmqctl } from './commands/broker.command';
