// The node's own commands (service commands come from each service descriptor).
import type { CommandSpec, ServiceDescriptor } from '../../service.js';
import { nodeCommands } from './node.js';
import { getProcesses } from './processes.js';
import { serviceCommands } from './services.js';
import { helpCommand } from './help.js';
import { dbmsCommands } from './dbms.js';
import { blockchainCommands } from './blockchain.js';
import { blockchainConfigCommands } from './blockchain-config.js';
import { blockchainEvents } from './blockchain-events.js';
import { compatCommands } from './compat.js';
import { authCommands } from './auth.js';

export function commandTable(services: readonly ServiceDescriptor[]): CommandSpec[] {
  const own = services.flatMap((s) => s.commands ?? []);
  const table = [
    ...nodeCommands,
    ...dbmsCommands,
    ...blockchainCommands,
    ...blockchainConfigCommands,
    ...blockchainEvents,
    ...compatCommands,
    ...authCommands,
    getProcesses,
    ...serviceCommands(services),
    ...own,
  ];
  return [...table, helpCommand(() => table)];
}
