import { Option, type Argument, type Command } from 'commander';

/**
 * Usage lines written from the command definition itself, so that they cannot drift from the
 * parser: every flag a command accepts appears in its usage (`[--flag VALUE]`, repeatable ones
 * with `...`, those a command needs without brackets), then its arguments.
 */
const needed = new WeakSet<Option>();
const repeated = new WeakSet<Option>();

/** An option the command cannot do without (checked by the command, which names a fallback). */
export function neededOption(flags: string, description: string): Option {
  const option = new Option(flags, description);
  needed.add(option);
  return option;
}

/** An option that may be given more than once; its values arrive as an array. */
export function repeatableOption(flags: string, description: string): Option {
  const option = new Option(flags, description).argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  repeated.add(option);
  return option;
}

/** `--data DIR`, which every command working on a node's directory takes. */
export const dataOption = () => neededOption('--data <DIR>', "the node's directory (default: $SPAMX_DATA)");

function optionText(option: Option): string {
  const text = option.flags.replace(/^-\w, /, '').replace(/<([^>]+)>/, '$1');
  if (needed.has(option)) return text;
  return `[${text}]${repeated.has(option) ? '...' : ''}`;
}

function argumentText(arg: Argument): string {
  const text = `${arg.name()}${arg.variadic ? '...' : ''}`;
  return arg.required ? text : `[${text}]`;
}

/** Every sub-command's name, for a group like `peer`: `add|list|remove|unfreeze`. */
export function subcommandNames(cmd: Command): string {
  return cmd.commands.map((c) => c.name()).join('|');
}

/** The command's name from the program down: `spamx peer add`. */
export function commandPath(cmd: Command): string {
  return cmd.parent ? `${commandPath(cmd.parent)} ${cmd.name()}` : cmd.name();
}

/** The words after the command's path: the options it needs, its arguments, then the other options (or its sub-commands). */
export function synopsisWords(cmd: Command): string[] {
  if (cmd.commands.length > 0) return [subcommandNames(cmd), '...'];
  const options = cmd.options.filter((o) => !o.hidden);
  return [
    ...options.filter((o) => needed.has(o)).map(optionText),
    ...cmd.registeredArguments.map(argumentText),
    ...options.filter((o) => !needed.has(o)).map(optionText),
  ];
}

/** The usage after `Usage: spamx peer add `, wrapped under the first word at `width` columns. */
export function wrappedSynopsis(cmd: Command, width = 100): string {
  const indent = ' '.repeat(`Usage: ${commandPath(cmd)} `.length);
  const lines: string[] = [];
  let line = '';
  for (const word of synopsisWords(cmd)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return [...lines, line].join(`\n${indent}`);
}
